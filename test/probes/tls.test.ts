import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net, { type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeConfig, TargetConfig } from '../../src/config/types.js';
import type { Clock } from '../../src/core/clock.js';
import type { Condition } from '../../src/core/condition.js';
import { INITIAL_RULE_STATE, stepRule, type RuleSpec } from '../../src/core/detector.js';
import type { Sample } from '../../src/core/signal.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import { certSource, tlsProbe, tlsProbeParams, type TlsProbeParams } from '../../src/probes/tls.js';
import type { ProbeContext } from '../../src/probes/types.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';
import { MemorySeries } from '../core/series.js';
import { FakeClock } from '../support/fake-clock.js';

const OPENSSL = '/usr/bin/openssl';
const DAY = 86_400_000;

/** A self-signed EC certificate valid for `days` from now (EC: generated in milliseconds, unlike RSA). */
async function makeCert(key: string, cert: string, days: number): Promise<void> {
  await promisify(execFile)(OPENSSL, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', String(days), '-subj', '/CN=medic.test',
  ], { timeout: 10_000 });
}

interface TlsTestServer {
  port: number;
  close(): Promise<void>;
}

/** Serves whatever key.pem/cert.pem hold at the time of each handshake (SNICallback reads them afresh). */
async function startTlsServer(key: string, cert: string): Promise<TlsTestServer> {
  const load = (): tls.SecureContextOptions => ({ key: readFileSync(key), cert: readFileSync(cert) });
  const sockets = new Set<Socket>();
  const server = tls.createServer({
    ...load(),
    SNICallback: (_name, cb) => {
      try {
        cb(null, tls.createSecureContext(load()));
      } catch (err) {
        cb(err as Error);
      }
    },
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s) => {
    s.on('error', () => {});
    s.end();
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

const target: TargetConfig = { name: 'web', labels: {}, process: null };

function ctx(params: Record<string, unknown>, opts: { clock?: Clock; signal?: AbortSignal } = {}): ProbeContext<TlsProbeParams> {
  const probe: ProbeConfig = { name: 'web-cert', type: 'tls', target: 'web', intervalMs: 60_000, timeoutMs: 5_000, params };
  return {
    probe,
    params: tlsProbe.schema.parse(params),
    target,
    clock: opts.clock ?? systemClock,
    signal: opts.signal ?? AbortSignal.timeout(5_000),
    log: silentLogger,
    supervisor: {} as SupervisorPort,
  };
}

function byName(samples: Sample[]): Record<string, number> {
  return Object.fromEntries(samples.map((s) => [s.name, s.value]));
}

/** The SPEC §3 bands, most severe first, as the suggested rule in docs/reference/certificates-and-drift.md writes them. */
const leaf = (op: 'lt' | 'gt', threshold: number): Condition => ({ kind: 'compare', value: { signal: 'tls_days_left', fn: 'last' }, op, threshold });
const certRule: RuleSpec = {
  name: 'cert-expiry',
  forMs: 0,
  bands: [
    { severity: 'P0', condition: leaf('lt', 0) },
    { severity: 'P1', condition: leaf('lt', 7) },
    { severity: 'P3', condition: leaf('lt', 30) },
  ],
};

function severityFor(daysLeft: number): string | null {
  const now = Date.UTC(2026, 0, 1);
  const series = new MemorySeries().add('web', 'tls_days_left', now, daysLeft);
  const { event } = stepRule(certRule, 'web', INITIAL_RULE_STATE, series, now);
  return event && event.kind === 'fired' ? event.severity : null;
}

describe('tls probe', () => {
  let dir: string;
  let srv: TlsTestServer;
  let key: string;
  let cert: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'medic-tls-probe-'));
    key = join(dir, 'key.pem');
    cert = join(dir, 'cert.pem');
    await makeCert(key, cert, 5);
    srv = await startTlsServer(key, cert);
  });
  afterAll(async () => {
    await srv?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a live endpoint whose certificate expires in 5 days as ~5 days left, a P1 by the SPEC band', async () => {
    const s = byName(await tlsProbe.check!(ctx({ host: '127.0.0.1', port: srv.port, servername: 'medic.test' })));
    expect(s['tls_up']).toBe(1);
    expect(s['tls_expired']).toBe(0);
    expect(s['tls_days_left']).toBeGreaterThan(4);
    expect(s['tls_days_left']).toBeLessThanOrEqual(5);
    expect(severityFor(s['tls_days_left']!)).toBe('P1');
  });

  it('reads the endpoint without SNI when the host is an IP address and no servername is given', async () => {
    const s = byName(await tlsProbe.check!(ctx({ host: '127.0.0.1', port: srv.port })));
    expect(s).toMatchObject({ tls_up: 1, tls_expired: 0 });
  });

  it('reads a PEM file the same way, without tls_up (there is no handshake)', async () => {
    const samples = await tlsProbe.check!(ctx({ pem: cert }));
    const s = byName(samples);
    expect(s['tls_days_left']).toBeGreaterThan(4);
    expect(s['tls_days_left']).toBeLessThanOrEqual(5);
    expect(s['tls_expired']).toBe(0);
    expect(samples.map((x) => x.name)).not.toContain('tls_up');
  });

  it('reports an expired certificate with negative days left and tls_expired 1, a P0', async () => {
    const later = new FakeClock(Date.now() + 10 * DAY);
    const s = byName(await tlsProbe.check!(ctx({ host: '127.0.0.1', port: srv.port, servername: 'medic.test' }, { clock: later })));
    expect(s['tls_up']).toBe(1);
    expect(s['tls_expired']).toBe(1);
    expect(s['tls_days_left']).toBeLessThan(-4);
    expect(s['tls_days_left']).toBeGreaterThanOrEqual(-5);
    expect(severityFor(s['tls_days_left']!)).toBe('P0');
  });

  it('takes the time from the injected clock: 25 days left is a P3, 40 days is no problem', async () => {
    const earlier = new FakeClock(Date.now() - 20 * DAY);
    const s = byName(await tlsProbe.check!(ctx({ pem: cert }, { clock: earlier })));
    expect(s['tls_days_left']).toBeGreaterThan(24);
    expect(severityFor(s['tls_days_left']!)).toBe('P3');
    expect(severityFor(40)).toBeNull();
  });

  it('reports tls_up 0 and no expiry when nothing listens', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(byName(await tlsProbe.check!(ctx({ host: '127.0.0.1', port })))).toEqual({ tls_up: 0 });
  });

  it('gives up on a server that never answers the handshake when the signal aborts, and closes its socket', async () => {
    const accepted: Socket[] = [];
    const silent = net.createServer((s) => accepted.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const ac = new AbortController();
    silent.once('connection', () => ac.abort());
    try {
      const port = (silent.address() as AddressInfo).port;
      expect(byName(await tlsProbe.check!(ctx({ host: '127.0.0.1', port }, { signal: ac.signal })))).toEqual({ tls_up: 0 });
      const sock = accepted[0]!;
      // Our side hung up: the server's end sees the close.
      await new Promise<void>((r) => (sock.closed ? r() : sock.once('close', () => r())));
    } finally {
      for (const s of accepted) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('fails the check (probe_error) for a PEM file that holds no certificate', async () => {
    const junk = join(dir, 'junk.pem');
    await writeFile(junk, 'not a certificate\n');
    await expect(tlsProbe.check!(ctx({ pem: junk }))).rejects.toThrow(/no PEM certificate/);
    await expect(tlsProbe.check!(ctx({ pem: join(dir, 'missing.pem') }))).rejects.toThrow(/ENOENT/);
  });
});

describe('tls probe params', () => {
  it('needs exactly one of host or pem', () => {
    expect(tlsProbeParams.safeParse({}).success).toBe(false);
    expect(tlsProbeParams.safeParse({ host: 'example.com', pem: '/etc/ssl/cert.pem' }).success).toBe(false);
    expect(tlsProbeParams.safeParse({ pem: '/etc/ssl/cert.pem', port: 443 }).success).toBe(false);
    expect(tlsProbeParams.safeParse({ pem: 'relative.pem' }).success).toBe(false);
    expect(tlsProbeParams.safeParse({ host: 'example.com', port: 70000 }).success).toBe(false);
    expect(tlsProbeParams.safeParse({ host: 'example.com', extra: 1 }).success).toBe(false);
  });

  it('defaults port 443 and SNI to the host name, but sends no SNI for an IP address', () => {
    expect(certSource(tlsProbeParams.parse({ host: 'example.com' }))).toEqual({ kind: 'endpoint', host: 'example.com', port: 443, servername: 'example.com' });
    expect(certSource(tlsProbeParams.parse({ host: '10.0.0.1', port: '8443' }))).toEqual({ kind: 'endpoint', host: '10.0.0.1', port: 8443, servername: undefined });
    expect(certSource(tlsProbeParams.parse({ host: '10.0.0.1', servername: 'a.example' }))).toMatchObject({ servername: 'a.example' });
  });
});
