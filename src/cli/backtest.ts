import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { backtest, type BacktestEvent } from '../engine/backtest.js';
import { parseSignalFile } from '../engine/signal-file.js';
import { builtinActions } from '../actions/index.js';
import { builtinProbes } from '../probes/index.js';
import { loadRunbooks } from '../runbooks/load.js';
import { table } from './format.js';
import { reportError } from './runtime.js';

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description('replay recorded signals through the rules, runbook selection and policy on a simulated clock; changes nothing')
    .requiredOption('-s, --signals <file>', 'JSON lines, one signal a line (see README, "Backtest"; `medic signals export` writes one)')
    .option('-c, --config <file>', 'config file', 'medic.yaml')
    .option('--json', 'print JSON')
    .action((opts: { signals: string; config: string; json?: boolean }) => {
      try {
        if (!existsSync(opts.config)) throw new Error(`no config file ${opts.config} (--config)`);
        const config = loadConfig(opts.config, { probes: builtinProbes() });
        const loaded = loadRunbooks(config.runbookPaths, { actions: builtinActions, settleMs: config.policy.settleMs });
        if (loaded.errors) throw loaded.errors;
        const signals = parseSignalFile(readFileSync(opts.signals, 'utf8'), opts.signals);
        const events = backtest(config, loaded.runbooks, signals);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ signals: signals.length, events: events.map(toJson) }, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${table(['AT', 'EVENT', 'INCIDENT', 'SEV', 'RULE', 'TARGET', 'RUNBOOK', 'POLICY'], events.map((e) => [
          new Date(e.at).toISOString(), e.event, `#${e.incident}`, e.severity, e.rule, e.target, e.runbook ?? (e.event === 'opened' ? '(none)' : ''),
          e.policy ? `${e.policy.kind}: ${e.policy.reason}` : '',
        ]))}\n`);
        const opened = events.filter((e) => e.event === 'opened');
        process.stdout.write(`${signals.length} signals replayed: ${opened.length} incidents, ${opened.filter((e) => e.policy?.kind === 'run').length} would have run at once, `
          + `${opened.filter((e) => e.policy?.kind === 'approval').length} would have waited for approval; nothing was changed\n`);
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}

function toJson(e: BacktestEvent): Record<string, unknown> {
  return { ...e, at: new Date(e.at).toISOString() };
}
