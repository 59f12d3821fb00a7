import type { Expression, ExpressionBuilder, Kysely, Selectable, SqlBool } from 'kysely';
import { ChainVerifier, GENESIS, canonicalJson, hashEntry, type ChainEntry, type ChainLink } from '../audit/chain.js';
import { redactSecrets } from '../core/redact.js';
import type { AuditEntry } from '../core/records.js';
import { pageWindow, toCount } from './codec.js';
import type { StoreDialect } from './dialect.js';
import type { AuditLogTable, DB } from './schema.js';
import type { AuditFilter, AuditInput, AuditVerification, Page, Store } from './types.js';

/** Rows read per query by verify(): bounded memory whatever the size of the log. */
const VERIFY_PAGE = 1000;
/** Appends retried when another process took the seq we computed. */
const MAX_APPEND_ATTEMPTS = 5;

/**
 * The append-only audit log, hash-chained by src/audit/chain.ts.
 *
 * Appends are serialised through an in-process queue: each entry's hash
 * depends on the previous one, so two appends must never compute from the
 * same head. The head is read once and then kept in memory. Another process
 * appending to the same database (a CLI command on the SQLite file, another
 * engine on PostgreSQL) makes that copy stale; the insert then collides on
 * the seq primary key, and the append re-reads the head and tries again.
 * With `dialect.sharedWriters` the head is re-read in every transaction.
 */
export function createAuditStore(db: Kysely<DB>, dialect: StoreDialect): Store['audit'] {
  let head: ChainLink | null = null;
  let queue: Promise<unknown> = Promise.resolve();

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

    for (let attempt = 1; ; attempt++) {
      let prev: ChainLink = GENESIS;
      try {
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
          await trx
            .insertInto('audit_log')
            .values({ ...fields, details: detailsText, prev_hash: prev.hash, hash })
            .execute();
          return { ...fields, prevHash: prev.hash, hash };
        });
        head = { seq: entry.seq, hash: entry.hash };
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

  return {
    append(input) {
      const run = queue.then(() => appendNow(input));
      // A failed append must not stall the ones queued behind it.
      queue = run.catch(() => undefined);
      return run;
    },

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

    async verify(): Promise<AuditVerification> {
      // Taken before reading: every entry up to this head was committed, so
      // the log must reach it. This catches a truncated tail, which the
      // chain alone cannot show.
      const witness = head;
      const verifier = new ChainVerifier(GENESIS);
      let after = GENESIS.seq;
      for (;;) {
        const rows = await db
          .selectFrom('audit_log')
          .selectAll()
          .where('seq', '>', after)
          .orderBy('seq', 'asc')
          .limit(VERIFY_PAGE)
          .execute();
        for (const row of rows) {
          if (verifier.push(toChainEntry(row))) return verifier.result();
          if (witness && row.seq === witness.seq && row.hash !== witness.hash) {
            return broken(verifier, row.seq, 'hash mismatch: entry differs from the one this process appended');
          }
        }
        const last = rows.at(-1);
        if (!last || rows.length < VERIFY_PAGE) break;
        after = last.seq;
      }
      const end = verifier.head;
      if (witness && end.seq < witness.seq) {
        return broken(verifier, end.seq + 1, `missing entries: the log ends at seq ${end.seq} but seq ${witness.seq} was appended`);
      }
      return verifier.result();
    },
  };
}

async function readHead(q: Kysely<DB>): Promise<ChainLink> {
  const row = await q.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ? { seq: row.seq, hash: row.hash } : GENESIS;
}

function broken(verifier: ChainVerifier, seq: number, reason: string): AuditVerification {
  return { ok: false, checked: verifier.result().checked, firstBad: { seq, reason } };
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

/**
 * The entry as stored, for verification. Details that no longer parse, or
 * parse but are not the canonical text that was hashed (an edit that keeps
 * the value, like 1e21 → 1E21), are handed over as the raw text, which can
 * never hash like the original object: any changed byte is a mismatch.
 */
function toChainEntry(r: Selectable<AuditLogTable>): ChainEntry {
  let details: unknown = r.details;
  try {
    const parsed: unknown = JSON.parse(r.details);
    if (canonicalJson(parsed) === r.details) details = parsed;
  } catch {
    // Not JSON any more: keep the raw text, the hash check reports it.
  }
  return { seq: r.seq, at: r.at, actor: r.actor, kind: r.kind, subject: r.subject, details, result: r.result, prevHash: r.prev_hash, hash: r.hash };
}
