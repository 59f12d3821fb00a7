import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { AUDIT_HEAD_FILE_NAME, AUDIT_KEY_FILE_NAME, loadAuditKeys, rotateAuditKeyFile } from '../audit/key-file.js';
import { systemClock } from '../drivers/clock.js';
import { openSqliteStore, SQLITE_FILE_NAME } from '../store/database.js';
import { acquireStoreLock } from '../store/lock.js';
import type { AuditVerification } from '../store/types.js';

const dataDirOption = [
  '-d, --data-dir <dir>', 'data directory (env MEDIC_DATA_DIR)', process.env['MEDIC_DATA_DIR'] ?? '.medic',
] as const;

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description('check the hash chain, signatures and signed head; exits non-zero naming the first broken entry')
    .option(...dataDirOption)
    .action(async (opts: { dataDir: string }) => {
      try {
        process.exitCode = await verify(resolve(opts.dataDir), process.env['MEDIC_AUDIT_KEY']);
      } catch (err) {
        process.stderr.write(`medic: ${(err as Error).message}\n`);
        process.exitCode = 2;
      }
    });
  audit
    .command('rotate-key')
    .description('put a new audit key first in <data-dir>/audit.key (the old ones stay, to verify); the engine must be stopped')
    .option(...dataDirOption)
    .action((opts: { dataDir: string }) => {
      try {
        rotate(resolve(opts.dataDir), process.env['MEDIC_AUDIT_KEY']);
      } catch (err) {
        process.stderr.write(`medic: ${(err as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}

/** Returns the exit code: 0 intact, 1 broken or not checkable, 2 no store (or a bad key). */
async function verify(dir: string, envKey: string | undefined): Promise<number> {
  if (!existsSync(join(dir, SQLITE_FILE_NAME))) {
    process.stderr.write(`medic: no store at ${join(dir, SQLITE_FILE_NAME)} (--data-dir)\n`);
    return 2;
  }
  const keys = loadAuditKeys(dir, { env: envKey, create: false });
  const store = await openSqliteStore({
    dataDir: dir, ...(keys ? { audit: { keys: keys.keyring, now: () => systemClock.now() } } : {}),
  });
  let v: AuditVerification;
  try {
    v = await store.audit.verify();
  } finally {
    await store.close();
  }
  const out = process.stdout;
  if (!v.ok) {
    out.write(`audit chain BROKEN at entry ${v.firstBad!.seq}: ${v.firstBad!.reason} (${v.checked} entries checked)\n`);
    return 1;
  }
  if (!keys) {
    // Without the key, a signed log cannot be told from a rewritten one: not a pass.
    if (v.unsigned < v.checked || existsSync(join(dir, AUDIT_HEAD_FILE_NAME))) {
      out.write('audit signatures NOT CHECKED: the log is signed but there is no audit key ' +
        `(MEDIC_AUDIT_KEY or ${join(dir, AUDIT_KEY_FILE_NAME)}); the hash chain alone is intact over ${v.checked} entries\n`);
      return 1;
    }
    out.write(`audit chain intact: ${v.checked} entries verified ` +
      '(chain only: no audit key, so a recomputed chain or a cut tail would not show)\n');
    return 0;
  }
  const cp = v.checkpoint;
  out.write(`audit chain intact: ${v.checked} entries verified, signatures valid (key ${keys.keyring.currentId}); ` +
    `head seq ${v.head.seq}` +
    (cp ? `, signed checkpoint seq ${cp.seq} at ${new Date(cp.at).toISOString()}` : '') +
    (v.unsigned > 0 ? `; ${v.unsigned} entries from before the key are held by the chain only` : '') + '\n');
  return 0;
}

function rotate(dir: string, envKey: string | undefined): void {
  if (envKey) {
    throw new Error('the audit key comes from MEDIC_AUDIT_KEY: rotate it in your secret store ' +
      '(the new key first, then the old ones, separated by spaces) and restart the engine');
  }
  // The engine reads its keys at start and writes the head file: it must not run meanwhile.
  const lock = acquireStoreLock(dir, { pid: process.pid, host: hostname(), since: systemClock.now() });
  try {
    const r = rotateAuditKeyFile(dir);
    process.stdout.write(`new audit key ${r.id} in ${r.file}: it signs from the next start; ` +
      `${r.retired} older key(s) kept after it to verify older entries. Back the file up again.\n`);
  } finally {
    lock.release();
  }
}
