import type { TargetConfig } from '../config/types.js';
import type { SupervisorPort } from '../supervisor/types.js';

/** One concrete URL to check, and the replica it belongs to (null when the URL names no port). */
export interface ReplicaUrl {
  readonly url: string;
  readonly replica: number | null;
  readonly port: number | null;
}

const PORT_PLACEHOLDER = /\{\{\s*port\s*\}\}/g;

export function hasPortPlaceholder(url: string): boolean {
  return new RegExp(PORT_PLACEHOLDER.source).test(url);
}

/**
 * Expands `{{port}}` in a probe URL into one URL per replica of a supervised
 * target.
 *
 * Running replicas are checked by their own ports. When none is running, the
 * URLs of every desired replica are returned anyway: a down service must read
 * as down (http_up 0), not as "nothing to check". A group scaled to zero
 * desired replicas yields no URL at all, because nobody expects it to answer.
 * A `{{port}}` on a target Medic does not supervise is a configuration error.
 */
export function renderReplicaUrls(
  url: string,
  ctx: { readonly target: TargetConfig; readonly supervisor: SupervisorPort },
): ReplicaUrl[] {
  if (!hasPortPlaceholder(url)) return [{ url, replica: null, port: null }];
  const name = ctx.target.name;
  const status = ctx.supervisor.status(name);
  if (!status) {
    throw new Error(`url uses {{port}} but target "${name}" is not supervised by Medic`);
  }
  const render = (index: number, port: number): ReplicaUrl => ({
    url: url.replace(PORT_PLACEHOLDER, String(port)),
    replica: index,
    port,
  });

  const running = status.replicas.filter((r) => r.state === 'running' && r.port !== null);
  if (running.length > 0) return running.map((r) => render(r.index, r.port!));

  const basePort = ctx.target.process?.basePort ?? null;
  const urls: ReplicaUrl[] = [];
  for (let i = 0; i < status.desired; i++) {
    const port = status.replicas.find((r) => r.index === i)?.port ?? (basePort === null ? null : basePort + i);
    if (port === null) throw new Error(`url uses {{port}} but replica ${i} of "${name}" has no port`);
    urls.push(render(i, port));
  }
  return urls;
}
