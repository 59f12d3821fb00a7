/**
 * The load generator of bench/intake.ts, in a worker thread so that building
 * and sending requests does not run on the server's event loop. Sends
 * `total` alerts with distinct label sets, `batch` per request, with
 * `concurrency` requests in flight, and reports how long it took.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

export interface ClientJob {
  readonly url: string;
  readonly secret: string;
  readonly total: number;
  readonly batch: number;
  readonly concurrency: number;
  readonly prefix: string;
}

export interface ClientResult {
  readonly elapsedMs: number;
  readonly requests: number;
  readonly failed: number;
  readonly firstError: string | null;
}

function payload(prefix: string, from: number, n: number): string {
  const alerts = [];
  for (let i = from; i < from + n; i++) {
    alerts.push({
      status: 'firing',
      labels: { alertname: 'BenchLoad', job: 'bench', instance: `${prefix}-${i}:9100`, severity: 'warning' },
      annotations: { summary: `load ${i}` },
      startsAt: '2026-11-29T18:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph',
      fingerprint: `${prefix}-${i}`,
    });
  }
  return JSON.stringify({
    receiver: 'medic', status: 'firing', alerts, groupLabels: { alertname: 'BenchLoad' }, commonLabels: { alertname: 'BenchLoad', job: 'bench' },
    commonAnnotations: {}, externalURL: 'http://alertmanager:9093', version: '4', groupKey: `{}:{alertname="BenchLoad",p="${prefix}-${from}"}`, truncatedAlerts: 0,
  });
}

async function run(job: ClientJob): Promise<ClientResult> {
  const requests = Math.ceil(job.total / job.batch);
  // Bodies are made before the clock starts: the bench measures Medic, not JSON.stringify in the client.
  const bodies = Array.from({ length: requests }, (_, r) => payload(job.prefix, r * job.batch, Math.min(job.batch, job.total - r * job.batch)));
  const target = new URL(job.url);
  // node:http with keep-alive: a lighter client than fetch, so the load generator is not what is measured.
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  const post = (body: string) => new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request({
      agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST',
      headers: { authorization: `Bearer ${job.secret}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  const t0 = performance.now();
  const lane = async () => {
    while (next < requests) {
      const body = bodies[next++]!;
      try {
        const { status, text } = await post(body);
        if (status !== 200) {
          failed++;
          firstError ??= `HTTP ${status}: ${text.slice(0, 200)}`;
        }
      } catch (err) {
        failed++;
        firstError ??= String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, lane));
  agent.destroy();
  return { elapsedMs: performance.now() - t0, requests, failed, firstError };
}

if (parentPort) {
  const port = parentPort;
  void run(workerData as ClientJob).then((r) => port.postMessage(r));
}
