import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../support/api-harness.js';
import { configYaml } from '../support/engine-harness.js';

interface Bad { method: string; url: string; payload?: string; headers?: Record<string, string>; why: string }

const IDS = [
  '../../etc/passwd', '..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2fetc', "1' OR '1'='1", "exe_1'; DROP TABLE executions;--",
  'inc_%00abc', 'x'.repeat(5000), '%F0%9F%92%A5', '%20inc_ABCDEF12', '%0d%0aSet-Cookie:x=1',
];
const QUERIES = [
  'limit=-1', 'limit=0', 'limit=501', 'limit=1e309', 'limit=abc', 'limit=99999999999999999999', 'offset=-5', 'offset=1.5',
  'offset=1000001', 'order=sideways', 'since=-1', 'until=yesterday', 'zzz=1', 'limit=1&limit=2', `rule=${'r'.repeat(5000)}`,
  "status=open'--", 'severity=P9', 'status=%00',
];
const BODIES: [string, string][] = [
  ['{', 'bad JSON'], ['{"a":', 'truncated JSON'], ['[1,2', 'truncated array'], ['nul', 'bad literal'], ["{'a':1}", 'single quotes'],
  ['[]', 'an array'], ['"text"', 'a string'], ['42', 'a number'], ['null', 'null'], ['{"__proto__":{"x":1},"zzz":1}', 'prototype key'],
  ['{"unknown_field":1}', 'unknown field'], [`{"reason":"${'r'.repeat(20_000)}","name":"${'n'.repeat(20_000)}"}`, 'huge strings'],
];

/**
 * At least 200 malformed requests, with the most powerful token so that only
 * the input is wrong: every answer is a 4xx JSON error, the server keeps
 * answering, and not one row changes.
 */
describe('malformed requests', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness({ config: configYaml(''), runbooks: [], api: { bodyLimit: 64 * 1024 } });
  });
  afterAll(async () => h?.close());

  function cases(): Bad[] {
    const out: Bad[] = [];
    const routes = h.server.medic.routes.filter((r) => r.auth !== 'public');
    for (const r of routes) {
      const withParams = r.url.includes(':');
      const sample = r.url.replace(':id', 'exe_0000000000abcdef').replace(':name', 'cpu').replace(':key', 'a@b');
      if (withParams) for (const id of IDS) out.push({ method: r.method, url: r.url.replace(/:(id|name|key)/, id), why: `id ${id.slice(0, 20)}` });
      if (r.query && r.method === 'GET' && r.url !== '/api/v1/events') {
        for (const q of QUERIES) out.push({ method: r.method, url: `${sample}?${q}`, why: `query ${q.slice(0, 30)}` });
      }
      if (r.body && !r.url.endsWith('/validate')) {
        for (const [payload, why] of BODIES) out.push({ method: r.method, url: sample, payload, headers: { 'content-type': 'application/json' }, why });
        out.push({ method: r.method, url: sample, payload: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, why: 'form body' });
        out.push({ method: r.method, url: sample, payload: 'text', headers: { 'content-type': 'text/plain' }, why: 'text body' });
        out.push({ method: r.method, url: sample, payload: JSON.stringify({ x: 'y'.repeat(100 * 1024) }), headers: { 'content-type': 'application/json' }, why: 'over the body limit' });
      }
    }
    // Wrong types in otherwise plausible bodies.
    const typed: [string, string, unknown][] = [
      ['POST', '/api/v1/executions', { runbook: 1, target: 'web', reason: 'x' }],
      ['POST', '/api/v1/executions', { runbook: 'r', target: 'web', reason: 'x', dry_run: 'yes' }],
      ['POST', '/api/v1/executions', { runbook: '../r', target: 'web', reason: 'x' }],
      ['POST', '/api/v1/executions', { runbook: 'r', target: 'web' }],
      ['POST', '/api/v1/plans', { incident: "inc_' OR 1=1" }],
      ['POST', '/api/v1/plans', { incident: 'inc_0000000000abcdef', runbook: 'r' }],
      ['PATCH', '/api/v1/settings', { autoRemediation: 'false' }],
      ['PATCH', '/api/v1/settings', { mode: 'chaos' }],
      ['PATCH', '/api/v1/settings', { rateLimits: { globalPerMinute: -1 } }],
      ['PATCH', '/api/v1/settings', { rateLimits: { perHour: 3 } }],
      ['PATCH', '/api/v1/settings', { cooldownMs: 1e300 }],
      ['PATCH', '/api/v1/settings', {}],
      ['POST', '/api/v1/tokens', { name: 'x', role: 'god' }],
      ['POST', '/api/v1/tokens', { name: '', role: 'viewer' }],
      ['POST', '/api/v1/tokens', { name: 'a b', role: 'viewer' }],
      ['POST', '/api/v1/tokens', { name: 'x', role: 'viewer', expiresAt: 'tomorrow' }],
      ['POST', '/api/v1/tokens', { name: 'x', role: 'viewer', expiresAt: 1 }],
      ['POST', '/api/v1/silences', { matchers: [], duration: '1h', comment: 'x' }],
      ['POST', '/api/v1/silences', { matchers: [{ label: 't', op: '~~', value: 'x' }], duration: '1h', comment: 'x' }],
      ['POST', '/api/v1/silences', { matchers: [{ label: 't', op: '=', value: 'x' }], comment: 'x' }],
      ['POST', '/api/v1/silences', { matchers: [{ label: 't', op: '=', value: 'x' }], duration: 'forever', comment: 'x' }],
      ['POST', '/api/v1/silences', { matchers: [{ label: 't', op: '=', value: 'x' }], startsAt: 10, endsAt: 5, comment: 'x' }],
      ['POST', '/api/v1/rules/test', { signals: { web: { cpu: 'high' } } }],
      ['POST', '/api/v1/rules/test', { signals: [] }],
      ['POST', '/api/v1/rules', { name: 7 }],
      ['POST', '/api/v1/executions/exe_0000000000abcdef/reject', {}],
      ['POST', '/api/v1/executions/exe_0000000000abcdef/rollback', { reason: '' }],
      ['POST', '/api/v1/executions/exe_0000000000abcdef/approve', { comment: 5 }],
    ];
    for (const [method, url, body] of typed) out.push({ method, url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json' }, why: JSON.stringify(body).slice(0, 60) });
    for (const q of ['window=1y', 'window=', 'window=24h&x=1']) out.push({ method: 'GET', url: `/api/v1/stats?${q}`, why: q });
    for (const q of ['before=-1', 'after=1e20', 'before=abc']) out.push({ method: 'GET', url: `/api/v1/incidents/inc_0000000000abcdef/signals?${q}`, why: q });
    out.push({ method: 'GET', url: '/api/v1/events?lastEventId=-3', why: 'negative lastEventId' });
    out.push({ method: 'GET', url: '/api/v1/events?zzz=1', why: 'unknown query on events' });
    out.push({ method: 'POST', url: '/api/v1/runbooks/validate', payload: 'x', headers: { 'content-type': 'application/octet-stream' }, why: 'binary runbook' });
    out.push({ method: 'POST', url: '/api/v1/runbooks/validate', payload: '{', headers: { 'content-type': 'application/json' }, why: 'bad JSON runbook' });
    out.push({ method: 'DELETE', url: '/api/v1/incidents', why: 'no such method' });
    return out;
  }

  it('answers each with a 4xx JSON error naming the problem, stays up, and changes no row', async () => {
    const all = cases();
    expect(all.length).toBeGreaterThanOrEqual(200);
    const before = await h.snapshot();
    const statuses = new Map<number, number>();
    for (const c of all) {
      const res = await h.server.inject({
        method: c.method as 'GET', url: c.url,
        headers: { authorization: `Bearer ${h.tokens.superadmin}`, ...c.headers },
        ...(c.payload !== undefined ? { payload: c.payload } : {}),
      });
      const label = `${c.method} ${c.url.slice(0, 80)} (${c.why}) -> ${res.statusCode} ${res.body.slice(0, 200)}`;
      expect(res.statusCode, label).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, label).toBeLessThan(500);
      expect(res.headers['content-type'], label).toContain('application/json');
      const body = res.json();
      expect(typeof body.error?.code, label).toBe('string');
      expect(body.error?.code, label).toMatch(/^[a-z_]+$/);
      expect(body.error.message.length, label).toBeGreaterThan(0);
      expect(body.error.message.length, label).toBeLessThan(1000);
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    }
    expect((await h.request('GET', '/healthz', { token: null })).statusCode).toBe(200);
    expect(await h.snapshot()).toEqual(before);
    expect([...statuses.keys()].sort()).toEqual([400, 404, 413, 414, 415]);
  });

  it('names the wrong field', async () => {
    const unknown = await h.request('POST', '/api/v1/tokens', { body: { name: 'x', role: 'viewer', rol: 'admin' } });
    expect(unknown.json().error.message).toBe('body.rol: unknown field "rol"');
    const type = await h.request('PATCH', '/api/v1/settings', { body: { rateLimits: { globalPerHour: 'ten' } } });
    expect(type.json().error.message).toMatch(/^body\.rateLimits\.globalPerHour: /);
    const limit = await h.request('GET', '/api/v1/incidents?limit=501');
    expect(limit.json().error).toMatchObject({ code: 'bad_request', details: [{ in: 'query', field: 'limit' }] });
    const big = await h.request('POST', '/api/v1/tokens', { body: { name: 'x'.repeat(70_000), role: 'viewer' } });
    expect(big.statusCode).toBe(413);
  });
});
