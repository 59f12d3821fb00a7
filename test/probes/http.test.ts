import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeConfig, TargetConfig } from '../../src/config/types.js';
import type { Sample } from '../../src/core/signal.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import { httpProbe } from '../../src/probes/http.js';
import type { ProbeContext } from '../../src/probes/types.js';
import type { GroupStatus, ReplicaStatus, SupervisorPort } from '../../src/supervisor/types.js';

interface TestServer {
  server: http.Server;
  port: number;
  /** Sockets that carried a request to /hang. */
  hungSockets: Set<Socket>;
  onHang: ((req: http.IncomingMessage) => void) | null;
}

async function startServer(): Promise<TestServer> {
  const ts: TestServer = { server: http.createServer(), port: 0, hungSockets: new Set(), onHang: null };
  ts.server.on('request', (req, res) => {
    if (req.url === '/ok') res.end('all healthy');
    else if (req.url === '/fail') {
      res.statusCode = 500;
      res.end('broken');
    } else if (req.url === '/degraded') res.end('status: degraded');
    else if (req.url === '/hang') {
      ts.hungSockets.add(req.socket);
      ts.onHang?.(req);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => ts.server.listen(0, '127.0.0.1', r));
  ts.port = (ts.server.address() as AddressInfo).port;
  return ts;
}

async function stopServer(ts: TestServer): Promise<void> {
  ts.server.closeAllConnections();
  await new Promise((r) => ts.server.close(r));
}

function fakeSupervisor(groups: Record<string, GroupStatus>): SupervisorPort {
  const no = (): never => {
    throw new Error('not used by probes');
  };
  return {
    has: (t) => t in groups,
    targets: () => Object.keys(groups),
    status: (t) => groups[t],
    start: no,
    stop: no,
    restart: no,
    kill: no,
    scale: no,
    on: () => () => {},
  };
}

function replica(index: number, port: number, state: ReplicaStatus['state']): ReplicaStatus {
  return { index, port, pid: state === 'running' ? 1000 + index : null, state, startedAt: null, restarts: 0, lastExit: null };
}

const target: TargetConfig = { name: 'web', labels: {}, process: null };

function ctx(params: Record<string, unknown>, opts: { signal?: AbortSignal; supervisor?: SupervisorPort } = {}): ProbeContext<never> {
  const probe: ProbeConfig = { name: 'web-health', type: 'http', target: 'web', intervalMs: 1000, timeoutMs: 1000, params };
  return {
    probe,
    params: httpProbe.schema.parse(params) as never,
    target,
    clock: systemClock,
    signal: opts.signal ?? new AbortController().signal,
    log: silentLogger,
    supervisor: opts.supervisor ?? fakeSupervisor({}),
  };
}

const check = (c: ProbeContext<never>): Promise<Sample[]> => httpProbe.check!(c as never);

function byName(samples: Sample[]): Record<string, number> {
  return Object.fromEntries(samples.map((s) => [s.name, s.value]));
}

function closed(socket: Socket): Promise<void> {
  return socket.destroyed ? Promise.resolve() : new Promise((r) => socket.once('close', () => r()));
}

describe('http probe', () => {
  let srv: TestServer;
  let other: TestServer;
  beforeAll(async () => {
    srv = await startServer();
    other = await startServer();
  });
  afterAll(async () => {
    await stopServer(srv);
    await stopServer(other);
  });
  const url = (path: string): string => `http://127.0.0.1:${srv.port}${path}`;

  it('reads a 200 as up, with its status and latency', async () => {
    const s = byName(await check(ctx({ url: url('/ok') })));
    expect(s).toMatchObject({ http_up: 1, http_status: 200 });
    expect(s['http_latency_ms']).toBeGreaterThanOrEqual(0);
  });

  it('reads a 500 as down and reports the status', async () => {
    expect(byName(await check(ctx({ url: url('/fail') })))).toMatchObject({ http_up: 0, http_status: 500 });
  });

  it('accepts any status of an expect_status list', async () => {
    expect(byName(await check(ctx({ url: url('/fail'), expect_status: [200, 500] })))).toMatchObject({ http_up: 1 });
  });

  it('is down when the body does not match body_match, up when it does', async () => {
    expect(byName(await check(ctx({ url: url('/degraded'), body_match: 'healthy' })))).toMatchObject({ http_up: 0, http_status: 200 });
    expect(byName(await check(ctx({ url: url('/ok'), body_match: '^all\\s+healthy$' })))).toMatchObject({ http_up: 1 });
  });

  it('reads a refused connection as down with status 0', async () => {
    const gone = await startServer();
    const port = gone.port;
    await stopServer(gone);
    expect(byName(await check(ctx({ url: `http://127.0.0.1:${port}/ok` })))).toMatchObject({ http_up: 0, http_status: 0 });
  });

  it('reports a hung server as down as soon as the timeout aborts, and closes the socket', async () => {
    const timeout = new AbortController();
    // The engine aborts at the probe timeout; here the abort comes the moment the server holds the request.
    // The server never answers, so the check returning at all is the abort working (no wall-clock bound).
    srv.onHang = () => timeout.abort(new DOMException('probe timed out', 'TimeoutError'));
    const samples = byName(await check(ctx({ url: url('/hang') }, { signal: timeout.signal })));
    srv.onHang = null;
    expect(samples).toMatchObject({ http_up: 0, http_status: 0 });
    await Promise.all([...srv.hungSockets].map(closed));
  });

  it('does not pile up sockets against a server that keeps hanging', async () => {
    srv.hungSockets.clear();
    for (let i = 0; i < 5; i++) {
      const samples = byName(await check(ctx({ url: url('/hang') }, { signal: AbortSignal.timeout(30) })));
      expect(samples['http_up']).toBe(0);
    }
    expect(srv.hungSockets.size).toBe(5);
    // Every connection that carried a timed-out request is torn down, not parked in a pool.
    await Promise.all([...srv.hungSockets].map(closed));
    const open = await new Promise<number>((r, j) => srv.server.getConnections((e, n) => (e ? j(e) : r(n))));
    expect(open).toBeLessThanOrEqual(3);
  });

  it('checks every running replica through {{port}} and reports the worst', async () => {
    const supervisor = fakeSupervisor({
      web: { target: 'web', desired: 2, replicas: [replica(0, srv.port, 'running'), replica(1, other.port, 'running')] },
    });
    // Replica 0 serves /ok, replica 1 has /ok too: both up.
    expect(byName(await check(ctx({ url: 'http://127.0.0.1:{{port}}/ok' }, { supervisor })))).toMatchObject({ http_up: 1, http_status: 200 });
    // One replica failing is enough to read as down.
    other.server.removeAllListeners('request');
    other.server.on('request', (_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    expect(byName(await check(ctx({ url: 'http://127.0.0.1:{{port}}/ok' }, { supervisor })))).toMatchObject({ http_up: 0, http_status: 503 });
  });

  it('reports each replica on its own, with a replica label, next to the group', async () => {
    const supervisor = fakeSupervisor({
      web: { target: 'web', desired: 2, replicas: [replica(0, srv.port, 'running'), replica(1, other.port, 'running')] },
    });
    other.server.removeAllListeners('request');
    other.server.on('request', (_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    const samples = await check(ctx({ url: 'http://127.0.0.1:{{port}}/ok' }, { supervisor }));
    const of = (name: string, replica?: string) => samples.filter((x) => x.name === name && x.labels?.['replica'] === replica).map((x) => x.value);
    expect([of('http_up', '0'), of('http_up', '1')]).toEqual([[1], [0]]);
    expect([of('http_status', '0'), of('http_status', '1')]).toEqual([[200], [503]]);
    // The group, without the label: the worst replica, and how many are down.
    expect(of('http_up')).toEqual([0]);
    expect(of('http_replicas_down')).toEqual([1]);
  });

  it('adds no replica label to a URL without {{port}}', async () => {
    const samples = await check(ctx({ url: url('/ok') }));
    expect(samples.every((x) => x.labels === undefined)).toBe(true);
  });

  it('reads a supervised service with no running replica as down', async () => {
    const gone = await startServer();
    const port = gone.port;
    await stopServer(gone);
    const supervisor = fakeSupervisor({ web: { target: 'web', desired: 1, replicas: [replica(0, port, 'crashed')] } });
    expect(byName(await check(ctx({ url: 'http://127.0.0.1:{{port}}/ok' }, { supervisor })))).toMatchObject({ http_up: 0, http_status: 0 });
  });

  it('throws for {{port}} on a target that is not supervised', async () => {
    await expect(check(ctx({ url: 'http://127.0.0.1:{{port}}/ok' }))).rejects.toThrow(/not supervised/);
  });

  it('validates its params strictly', () => {
    expect(httpProbe.schema.safeParse({ url: 'ftp://x/' }).success).toBe(false);
    expect(httpProbe.schema.safeParse({ url: 'http://x/', body_match: '(' }).success).toBe(false);
    expect(httpProbe.schema.safeParse({ url: 'http://x/', bogus: 1 }).success).toBe(false);
    expect(httpProbe.schema.parse({ url: 'http://x:{{port}}/', method: 'head' })).toMatchObject({ method: 'HEAD', expect_status: [200] });
  });
});
