import { errorMessage } from '../core/errors.js';

/** What every HTTP client in Medic (probes, actions) needs alike. */

/** Reads at most `maxBytes` of a response body, then lets go of the rest. */
export async function readBodyCapped(
  res: Response,
  maxBytes: number,
): Promise<{ text: string; bytes: number; truncated: boolean }> {
  if (!res.body) return { text: '', bytes: 0, truncated: false };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = maxBytes - bytes;
    if (value.byteLength > room) {
      text += decoder.decode(value.subarray(0, room));
      bytes += room;
      await reader.cancel();
      return { text, bytes, truncated: true };
    }
    text += decoder.decode(value, { stream: true });
    bytes += value.byteLength;
  }
  return { text: text + decoder.decode(), bytes, truncated: false };
}

/** fetch hides the useful part ("ECONNREFUSED") in err.cause. */
export function describeFetchError(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return errorMessage(err);
}

/** A URL fit for a log line: no credentials, no query (tokens often live there). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid url)';
  }
}
