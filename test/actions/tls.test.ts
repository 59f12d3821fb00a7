import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net, { type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tlsRenewAction, type TlsRenewParams } from '../../src/actions/tls.js';
import type { ActionContext, NotifierPort } from '../../src/actions/types.js';
import { ActionError } from '../../src/core/errors.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';

const OPENSSL = '/usr/bin/openssl';

function certArgv(key: string, cert: string, days: number): string[] {
  return [
    OPENSSL, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', String(days), '-subj', '/CN=medic.test',
  ];
}

async function makeCert(key: string, cert: string, days: number): Promise<void> {
  const [program, ...args] = certArgv(key, cert, days) as [string, ...string[]];
  await promisify(execFile)(program, args, { timeout: 10_000 });
}

interface TlsTestServer {
  port: number;
  close(): Promise<void>;
}

/** Serves whatever key.pem/cert.pem hold at the time of each handshake, so a renewal shows on the next connection. */
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

function ctx(params: Record<string, unknown>): ActionContext<TlsRenewParams> {
  return {
    params: tlsRenewAction.schema.parse(params),
    targetName: 'web',
    target: undefined,
    incident: null,
    executionId: 'ex-1',
    clock: systemClock,
    signal: AbortSignal.timeout(20_000),
    log: silentLogger,
    supervisor: {} as SupervisorPort,
    notifier: { notify: () => {} } as NotifierPort,
  };
}

async function rejection(p: Promise<unknown>): Promise<ActionError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ActionError);
    return err as ActionError;
  }
  throw new Error('expected a rejection');
}

const DO_NOTHING = [process.execPath, '-e', ''];

describe('tls.renew', () => {
  let dir: string;
  let key: string;
  let cert: string;
  let srv: TlsTestServer;
  let endpoint: Record<string, unknown>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'medic-tls-renew-'));
    key = join(dir, 'key.pem');
    cert = join(dir, 'cert.pem');
    await makeCert(key, cert, 5);
    srv = await startTlsServer(key, cert);
    endpoint = { host: '127.0.0.1', port: srv.port, servername: 'medic.test' };
  });
  afterEach(async () => {
    await srv.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('succeeds when the renewal program installs a certificate the endpoint then serves, and reports old and new notAfter', async () => {
    const out = await tlsRenewAction.execute(ctx({ argv: certArgv(key, cert, 90), ...endpoint }));
    const data = out.data as { oldNotAfter: string; newNotAfter: string; gainDays: number; daysLeft: number; replaced: boolean };
    expect(Date.parse(data.newNotAfter)).toBeGreaterThan(Date.parse(data.oldNotAfter));
    expect(data.gainDays).toBeGreaterThan(84);
    expect(data.gainDays).toBeLessThanOrEqual(85.01);
    expect(data.daysLeft).toBeGreaterThan(89);
    expect(data.replaced).toBe(true);
    expect(out.summary).toContain(data.oldNotAfter);
    expect(out.summary).toContain(data.newNotAfter);
  });

  it('fails when the renewal program does nothing: the expiry did not move', async () => {
    const err = await rejection(tlsRenewAction.execute(ctx({ argv: DO_NOTHING, ...endpoint })));
    expect(err.code).toBe('failed');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/exited 0 but the certificate of 127\.0\.0\.1:\d+ \(SNI medic\.test\) still expires .* did not move/);
  });

  it('fails when the renewal program fails, with its last output', async () => {
    const err = await rejection(tlsRenewAction.execute(ctx({ argv: [process.execPath, '-e', 'console.error("acme: rate limited"); process.exit(2)'], ...endpoint })));
    expect(err.code).toBe('failed');
    expect(err.message).toContain('exit code 2');
    expect(err.message).toContain('acme: rate limited');
  });

  it('fails when the expiry moved less than min_days_gain', async () => {
    const err = await rejection(tlsRenewAction.execute(ctx({ argv: certArgv(key, cert, 30), ...endpoint, min_days_gain: 60 })));
    expect(err.code).toBe('failed');
    expect(err.message).toMatch(/moved only 2\d(\.\d+)? d \(wanted 60 d\)/);
  });

  it('checks a PEM file when given pem instead of an endpoint', async () => {
    const out = await tlsRenewAction.execute(ctx({ argv: certArgv(key, cert, 90), pem: cert }));
    expect((out.data as { gainDays: number }).gainDays).toBeGreaterThan(84);
  });

  it('runs nothing when the current certificate cannot be read', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const marker = join(dir, 'ran');
    const err = await rejection(tlsRenewAction.execute(ctx({ argv: [process.execPath, '-e', `require("fs").writeFileSync(${JSON.stringify(marker)}, "x")`], host: '127.0.0.1', port })));
    expect(err.code).toBe('unavailable');
    expect(err.message).toContain('nothing was run');
    expect(existsSync(marker)).toBe(false);
  });

  it('plans without running or connecting, and has no rollback', async () => {
    const plan = await tlsRenewAction.plan(ctx({ argv: ['certbot', 'renew', '--cert-name', 'web'], host: 'web.example', timeout: '2m' }));
    expect(plan.summary).toBe('run certbot renew --cert-name web (timeout 2m0s), then check that the certificate of web.example:443 moved its expiry forward');
    expect(tlsRenewAction.rollback).toBeUndefined();
    expect(tlsRenewAction).toMatchObject({ type: 'tls.renew', mutates: true, idempotent: false });
  });

  it('rejects params without exactly one place to check', () => {
    expect(tlsRenewAction.schema.safeParse({ argv: DO_NOTHING }).success).toBe(false);
    expect(tlsRenewAction.schema.safeParse({ argv: DO_NOTHING, host: 'a', pem: '/x.pem' }).success).toBe(false);
    expect(tlsRenewAction.schema.safeParse({ argv: [], host: 'a' }).success).toBe(false);
    expect(tlsRenewAction.schema.safeParse({ argv: DO_NOTHING, host: 'a', min_days_gain: 0 }).success).toBe(false);
  });
});
