import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { toSignalLine } from '../engine/signal-file.js';
import { openSqliteStore, SQLITE_FILE_NAME } from '../store/database.js';

export function registerSignals(program: Command): void {
  const signals = program.command('signals').description('the engine\'s recorded signal history');
  signals
    .command('export')
    .description('print stored signals as JSON lines, the format `medic backtest --signals` replays')
    .option('-d, --data-dir <dir>', 'data directory (env MEDIC_DATA_DIR)', process.env['MEDIC_DATA_DIR'] ?? '.medic')
    .option('--since <time>', 'ISO time or epoch ms')
    .option('--until <time>', 'ISO time or epoch ms')
    .option('--target <name>', 'only this target')
    .action(async (opts: { dataDir: string; since?: string; until?: string; target?: string }) => {
      const dir = resolve(opts.dataDir);
      if (!existsSync(join(dir, SQLITE_FILE_NAME))) {
        process.stderr.write(`medic: no store at ${join(dir, SQLITE_FILE_NAME)} (--data-dir)\n`);
        process.exitCode = 2;
        return;
      }
      const since = time(opts.since, '--since');
      const until = time(opts.until, '--until');
      if (since === null || until === null) return;
      const store = await openSqliteStore({ dataDir: dir });
      try {
        const list = await store.signals.list({ since, until, target: opts.target });
        for (const s of list) process.stdout.write(`${toSignalLine(s)}\n`);
      } finally {
        await store.close();
      }
    });
}

function time(v: string | undefined, flag: string): number | undefined | null {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(n)) {
    process.stderr.write(`medic: ${flag} must be an ISO time or epoch ms, not "${v}"\n`);
    process.exitCode = 2;
    return null;
  }
  return n;
}
