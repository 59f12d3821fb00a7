import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../support/api-harness.js';
import { configYaml } from '../support/engine-harness.js';

const config = configYaml(`
rules:
  - name: never
    targets: [web]
    severity: P3
    condition: { signal: never, fn: last, gt: 0 }
`);

/** The dashboard is served by the engine's own server, and never hides an API answer. */
describe('the dashboard static files', () => {
  let dir: string;
  let h: ApiHarness;
  const app = { inject: (o: { url: string; method?: 'GET' | 'POST' }) => h.server.inject(o) };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medic-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'index-abc123.css'), 'body{}');
    writeFileSync(join(dir, '..', 'medic-web-secret.txt'), 'TOP-SECRET-CONTENT');
    h = await startApiHarness({ config, runbooks: [], api: { webRoot: dir } });
  });

  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(dir, '..', 'medic-web-secret.txt'), { force: true });
  });

  it('serves index.html at / and must be revalidated', async () => {
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toContain('<div id="root">');
  });

  it('serves hashed assets with their type, cached for a year', async () => {
    const js = await app.inject({ url: '/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe('console.log(1)');
    const css = await app.inject({ url: '/assets/index-abc123.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers client routes with index.html (a reload on /incidents/inc_x works)', async () => {
    for (const url of ['/incidents', '/incidents/inc_abc123?x=1', '/operations?tab=audit']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toContain('<div id="root">');
    }
  });

  it('a missing asset is a 404, not the page', async () => {
    const res = await app.inject({ url: '/assets/gone-000.js' });
    expect(res.statusCode).toBe(404);
  });

  it('never shadows the API, /metrics or the health checks', async () => {
    const api = await app.inject({ url: '/api/v1/nothing-here' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await app.inject({ url: '/api' })).headers['content-type']).toMatch(/json/);
    const metrics = await app.inject({ url: '/metrics' });
    expect(metrics.headers['content-type']).not.toMatch(/html/);
    expect(metrics.body).not.toContain('<div id="root">');
    expect((await app.inject({ url: '/healthz' })).json()).toMatchObject({ status: 'ok' });
    // Unauthenticated API calls get the API's answer (401), not the page.
    expect((await app.inject({ url: '/api/v1/incidents' })).statusCode).toBe(401);
  });

  it('does not leave its directory', async () => {
    for (const url of ['/../medic-web-secret.txt', '/%2e%2e/medic-web-secret.txt', '/assets/..%2f..%2fmedic-web-secret.txt']) {
      const res = await app.inject({ url });
      expect(res.body, url).not.toContain('TOP-SECRET-CONTENT');
    }
  });

  it('POST to a page path is not the dashboard', async () => {
    const res = await app.inject({ method: 'POST', url: '/incidents' });
    expect(res.statusCode).toBe(404);
  });
});
