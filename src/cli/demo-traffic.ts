import type { SupervisorPort } from '../supervisor/types.js';

/**
 * The demo's steady trickle of requests, so that error-rate and latency
 * detectors have something to measure. Bounded in flight, so a hung service
 * does not pile up sockets; follows the replicas as they scale.
 */
export function startTraffic(supervisor: SupervisorPort, target: string, opts: { intervalMs?: number; maxInFlight?: number } = {}): () => void {
  const intervalMs = opts.intervalMs ?? 50;
  const maxInFlight = opts.maxInFlight ?? 20;
  let inFlight = 0;
  let next = 0;
  const timer = setInterval(() => {
    const ports = (supervisor.status(target)?.replicas ?? []).filter((r) => r.state === 'running' && r.port !== null).map((r) => r.port!);
    if (ports.length === 0 || inFlight >= maxInFlight) return;
    const port = ports[next++ % ports.length]!;
    inFlight++;
    fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) })
      .then((r) => r.arrayBuffer())
      .catch(() => undefined)
      .finally(() => inFlight--);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
