import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../drivers/log.js';
import { builtinProbes } from '../probes/index.js';
import { reportError, startRuntime } from './runtime.js';

export function portOption(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`port must be 0..65535, not "${v}"`);
  return n;
}

/** Port and data directory: the flag wins, then the environment, then the file. */
export function overridesFrom(opts: { port?: number; dataDir?: string }): { port?: number; dataDir?: string } {
  const env = process.env;
  const port = opts.port ?? (env['MEDIC_PORT'] ? portOption(env['MEDIC_PORT']) : undefined);
  const dataDir = opts.dataDir ?? env['MEDIC_DATA_DIR'];
  return { ...(port !== undefined ? { port } : {}), ...(dataDir !== undefined ? { dataDir } : {}) };
}

/** Said once, when a start made the audit key file (never the key itself). */
export function auditKeyNotice(file: string): string {
  return `medic: made the audit key ${file} (mode 0600): back it up apart from the database; ` +
    'without it `medic audit verify` cannot check signatures (README "Audit key")\n';
}

/**
 * Runs until SIGINT, SIGTERM or SIGHUP, then stops cleanly. Supervised processes run in their own
 * sessions, so a closed terminal reaches only Medic: it must stop them, or they would outlive it.
 */
export async function runUntilSignal(close: () => Promise<void>): Promise<void> {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  let stop = () => {};
  await new Promise<void>((resolve) => {
    stop = () => resolve();
    for (const s of signals) process.on(s, stop);
  });
  // The handlers stay while Medic stops its groups: a second signal must not cut that short.
  try {
    await close();
  } finally {
    for (const s of signals) process.off(s, stop);
  }
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the engine with a config file')
    .option('-c, --config <file>', 'config file', 'medic.yaml')
    .option('-p, --port <port>', 'API port (env MEDIC_PORT; default 7070)', portOption)
    .option('-d, --data-dir <dir>', 'data directory (env MEDIC_DATA_DIR)')
    .option('--log-level <level>', 'log level', 'info')
    .action(async (opts: { config: string; port?: number; dataDir?: string; logLevel: string }) => {
      try {
        const config = loadConfig(opts.config, { probes: builtinProbes(), overrides: overridesFrom(opts) });
        const log = createLogger({ level: opts.logLevel });
        const { MEDIC_BOOTSTRAP_TOKEN: bootstrapToken, MEDIC_AUDIT_KEY: auditKey } = process.env;
        const rt = await startRuntime(config, {
          log, narrate: process.stdout, ...(bootstrapToken ? { bootstrapToken } : {}), ...(auditKey ? { auditKey } : {}),
        });
        if (rt.auditKey.created) process.stdout.write(auditKeyNotice(rt.auditKey.source));
        if ((await rt.api.tokens.count()) === 0) {
          process.stdout.write('medic: no API tokens yet: restart with MEDIC_BOOTSTRAP_TOKEN=<a secret of 20+ characters> to make the first (superadmin) one\n');
        }
        // Last, and in the same tick as the signal handlers: whoever waits for this line may stop us at once.
        process.stdout.write(`medic: serving on ${rt.url} (config ${config.file})\n`);
        await runUntilSignal(rt.close);
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
