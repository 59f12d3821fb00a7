import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../support/api-harness.js';
import { configYaml } from '../support/engine-harness.js';

/** The OpenAPI document is what clients generate code from: it must be valid and complete. */
describe('the OpenAPI document', () => {
  let h: ApiHarness;
  let doc: { openapi: string; paths: Record<string, Record<string, { security?: unknown[]; 'x-medic-role'?: string; responses: Record<string, unknown> }>> };

  beforeAll(async () => {
    h = await startApiHarness({ config: configYaml(''), runbooks: [] });
    const res = await h.request('GET', '/api/v1/openapi.json', { token: null });
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });
  afterAll(async () => h?.close());

  it('passes a standard OpenAPI 3 validator', async () => {
    const result = await new Validator().validate(structuredClone(doc) as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('describes every route the server has, and nothing it does not have', () => {
    const described = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    const registered = h.server.medic.registered.map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`).sort();
    expect(registered.length).toBeGreaterThan(35);
    expect(described).toEqual(registered);
  });

  it('names the role of every protected route, and marks public ones as needing nothing', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const isPublic = ['/healthz', '/readyz', '/api/v1/openapi.json', '/api/docs'].includes(path);
        expect(op.security, `${method} ${path}`).toEqual(isPublic ? [] : expect.arrayContaining([{ bearer: [] }]));
        if (!isPublic) {
          expect(op['x-medic-role'], `${method} ${path}`).toMatch(/^(viewer|operator|admin|superadmin)$/);
          expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403']));
        }
      }
    }
    expect(doc.paths['/api/v1/executions/{id}/approve']!['post']!['x-medic-role']).toBe('admin');
    expect(doc.paths['/api/v1/breakers/{key}/reset']!['post']!['x-medic-role']).toBe('superadmin');
    expect(doc.paths['/api/v1/tokens']!['post']!['x-medic-role']).toBe('superadmin');
  });

  it('serves a docs page that loads nothing from the network', async () => {
    const res = await h.request('GET', '/api/docs', { token: null });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('/api/v1/openapi.json');
    expect(res.body).not.toMatch(/(src|href)\s*=\s*["']?https?:/i);
    expect(res.body).not.toMatch(/@import|url\(\s*["']?https?:/i);
  });
});
