import type { Expression, ExpressionBuilder, Kysely, Selectable, SqlBool } from 'kysely';
import { GENESIS, canonicalJson, hashEntry, type ChainLink } from '../audit/chain.js';
import type { HeadWitness } from '../audit/key-file.js';
import type { AuditKeyring, SignedCheckpoint } from '../audit/signing.js';
import { redactSecrets } from '../core/redact.js';
import type { AuditEntry } from '../core/records.js';
import { verifyAuditLog } from './audit-verify.js';
import { pageWindow, toCount } from './codec.js';
import type { StoreDialect } from './dialect.js';
import type { AuditLogTable, DB } from './schema.js';
import type { AuditFilter, AuditInput, AuditSeal, Page, Store } from './types.js';

/** Appends retried when another process took the seq we computed. */
const MAX_APPEND_ATTEMPTS = 5;
export const DEFAULT_CHECKPOINT_EVERY = 100;

/** The audit key and where the newest signed head is kept outside the database (src/audit/signing.ts). */
export interface AuditSigning {
  readonly keys: AuditKeyring;
  readonly witness: HeadWitness;
  /** A checkpoint is signed whenever seq is a multiple of this (and at seal()). */
  readonly checkpointEvery: number;
  /** The time a checkpoint is signed at: the engine's clock. */
  readonly now: () => number;
}

/**
 * The append-only audit log, hash-chained by src/audit/chain.ts and, with an
 * audit key, signed by src/audit/signing.ts.
 *
 * Appends are serialised through an in-process queue: each entry's hash
 * depends on the previous one, so two appends must never compute from the
 * same head. The head is read once and then kept in memory. Another process
 * appending to the same database (a CLI command on the SQLite file, another
 * engine on PostgreSQL) makes that copy stale; the insert then collides on
 * the seq primary key, and the append re-reads the head and tries again.
 * With `dialect.sharedWriters` the head is re-read in every transaction.
 *
 * Signed checkpoints only ever extend what the head file vouches for: if the
 * log no longer reaches the signed head (its tail was deleted while we were
 * stopped), this process signs no checkpoint at all, so the evidence stays
 * for `medic audit verify` instead of being signed over.
 */
export function createAuditStore(db: Kysely<DB>, dialect: StoreDialect, signing?: AuditSigning): Store['audit'] {
  let head: ChainLink | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  const witness = signing ? checkpoints(db, signing) : null;

  async function appendNow(input: AuditInput): Promise<AuditEntry> {
    const details = redactSecrets(input.details) as unknown;
    if (details === null || typeof details !== 'object' || Array.isArray(details)) {
      throw new TypeError('audit details must be an object');
    }
    // Stored, hashed and returned in one form: the canonical text and its
    // parse. verify() re-reads exactly this text, so Dates, undefined members
    // and key order cannot make an honest entry look tampered with.
    const detailsText = canonicalJson(details);
    const stored = JSON.parse(detailsText) as Record<string, unknown>;
    const mayCheckpoint = witness ? (await witness.problem()) === null : false;

    for (let attempt = 1; ; attempt++) {
      let prev: ChainLink = GENESIS;
      try {
        let signed: SignedCheckpoint | null = null;
        const entry = await db.transaction().execute(async (trx) => {
          const cached = dialect.sharedWriters ? null : head;
          prev = cached ?? (await readHead(trx));
          const fields = {
            seq: prev.seq + 1,
            at: input.at,
            actor: input.actor,
            kind: input.kind,
            subject: input.subject,
            details: stored,
            result: input.result,
          };
          const hash = hashEntry(prev.hash, fields);
          const mac = signing ? signing.keys.signEntry(hash) : null;
          await trx
            .insertInto('audit_log')
            .values({ ...fields, details: detailsText, prev_hash: prev.hash, hash, mac })
            .execute();
          // In the same transaction: an entry and the checkpoint of it land together or not at all.
          if (signing && mayCheckpoint && fields.seq % signing.checkpointEvery === 0) {
            signed = signing.keys.signCheckpoint({ seq: fields.seq, hash, at: signing.now() });
            await insertCheckpoint(trx, signed);
          }
          return { ...fields, prevHash: prev.hash, hash };
        });
        head = { seq: entry.seq, hash: entry.hash };
        witness?.appended(signed);
        return entry;
      } catch (err) {
        head = null;
        const current = await readHead(db).catch(() => prev);
        // Retry only when someone else moved the head; any other failure is
        // the caller's to see.
        if (current.seq === prev.seq || attempt >= MAX_APPEND_ATTEMPTS) throw err;
      }
    }
  }

  function enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = queue.then(task);
    // A failed append must not stall the ones queued behind it.
    queue = run.catch(() => undefined);
    return run;
  }

  return {
    append: (input) => enqueue(() => appendNow(input)),

    async list(filter: AuditFilter = {}): Promise<Page<AuditEntry>> {
      const where = auditWhere(filter);
      const page = pageWindow(filter.limit, filter.offset);
      // Newest first, like every other history the API shows.
      let query = db.selectFrom('audit_log').selectAll().where(where).orderBy('seq', 'desc');
      if (page.limit !== undefined) query = query.limit(page.limit);
      if (page.offset !== undefined) query = query.offset(page.offset);
      const [rows, count] = await Promise.all([
        query.execute(),
        db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).where(where).executeTakeFirst(),
      ]);
      return { items: rows.map(toAuditEntry), total: toCount(count?.n) };
    },

    // Taken before reading: every entry up to this head was committed by
    // this process, so the log must reach it.
    verify: () => verifyAuditLog(db, head, signing ? { keys: signing.keys, witness: signing.witness } : undefined),

    async head() {
      const last = await readHead(db);
      const cp = signing ? await latestCheckpoint(db) : null;
      return { ...last, checkpoint: cp && { seq: cp.seq, hash: cp.hash, at: cp.at } };
    },

    seal: () => enqueue(async (): Promise<AuditSeal> => {
      if (!witness) return { written: false, checkpoint: null, problem: null };
      return witness.seal(head ?? (await readHead(db)));
    }),
  };
}

/**
 * The checkpoint side of a signed store: whether this process may sign (the
 * log still reaches the signed head, checked once), and the head file kept
 * in step with the newest checkpoint.
 */
function checkpoints(db: Kysely<DB>, signing: AuditSigning) {
  let checked: Promise<string | null> | null = null;
  let last: SignedCheckpoint | null = null;
  let dirty = true;

  const problem = () => (checked ??= witnessProblem(db, signing).catch((err: unknown) => (err as Error).message));

  return {
    problem,
    appended(signed: SignedCheckpoint | null): void {
      dirty = true;
      if (!signed) return;
      last = signed;
      try {
        signing.witness.write(signed);
        dirty = false;
      } catch {
        // The entry and its checkpoint are committed: failing the append now would make it retry
        // and write the entry twice. The next seal() writes the file again, and reports if it cannot.
      }
    },
    async seal(current: ChainLink): Promise<AuditSeal> {
      const found = await problem();
      if (found) return { written: false, checkpoint: last, problem: found };
      if (!dirty && last?.seq === current.seq) return { written: false, checkpoint: last, problem: null };
      const signed = signing.keys.signCheckpoint({ seq: current.seq, hash: current.hash, at: signing.now() });
      // The first checkpoint also says where signing began (seq 0 on a new store): every later entry has a MAC.
      await insertCheckpoint(db, signed);
      signing.witness.write(signed);
      last = signed;
      dirty = false;
      return { written: true, checkpoint: signed, problem: null };
    },
  };
}

/** Why the log does not extend the signed head (file, else newest database checkpoint), or null when it does. */
async function witnessProblem(db: Kysely<DB>, signing: AuditSigning): Promise<string | null> {
  const file = signing.witness.read();
  const claim = file ?? (await latestCheckpoint(db));
  if (!claim) return null;
  const where = file ? signing.witness.file : `the signed checkpoint at seq ${claim.seq}`;
  const mac = signing.keys.checkCheckpoint(claim);
  if (mac !== 'ok') return `${where} does not verify (${mac})`;
  if (claim.seq === 0) return null;
  const row = await db.selectFrom('audit_log').select('hash').where('seq', '=', claim.seq).executeTakeFirst();
  if (!row) return `the audit log no longer reaches seq ${claim.seq}, which ${where} signed`;
  if (row.hash !== claim.hash) return `audit entry ${claim.seq} differs from ${where}`;
  return null;
}

async function insertCheckpoint(q: Kysely<DB>, cp: SignedCheckpoint): Promise<void> {
  // Another process may have signed the same entry: the first one stays.
  await q.insertInto('audit_checkpoints').values(cp).onConflict((oc) => oc.column('seq').doNothing()).execute();
}

export async function latestCheckpoint(q: Kysely<DB>): Promise<SignedCheckpoint | null> {
  const row = await q.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ?? null;
}

export async function readHead(q: Kysely<DB>): Promise<ChainLink> {
  const row = await q.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ? { seq: row.seq, hash: row.hash } : GENESIS;
}

function auditWhere(f: AuditFilter) {
  return (eb: ExpressionBuilder<DB, 'audit_log'>): Expression<SqlBool> => {
    const all: Expression<SqlBool>[] = [];
    if (f.since !== undefined) all.push(eb('at', '>=', f.since));
    if (f.until !== undefined) all.push(eb('at', '<', f.until));
    if (f.kind !== undefined) all.push(eb('kind', '=', f.kind));
    if (f.actor !== undefined) all.push(eb('actor', '=', f.actor));
    if (f.subject !== undefined) all.push(eb('subject', '=', f.subject));
    return eb.and(all);
  };
}

function toAuditEntry(r: Selectable<AuditLogTable>): AuditEntry {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    kind: r.kind,
    subject: r.subject,
    details: JSON.parse(r.details) as Record<string, unknown>,
    result: r.result,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

