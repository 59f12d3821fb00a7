import type { Kysely, Selectable } from 'kysely';
import { ChainVerifier, GENESIS, canonicalJson, type ChainEntry, type ChainLink } from '../audit/chain.js';
import type { HeadWitness } from '../audit/key-file.js';
import type { AuditKeyring, SignedCheckpoint } from '../audit/signing.js';
import type { AuditLogTable, DB } from './schema.js';
import type { AuditCheckpointInfo, AuditVerification } from './types.js';

/** Rows read per query: bounded memory whatever the size of the log. */
const VERIFY_PAGE = 1000;

export interface VerifySigning {
  readonly keys: AuditKeyring;
  readonly witness: HeadWitness;
}

/** A signed claim that the log reached `seq` with `hash`, and where it came from. */
interface Claim extends SignedCheckpoint {
  readonly source: string;
}

type Break = { readonly seq: number; readonly reason: string };

/**
 * Checks the whole log: the hash chain (content, links, gaps), and with the
 * audit key also each entry's MAC, every signed checkpoint, and that the log
 * reaches the newest of them and the head file. `appended` is the head this
 * process wrote itself, a witness even without a key.
 */
export async function verifyAuditLog(
  db: Kysely<DB>, appended: ChainLink | null, signing: VerifySigning | undefined,
): Promise<AuditVerification> {
  const claims: Claims = signing ? await readClaims(db, signing) : { list: [], bad: null, fromFile: false };
  const verifier = new ChainVerifier(GENESIS);
  let last: ChainLink = GENESIS;
  let unsigned = 0;
  let signedSeen = false;
  const bySeq = new Map(claims.list.map((c) => [c.seq, c]));
  const signedFrom = claims.list.reduce<number | null>((a, c) => (a === null || c.seq < a ? c.seq : a), null);
  const done = (firstBad: Break | null): AuditVerification => ({
    ok: firstBad === null, checked: verifier.result().checked, firstBad, head: last,
    checkpoint: newest(claims.list), signed: signing !== undefined, unsigned,
  });
  if (claims.bad) return done(claims.bad);

  const check = (row: Selectable<AuditLogTable>): Break | null => {
    const chain = verifier.push(toChainEntry(row));
    if (chain) return chain;
    if (appended && row.seq === appended.seq && row.hash !== appended.hash) {
      return { seq: row.seq, reason: 'hash mismatch: entry differs from the one this process appended' };
    }
    if (row.mac === null) unsigned++;
    if (!signing) return null;
    if (row.mac === null) {
      // Entries from before the key existed are unsigned; none may follow a signed one or the first checkpoint.
      if (signedSeen) return { seq: row.seq, reason: 'unsigned entry after signed ones: written without the audit key' };
      if (signedFrom !== null && row.seq > signedFrom) {
        const reason = `unsigned entry, though signing began at seq ${signedFrom}: written without the audit key`;
        return { seq: row.seq, reason };
      }
    } else {
      const mac = signing.keys.checkEntry(row.hash, row.mac);
      if (mac === 'unknown-key') return { seq: row.seq, reason: `signed with an unknown audit key (${row.mac.split(':')[0]})` };
      if (mac !== 'ok') return { seq: row.seq, reason: 'signature mismatch: entry rewritten without the audit key' };
      signedSeen = true;
    }
    const claim = bySeq.get(row.seq);
    if (claim && claim.hash !== row.hash) return { seq: row.seq, reason: `entry differs from ${claim.source}` };
    return null;
  };

  for (let after = GENESIS.seq; ;) {
    const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>', after)
      .orderBy('seq', 'asc').limit(VERIFY_PAGE).execute();
    for (const row of rows) {
      const bad = check(row);
      if (bad) return done(bad);
      last = { seq: row.seq, hash: row.hash };
    }
    if (rows.length < VERIFY_PAGE) break;
    after = rows.at(-1)!.seq;
  }

  // A truncated tail: the chain ends cleanly, but something signed says it went further.
  const reach = [...claims.list, ...(appended ? [{ ...appended, source: 'the head this process appended' }] : [])];
  const furthest = reach.reduce<{ seq: number; source: string } | null>((a, c) => (!a || c.seq > a.seq ? c : a), null);
  if (furthest && last.seq < furthest.seq) {
    return done({
      seq: last.seq + 1,
      reason: `missing entries ${last.seq + 1}..${furthest.seq}: the log ends at seq ${last.seq} ` +
        `but ${furthest.source} says seq ${furthest.seq} existed`,
    });
  }
  if (signing && last.seq > 0 && !claims.fromFile) {
    const reason = `no signed head at ${signing.witness.file}: nothing shows the log was not cut short ` +
      '(start the engine once to sign it)';
    return done({ seq: last.seq, reason });
  }
  return done(null);
}

/** Every signed checkpoint (database and head file), each MAC checked first: a forged one is a break. */
interface Claims {
  readonly list: Claim[];
  readonly bad: Break | null;
  /** Whether the head file was there (a signed log without it cannot show its length). */
  readonly fromFile: boolean;
}

async function readClaims(db: Kysely<DB>, signing: VerifySigning): Promise<Claims> {
  const list: Claim[] = [];
  const rows = await db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'asc').execute();
  for (const row of rows) list.push({ ...row, source: `the signed checkpoint at seq ${row.seq}` });
  let file: SignedCheckpoint | null;
  try {
    file = signing.witness.read();
  } catch (err) {
    return { list: [], bad: { seq: 0, reason: `signed head unreadable: ${(err as Error).message}` }, fromFile: false };
  }
  if (file) list.push({ ...file, source: `the signed head in ${signing.witness.file}` });
  for (const c of list) {
    const mac = signing.keys.checkCheckpoint(c);
    const bad = mac === 'unknown-key' ? `${c.source} is signed with an unknown audit key (${c.mac.split(':')[0]})`
      : mac !== 'ok' ? `${c.source} does not verify: forged or altered` : null;
    if (bad) return { list: [], bad: { seq: c.seq, reason: bad }, fromFile: false };
  }
  return { list, bad: null, fromFile: file !== null };
}

function newest(list: readonly Claim[]): AuditCheckpointInfo | null {
  const top = list.reduce<Claim | null>((a, c) => (!a || c.seq > a.seq || (c.seq === a.seq && c.at > a.at) ? c : a), null);
  return top && { seq: top.seq, hash: top.hash, at: top.at };
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
  return {
    seq: r.seq, at: r.at, actor: r.actor, kind: r.kind, subject: r.subject, details,
    result: r.result, prevHash: r.prev_hash, hash: r.hash,
  };
}
