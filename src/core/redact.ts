/**
 * Keeps secrets out of the audit log, logs and API answers (SPEC §6). The
 * engine redacts before it records; the audit store redacts again, because
 * an entry, once hashed into the chain, can never be cleaned afterwards.
 */

export const REDACTED = '[redacted]';

/** Keys whose values are secrets whatever they hold. */
const SECRET_KEY = /token|password|passwd|secret|authorization|cookie|credential|private[_-]?key|api[_-]?key/i;

/** scheme://user:password@host — the password part, up to the last '@' of the authority. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]*):[^\s/?#]*@/gi;
/** ?token=...&api_key=... in query strings. */
const SECRET_QUERY_PARAM = /([?&][^=&#\s]*(?:token|password|passwd|secret|api[_-]?key|signature)[^=&#\s]*=)[^&#\s]*/gi;
/** A Medic API token (src/api/auth.ts), wherever it turns up: a path, a comment, an error. */
const MEDIC_TOKEN = /\bmedic_[A-Za-z0-9_-]{20,}/g;
/** An Authorization header value pasted into a message (any scheme: Bearer, Basic, token, ...). */
const AUTH_SCHEME = /\b(Bearer|Basic|Token|Digest)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
const AUTH_HEADER = /\b(authorization\s*[:=]\s*)("?)[^"\r\n]+/gi;
/** --password=x, --api-key x, PGPASSWORD=x, "token": "x" — a secret-named flag, variable or JSON field and its value. */
const SECRET_ASSIGNMENT = /((?:--?|\b)[A-Za-z0-9_.-]*(?:token|password|passwd|secret|api[_-]?key|credential|private[_-]?key)[A-Za-z0-9_.-]*"?\s*[=:]\s*"?)[^\s"',;&]+/gi;
const SECRET_FLAG_SPACE = /(--[A-Za-z0-9_.-]*(?:token|password|passwd|secret|api[_-]?key)[A-Za-z0-9_.-]*\s+)(?!-)[^\s"',;&]+/gi;

/**
 * Masks the secrets a string may carry: URL passwords, secret query
 * parameters, authorization values, and secret-named flags, variables and
 * JSON fields (`--password=x`, `PGPASSWORD=x`, `"token": "x"`).
 */
export function redactString(text: string): string {
  return text
    .replace(URL_PASSWORD, '$1:***@')
    .replace(SECRET_QUERY_PARAM, `$1${REDACTED}`)
    .replace(AUTH_HEADER, `$1$2${REDACTED}`)
    .replace(AUTH_SCHEME, `$1 ${REDACTED}`)
    .replace(SECRET_ASSIGNMENT, `$1${REDACTED}`)
    .replace(SECRET_FLAG_SPACE, `$1${REDACTED}`)
    .replace(MEDIC_TOKEN, REDACTED);
}

/**
 * A deep copy of `value` with the values of secret-named keys replaced by
 * "[redacted]" and secrets inside strings masked. The input is not touched.
 * Plain objects and arrays are copied; other objects are copied as what
 * JSON would record of them (toJSON, else own enumerable properties), so a
 * URL or Error does not carry a secret past this point. Null and undefined
 * under a secret key are kept: they say "not set" and reveal nothing.
 */
export function redactSecrets<T>(value: T): T {
  return copy(value, new WeakSet()) as T;
}

function copy(value: unknown, parents: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (parents.has(value)) return '[circular]';
  parents.add(value);
  try {
    if (Array.isArray(value)) return value.map((v: unknown) => copy(v, parents));
    if (value instanceof Error) return copyRecord({ name: value.name, message: value.message }, parents);
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return copy(toJSON.call(value), parents);
    return copyRecord(value as Record<string, unknown>, parents);
  } finally {
    parents.delete(value);
  }
}

function copyRecord(record: Record<string, unknown>, parents: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) {
    out[key] = SECRET_KEY.test(key) && v !== null && v !== undefined ? REDACTED : copy(v, parents);
  }
  return out;
}
