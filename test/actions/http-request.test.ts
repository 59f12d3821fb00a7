import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequestAction, retryAfterMs, type HttpRequestParams } from '../../src/actions/http-request.js';
import type { ActionContext, NotifierPort } from '../../src/actions/types.js';
import type { Clock } from '../../src/core/clock.js';
import { ActionError } from '../../src/core/errors.js';
import { systemClock } from '../../src/drivers/clock.js';
import { createLogger } from '../../src/drivers/log.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';
import { FakeClock } from '../support/fake-clock.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const seen: Seen[] = [];
let onHang: (() => void) | null = null;
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const path = req.url!.split('?')[0];
      if (path === '/ok') res.end('{"queued":true}');
      else if (path === '/created') {
        res.statusCode = 201;
        res.end();
      } else if (path === '/missing') {
        res.statusCode = 404;
        res.end('no such hook');
      } else if (path === '/busy') {
        res.statusCode = 429;
        res.setHeader('retry-after', '7');
        res.end();
      } else if (path === '/broken') {
        res.statusCode = 502;
        res.end('bad gateway');
      } else if (path === '/big') res.end('x'.repeat(100_000));
      else if (path === '/hang') onHang?.();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function ctx(params: Record<string, unknown>, opts: { clock?: Clock; signal?: AbortSignal; logs?: string[] } = {}): ActionContext<HttpRequestParams> {
  const logs = opts.logs ?? [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  return {
    params: httpRequestAction.schema.parse(params),
    targetName: 'demo',
    target: undefined,
    incident: null,
    executionId: 'ex-1',
    clock: opts.clock ?? systemClock,
    signal: opts.signal ?? new AbortController().signal,
    log: createLogger({ level: 'debug', destination }),
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

describe('http.request action', () => {
  it('POSTs JSON by default and reports the answer', async () => {
    const out = await httpRequestAction.execute(ctx({ url: `${base}/ok`, body: { service: 'demo', replicas: 2 } }));
    const req = seen.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ service: 'demo', replicas: 2 });
    expect(out.summary).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/ok → 200 in \d+ms$/);
    expect(out.output).toBe('{"queued":true}');
    expect(out.data).toMatchObject({ status: 200, truncated: false });
  });

  it('sends a string body as it is', async () => {
    await httpRequestAction.execute(ctx({ url: `${base}/ok`, method: 'put', body: 'plain words', headers: { 'Content-Type': 'text/plain' } }));
    expect(seen.at(-1)).toMatchObject({ method: 'PUT', body: 'plain words', headers: { 'content-type': 'text/plain' } });
  });

  it('accepts any 2xx by default, or exactly the statuses listed', async () => {
    await expect(httpRequestAction.execute(ctx({ url: `${base}/created` }))).resolves.toMatchObject({ data: { status: 201 } });
    const err = await rejection(httpRequestAction.execute(ctx({ url: `${base}/created`, expect_status: 200 })));
    expect(err.message).toMatch(/answered 201, expected 200/);
  });

  it('fails for good on a 4xx, with the body in the message', async () => {
    const err = await rejection(httpRequestAction.execute(ctx({ url: `${base}/missing` })));
    expect(err.code).toBe('failed');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/answered 404, expected 2xx: no such hook/);
  });

  it('makes 5xx and 429 retryable, honouring Retry-After', async () => {
    const busy = await rejection(httpRequestAction.execute(ctx({ url: `${base}/busy` })));
    expect(busy).toMatchObject({ code: 'unavailable', retryable: true, retryAfterMs: 7000 });
    const broken = await rejection(httpRequestAction.execute(ctx({ url: `${base}/broken` })));
    expect(broken).toMatchObject({ code: 'unavailable', retryable: true });
  });

  it('reads a refused connection as unavailable', async () => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const err = await rejection(httpRequestAction.execute(ctx({ url: `http://127.0.0.1:${port}/x` })));
    expect(err).toMatchObject({ code: 'unavailable', retryable: true });
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('times out on its own timeout, by the injected clock', async () => {
    const clock = new FakeClock();
    const held = new Promise<void>((r) => (onHang = r));
    const running = httpRequestAction.execute(ctx({ url: `${base}/hang`, timeout: '3s' }, { clock }));
    const failure = rejection(running);
    await held;
    await clock.advance(3000);
    const err = await failure;
    expect(err).toMatchObject({ code: 'timeout', retryable: true });
    expect(err.message).toMatch(/within 3s/);
  });

  it('stops when the step is aborted', async () => {
    const abort = new AbortController();
    onHang = () => abort.abort();
    const err = await rejection(httpRequestAction.execute(ctx({ url: `${base}/hang` }, { signal: abort.signal })));
    expect(err).toMatchObject({ code: 'aborted', retryable: false });
  });

  it('caps the response body it keeps', async () => {
    const out = await httpRequestAction.execute(ctx({ url: `${base}/big`, method: 'GET', max_response_bytes: 1000 }));
    expect(out.data).toMatchObject({ truncated: true });
    expect(out.output!.startsWith('x'.repeat(1000))).toBe(true);
    expect(out.output).toMatch(/truncated at 1000 bytes/);
  });

  it('never shows header values or the query string in logs, plans or outcomes', async () => {
    const logs: string[] = [];
    const params = { url: `${base}/ok?token=sekrit-query`, headers: { Authorization: 'Bearer sekrit-header' }, body: {} };
    const c = ctx(params, { logs });
    const plan = await httpRequestAction.plan(c);
    const out = await httpRequestAction.execute(c);
    expect(seen.at(-1)!.headers['authorization']).toBe('Bearer sekrit-header');
    const shown = JSON.stringify([plan, out.summary, out.data, logs]);
    expect(shown).not.toMatch(/sekrit/);
    expect(plan.details).toMatchObject({ headers: ['Authorization'] });
    expect(logs.length).toBeGreaterThan(0);
  });

  it('rolls back with the given request, reusing url and headers', async () => {
    const c = ctx({ url: `${base}/ok`, headers: { 'X-Key': 'k' }, rollback: { method: 'DELETE' } });
    await httpRequestAction.rollback!(c, undefined);
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/ok', headers: { 'x-key': 'k' } });
    expect((await httpRequestAction.rollback!(ctx({ url: `${base}/ok` }), undefined)).summary).toMatch(/nothing to undo/);
  });

  it('is conservatively declared not idempotent', () => {
    expect(httpRequestAction.idempotent).toBe(false);
    expect(httpRequestAction.mutates).toBe(true);
  });

  it('validates params', () => {
    const bad = [
      { url: 'file:///etc/passwd' },
      { url: 'http://user:pw@host/' },
      { url: 'http://h/', method: 'GET', body: 'x' },
      { url: 'http://h/', headers: { 'X-A': 'a\r\nInjected: 1' } },
      { url: 'http://h/', extra: 1 },
    ];
    for (const p of bad) expect(httpRequestAction.schema.safeParse(p).success).toBe(false);
    expect(httpRequestAction.schema.parse({ url: 'http://h/' })).toMatchObject({ method: 'POST', timeout: 10_000 });
  });

  it('reads Retry-After as seconds or a date', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
