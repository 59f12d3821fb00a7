import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { openSqliteStore, SQLITE_FILE_NAME } from '../store/database.js';

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description('check the hash chain; exits non-zero naming the first broken entry')
    .option('-d, --data-dir <dir>', 'data directory (env MEDIC_DATA_DIR)', process.env['MEDIC_DATA_DIR'] ?? '.medic')
    .action(async (opts: { dataDir: string }) => {
      const dir = resolve(opts.dataDir);
      if (!existsSync(join(dir, SQLITE_FILE_NAME))) {
        process.stderr.write(`medic: no store at ${join(dir, SQLITE_FILE_NAME)} (--data-dir)\n`);
        process.exitCode = 2;
        return;
      }
      const store = await openSqliteStore({ dataDir: dir });
      try {
        const v = await store.audit.verify();
        if (v.ok) process.stdout.write(`audit chain intact: ${v.checked} entries verified\n`);
        else {
          process.stdout.write(`audit chain BROKEN at entry ${v.firstBad!.seq}: ${v.firstBad!.reason} (${v.checked} entries checked)\n`);
          process.exitCode = 1;
        }
      } finally {
        await store.close();
      }
    });
}
