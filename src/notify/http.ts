import { describeFetchError } from '../drivers/fetch.js';

/**
 * One POST of a JSON body for the HTTP channels. Errors name the channel and
 * what went wrong, never the URL: for Slack the URL is the secret.
 */
export async function postJson(
  what: string, url: string, body: string, headers: Readonly<Record<string, string>>, signal: AbortSignal, okStatuses: (s: number) => boolean = (s) => s >= 200 && s < 300,
): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal, redirect: 'error' });
  } catch (err) {
    if (signal.aborted) throw new Error(`${what}: no answer within the timeout`);
    throw new Error(`${what}: ${describeFetchError(err)}`);
  }
  // The answer is read (and capped) only to free the connection; receivers echo what they got, secrets included.
  await res.arrayBuffer().catch(() => undefined);
  if (!okStatuses(res.status)) throw new Error(`${what}: HTTP ${res.status}`);
}

/** Link to an incident (or the dashboard) when a dashboard URL is configured. */
export function dashboardLink(base: string | null, incidentId: string | undefined): string | null {
  if (!base) return null;
  const root = base.replace(/\/+$/, '');
  return incidentId ? `${root}/incidents/${encodeURIComponent(incidentId)}` : root;
}
