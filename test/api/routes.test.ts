import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../src/api/route.js';
import { startApiHarness, type ApiHarness, COOL_WEB_RUNBOOK, cpuHighConfig } from '../support/api-harness.js';

const config = cpuHighConfig(['{ severity: P1, gt: 95 }', '{ severity: P2, gt: 85 }']);
const runbook = COOL_WEB_RUNBOOK;

/**
 * Every route against the real engine: each answers what its schema (and so
 * the OpenAPI document) promises, and the mutations do what they say.
 */
describe('every route, against the real engine', () => {
  let h: ApiHarness;
  let incidentId: string;
  let executionId: string;

  beforeAll(async () => {
    h = await startApiHarness({ config, runbooks: [runbook], onRecord: (_p, world) => { world['cpu'] = 10; } });
    const done = h.next('execution:transition', (e) => e.execution.status === 'succeeded');
    h.world['cpu'] = 90;
    const { execution } = await done;
    executionId = execution.id;
    incidentId = execution.incidentId!;
    await h.engine.idle();
  });
  afterAll(async () => h?.close());

  function route(method: string, url: string): Route {
    const r = h.server.medic.routes.find((x) => x.method === method && x.url === url);
    if (!r) throw new Error(`no route ${method} ${url}`);
    return r;
  }

  async function ok(method: string, url: string, path: string, body?: unknown, token = h.tokens.superadmin): Promise<Record<string, unknown>> {
    const res = await h.request(method, path, { token, ...(body !== undefined ? { body } : {}) });
    const r = route(method, url);
    expect(res.statusCode, `${method} ${path}: ${res.body.slice(0, 300)}`).toBe(r.status ?? 200);
    const json = res.json();
    if (!('contentType' in r.response)) {
      const parsed = r.response.safeParse(json);
      expect(parsed.success, `${method} ${url} answer vs its schema: ${parsed.error?.message}`).toBe(true);
    }
    return json;
  }

  it('reads: each GET answers 200 in the shape its schema promises', async () => {
    const gets: [string, string][] = [
      ['/api/v1/whoami', '/api/v1/whoami'],
      ['/api/v1/problems', '/api/v1/problems'],
      ['/api/v1/incidents', '/api/v1/incidents?status=resolved,open&severity=P2&sort=severity&order=asc'],
      ['/api/v1/incidents/stats', '/api/v1/incidents/stats'],
      ['/api/v1/incidents/:id', `/api/v1/incidents/${incidentId}`],
      ['/api/v1/incidents/:id/signals', `/api/v1/incidents/${incidentId}/signals?before=60000&after=60000`],
      ['/api/v1/executions', `/api/v1/executions?incident=${incidentId}`],
      ['/api/v1/executions/:id', `/api/v1/executions/${executionId}`],
      ['/api/v1/approvals', '/api/v1/approvals'],
      ['/api/v1/stats', '/api/v1/stats?window=7d'],
      ['/api/v1/health-score', '/api/v1/health-score'],
      ['/api/v1/settings', '/api/v1/settings'],
      ['/api/v1/rules', '/api/v1/rules'],
      ['/api/v1/runbooks', '/api/v1/runbooks'],
      ['/api/v1/runbooks/:name', '/api/v1/runbooks/cool-web'],
      ['/api/v1/breakers', '/api/v1/breakers'],
      ['/api/v1/silences', '/api/v1/silences'],
      ['/api/v1/audit', '/api/v1/audit?kind=execution&limit=5'],
      ['/api/v1/audit/verify', '/api/v1/audit/verify'],
      ['/api/v1/tokens', '/api/v1/tokens'],
      ['/api/v1/intake/alerts', '/api/v1/intake/alerts?outcome=unrouted,firing&limit=5'],
      ['/api/v1/intake/unrouted', '/api/v1/intake/unrouted'],
      ['/api/v1/intake/firing', '/api/v1/intake/firing'],
      ['/api/v1/openapi.json', '/api/v1/openapi.json'],
      ['/healthz', '/healthz'],
      ['/readyz', '/readyz'],
    ];
    for (const [url, path] of gets) await ok('GET', url, path, undefined, url.startsWith('/api/v1/tokens') ? h.tokens.superadmin : h.tokens.viewer);
    const untested = h.server.medic.routes.filter((r) => r.method === 'GET' && !gets.some(([u]) => u === r.url)).map((r) => r.url);
    expect(untested).toEqual(['/api/docs', '/api/v1/events']); // HTML and SSE: test/api/openapi.test.ts and events.test.ts

    const incident = await ok('GET', '/api/v1/incidents/:id', `/api/v1/incidents/${incidentId}`);
    expect(incident).toMatchObject({ id: incidentId, status: 'resolved', executions: [{ id: executionId, status: 'succeeded' }] });
    expect((incident['timeline'] as unknown[]).length).toBeGreaterThan(1);
    const execution = await ok('GET', '/api/v1/executions/:id', `/api/v1/executions/${executionId}`);
    expect((execution['steps'] as { name: string }[]).map((s) => s.name)).toContain('cool');
    const stats = await ok('GET', '/api/v1/incidents/stats', '/api/v1/incidents/stats');
    expect(stats).toMatchObject({ total: 1, byRule: { 'cpu-high': 1 } });
    const page = await ok('GET', '/api/v1/incidents', '/api/v1/incidents?limit=1&offset=5');
    expect(page).toEqual({ items: [], total: 1, limit: 1, offset: 5 });
  });

  it('mutations do what they say, answered in their schema\'s shape', async () => {
    const op = h.tokens.operator;
    const plan = await ok('POST', '/api/v1/plans', '/api/v1/plans', { runbook: 'cool-web', target: 'web' }, op);
    expect(plan).toMatchObject({ runbook: 'cool-web', target: 'web' });
    const before = (await h.engine.store.executions.list({})).total;
    const dry = await ok('POST', '/api/v1/executions', '/api/v1/executions', { runbook: 'cool-web', target: 'web', reason: 'try', dry_run: true }, op);
    expect((dry['verdict'] as { kind: string }).kind).toBe('dry_run');
    expect((await h.engine.store.executions.list({})).total).toBe(before + 1);

    const silence = await ok('POST', '/api/v1/silences', '/api/v1/silences', { matchers: [{ label: 'target', op: '=', value: 'web' }], duration: '2h', comment: 'deploy' }, op);
    expect(silence).toMatchObject({ state: 'active', createdBy: 'operator-tok', comment: 'deploy' });
    const expired = await ok('DELETE', '/api/v1/silences/:id', `/api/v1/silences/${silence['id'] as string}`, undefined, op);
    expect(expired['state']).toBe('expired');

    const rule = { name: 'mem-high', targets: ['web'], value: { signal: 'mem', fn: 'last' }, bands: [{ severity: 'P3', gt: 90 }] };
    const created = await ok('POST', '/api/v1/rules', '/api/v1/rules', rule, h.tokens.admin);
    expect(created).toMatchObject({ name: 'mem-high', source: 'api' });
    await ok('PUT', '/api/v1/rules/:name', '/api/v1/rules/mem-high', { ...rule, bands: [{ severity: 'P2', gt: 95 }] }, h.tokens.admin);
    const tested = await ok('POST', '/api/v1/rules/test', '/api/v1/rules/test', { signals: { web: { cpu: 99, mem: 96 } } }, h.tokens.viewer);
    expect(tested['results']).toEqual(expect.arrayContaining([
      expect.objectContaining({ rule: 'cpu-high', target: 'web', holds: true, severity: 'P1', runbook: 'cool-web', needsApproval: true }),
      expect.objectContaining({ rule: 'mem-high', target: 'web', holds: true, severity: 'P2' }),
    ]));
    await ok('DELETE', '/api/v1/rules/:name', '/api/v1/rules/mem-high', undefined, h.tokens.admin);
    const fileRule = await h.request('DELETE', '/api/v1/rules/cpu-high', { token: h.tokens.admin });
    expect(fileRule.statusCode).toBe(409);

    const empty = await h.request('POST', '/api/v1/runbooks/validate', { token: h.tokens.viewer });
    expect(empty.statusCode).toBe(400);
    const yaml = await h.request('POST', '/api/v1/runbooks/validate', { token: h.tokens.viewer, payload: 'name: x\nsteps: nope\n', headers: { 'content-type': 'application/yaml' } });
    expect(yaml.statusCode).toBe(200);
    expect(yaml.json()).toMatchObject({ valid: false });
    expect(yaml.json().errors.length).toBeGreaterThan(0);
    const good = await h.request('POST', '/api/v1/runbooks/validate', { token: h.tokens.viewer, payload: runbook, headers: { 'content-type': 'text/plain' } });
    expect(good.json()).toEqual({ valid: true, errors: [] });

    const settings = await ok('PATCH', '/api/v1/settings', '/api/v1/settings', { autoRemediation: false, rateLimits: { globalPerHour: 20 } });
    expect(settings).toMatchObject({ autoRemediation: false, rateLimits: { globalPerHour: 20 } });
    const audit = await h.engine.store.audit.list({ kind: 'setting', actor: 'superadmin-tok' });
    expect(audit.total).toBeGreaterThanOrEqual(2);

    const reset = await ok('POST', '/api/v1/breakers/:key/reset', '/api/v1/breakers/cool-web@web/reset');
    expect(reset).toMatchObject({ key: 'cool-web@web', state: 'closed', failures: [] });

    const tok = await ok('POST', '/api/v1/tokens', '/api/v1/tokens', { name: 'bot', role: 'viewer', expiresAt: Date.now() + 3_600_000 });
    const revoked = await ok('DELETE', '/api/v1/tokens/:id', `/api/v1/tokens/${tok['id'] as string}`);
    expect(revoked['state']).toBe('revoked');
  });
});
