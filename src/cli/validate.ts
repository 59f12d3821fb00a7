import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { validatePaths } from '../config/validate.js';
import { registries } from './runtime.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check config files and runbooks (files or folders); non-zero exit on any error')
    .argument('[paths...]', 'medic.yaml, runbook files or folders (default: medic.yaml)')
    .action((paths: string[]) => {
      const targets = paths.length > 0 ? paths : existsSync('medic.yaml') ? ['medic.yaml'] : [];
      if (targets.length === 0) {
        process.stderr.write('medic: nothing to validate: name config or runbook files, or run where medic.yaml is\n');
        process.exitCode = 2;
        return;
      }
      const { ok, report } = validatePaths(targets, registries());
      (ok ? process.stdout : process.stderr).write(`${report.join('\n')}\n`);
      process.exitCode = ok ? 0 : 1;
    });
}
