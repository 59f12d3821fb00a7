/**
 * The demo service (SPEC §10): a tiny HTTP service with fault injection, so
 * every Medic detector can be seen firing and every fix seen working.
 *
 * It is run with plain `node dist/demo/server.js`, often many times a minute
 * (every restart Medic makes), so it imports only Node built-ins and nothing
 * from src/: start-up time is part of the recovery time Medic is judged by.
 *
 *   GET  /                 a normal request; counted in the metrics
 *   GET  /health           200 {"status":"ok"}
 *   GET  /metrics          Prometheus text
 *   POST /fault/crash      answer 202, then exit(1)
 *        /fault/hang       / and /health never answer (?block=1: block the event loop)
 *        /fault/errors     ?rate=0.5&duration=30  that share of / answers 500
 *        /fault/latency    ?ms=800&duration=30    / answers late (/health does not)
 *        /fault/cpu        ?duration=30           one core busy in a worker thread
 *        /fault/leak       ?mb_per_s=5            retained memory grows until restart
 *        /fault/stop-all   clear every fault
 *
 * Faults take any method, so a browser's address bar can inject them too.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Worker } from 'node:worker_threads';

const port = Number(process.env.PORT ?? 7071);
const host = process.env.HOST ?? '127.0.0.1';
const DEFAULT_DURATION_S = 30;
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LEAK_TICK_MS = 100;

const metrics = { requests: 0, errors: 0, inFlight: 0, sum: 0, buckets: BUCKETS.map(() => 0) };

const faults = {
  errors: null as { rate: number; until: number; credit: number } | null,
  latency: null as { ms: number; until: number } | null,
  cpu: null as { worker: Worker; timer: NodeJS.Timeout } | null,
  leak: null as { timer: NodeJS.Timeout; chunks: Buffer[] } | null,
  hang: false,
};
/** Requests held open by the hang fault, so stop-all can let them go. */
const held = new Set<ServerResponse>();

class BadRequest extends Error {}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function hold(res: ServerResponse): void {
  held.add(res);
  res.on('close', () => held.delete(res));
}

function observe(seconds: number, status: number): void {
  metrics.requests++;
  if (status >= 500) metrics.errors++;
  metrics.sum += seconds;
  for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) metrics.buckets[i]!++;
}

function active<T extends { until: number }>(fault: T | null): T | null {
  return fault && Date.now() < fault.until ? fault : null;
}

function handleRoot(res: ServerResponse): void {
  if (faults.hang) return hold(res);
  const started = performance.now();
  metrics.inFlight++;
  let status = 200;
  const errors = active(faults.errors);
  if (errors) {
    // A credit counter rather than Math.random(): the share of failures seen
    // over any run of requests is the rate asked for, not a noisy sample of it.
    errors.credit += errors.rate;
    if (errors.credit >= 1) {
      errors.credit -= 1;
      status = 500;
    }
  }
  const answer = () => {
    metrics.inFlight--;
    send(res, status, status === 200 ? { message: 'hello from the demo service', pid: process.pid } : { error: 'injected failure' });
    observe((performance.now() - started) / 1000, status);
  };
  const latency = active(faults.latency);
  if (latency) setTimeout(answer, latency.ms);
  else answer();
}

function renderMetrics(): string {
  const lines = [
    '# HELP demo_requests_total Requests to / answered.',
    '# TYPE demo_requests_total counter',
    `demo_requests_total ${metrics.requests}`,
    '# HELP demo_request_errors_total Requests to / answered with a 5xx status.',
    '# TYPE demo_request_errors_total counter',
    `demo_request_errors_total ${metrics.errors}`,
    '# HELP demo_request_duration_seconds Time taken to answer requests to /.',
    '# TYPE demo_request_duration_seconds histogram',
    ...BUCKETS.map((le, i) => `demo_request_duration_seconds_bucket{le="${le}"} ${metrics.buckets[i]}`),
    `demo_request_duration_seconds_bucket{le="+Inf"} ${metrics.requests}`,
    `demo_request_duration_seconds_sum ${metrics.sum}`,
    `demo_request_duration_seconds_count ${metrics.requests}`,
    '# HELP demo_requests_in_flight Requests to / being answered now.',
    '# TYPE demo_requests_in_flight gauge',
    `demo_requests_in_flight ${metrics.inFlight}`,
    '# HELP demo_fault_active Whether a fault is injected right now.',
    '# TYPE demo_fault_active gauge',
    `demo_fault_active{fault="errors"} ${active(faults.errors) ? 1 : 0}`,
    `demo_fault_active{fault="latency"} ${active(faults.latency) ? 1 : 0}`,
    `demo_fault_active{fault="cpu"} ${faults.cpu ? 1 : 0}`,
    `demo_fault_active{fault="leak"} ${faults.leak ? 1 : 0}`,
    `demo_fault_active{fault="hang"} ${faults.hang ? 1 : 0}`,
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
    '# HELP process_cpu_seconds_total User and system CPU time spent, in seconds.',
    '# TYPE process_cpu_seconds_total counter',
    `process_cpu_seconds_total ${cpuSeconds()}`,
  ];
  return lines.join('\n') + '\n';
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function number(q: URLSearchParams, name: string, fallback: number | undefined, min: number, max: number): number {
  const raw = q.get(name);
  const value = raw === null || raw === '' ? fallback : Number(raw);
  if (value === undefined || !Number.isFinite(value) || value < min || value > max) {
    throw new BadRequest(`${name} must be a number from ${min} to ${max}`);
  }
  return value;
}

function stopCpu(): void {
  if (!faults.cpu) return;
  clearTimeout(faults.cpu.timer);
  void faults.cpu.worker.terminate();
  faults.cpu = null;
}

function stopLeak(): void {
  if (!faults.leak) return;
  clearInterval(faults.leak.timer);
  faults.leak = null;
}

function stopAll(): void {
  faults.errors = null;
  faults.latency = null;
  faults.hang = false;
  stopCpu();
  stopLeak();
  for (const res of held) res.destroy();
  held.clear();
}

// The busy loop runs in a worker so the service keeps answering while one core burns.
const CPU_BURNER = `
const { workerData } = require('node:worker_threads');
const end = Date.now() + workerData.ms;
let x = 0;
while (Date.now() < end) { for (let i = 0; i < 1e5; i++) x = (x + i * i) % 1e9; }
`;

function fault(name: string, q: URLSearchParams, res: ServerResponse): void {
  const logFault = (details: Record<string, unknown>) =>
    console.log(JSON.stringify({ at: new Date().toISOString(), fault: name, ...details }));
  switch (name) {
    case 'crash':
      logFault({ exit: 1 });
      send(res, 202, { fault: 'crash' });
      // Exit only once the answer has left, so the caller sees the 202 rather than a reset.
      res.on('finish', () => process.exit(1));
      return;
    case 'hang': {
      const block = q.get('block') === '1' || q.get('block') === 'true';
      faults.hang = true;
      logFault({ block });
      send(res, 202, { fault: 'hang', block });
      if (block) {
        // Atomics.wait blocks the thread without burning CPU, so this fault shows
        // as "no answer" and not also as "CPU hot". Nothing short of a kill ends it.
        res.on('finish', () => setImmediate(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)));
      }
      return;
    }
    case 'errors': {
      const rate = number(q, 'rate', 0.5, 0, 1);
      const duration = number(q, 'duration', DEFAULT_DURATION_S, 0, 86_400);
      faults.errors = { rate, until: Date.now() + duration * 1000, credit: 0 };
      logFault({ rate, duration_s: duration });
      return send(res, 202, { fault: 'errors', rate, duration_s: duration });
    }
    case 'latency': {
      const ms = number(q, 'ms', 800, 0, 600_000);
      const duration = number(q, 'duration', DEFAULT_DURATION_S, 0, 86_400);
      faults.latency = { ms, until: Date.now() + duration * 1000 };
      logFault({ ms, duration_s: duration });
      return send(res, 202, { fault: 'latency', ms, duration_s: duration });
    }
    case 'cpu': {
      const duration = number(q, 'duration', DEFAULT_DURATION_S, 0, 86_400);
      stopCpu();
      const worker = new Worker(CPU_BURNER, { eval: true, workerData: { ms: duration * 1000 } });
      worker.unref();
      const timer = setTimeout(stopCpu, duration * 1000);
      timer.unref();
      faults.cpu = { worker, timer };
      logFault({ duration_s: duration });
      return send(res, 202, { fault: 'cpu', duration_s: duration });
    }
    case 'leak': {
      const mbPerS = number(q, 'mb_per_s', 5, 0.01, 1000);
      stopLeak();
      const chunks: Buffer[] = [];
      const bytes = Math.max(1, Math.round((mbPerS * 1024 * 1024 * LEAK_TICK_MS) / 1000));
      // Filled, not just allocated: untouched pages would not count in RSS.
      const timer = setInterval(() => chunks.push(Buffer.allocUnsafeSlow(bytes).fill(chunks.length % 251)), LEAK_TICK_MS);
      faults.leak = { timer, chunks };
      logFault({ mb_per_s: mbPerS });
      return send(res, 202, { fault: 'leak', mb_per_s: mbPerS });
    }
    case 'stop-all':
      stopAll();
      logFault({});
      return send(res, 200, { fault: 'none' });
    default:
      return send(res, 404, { error: `unknown fault "${name}"` });
  }
}

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://demo');
  const path = url.pathname;
  if (path === '/') return handleRoot(res);
  if (path === '/health') return faults.hang ? hold(res) : send(res, 200, { status: 'ok' });
  if (path === '/metrics') return send(res, 200, renderMetrics(), 'text/plain; version=0.0.4; charset=utf-8');
  if (path.startsWith('/fault/')) {
    try {
      return fault(path.slice('/fault/'.length), url.searchParams, res);
    } catch (err) {
      if (err instanceof BadRequest) return send(res, 400, { error: err.message });
      throw err;
    }
  }
  send(res, 404, { error: 'not found' });
}

const server = createServer((req, res) => {
  try {
    route(req, res);
  } catch (err) {
    if (!res.headersSent) send(res, 500, { error: String(err) });
  }
});

function shutdown(): void {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  // Requests held by a fault or a latency delay must not hold the exit up.
  setTimeout(() => process.exit(0), 50).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(port, host, () => {
  console.log(JSON.stringify({ at: new Date().toISOString(), msg: 'demo service listening', host, port, pid: process.pid }));
});
