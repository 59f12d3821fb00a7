import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../support/api-harness.js';
import { configYaml } from '../support/engine-harness.js';

describe('token names', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness({ config: configYaml(''), runbooks: [] });
  });
  afterAll(async () => h?.close());

  it('refuses the names the engine acts under, so no token passes for the engine or skips four eyes', async () => {
    for (const name of ['engine', 'Engine', 'anonymous', 'cli']) {
      const res = await h.request('POST', '/api/v1/tokens', { token: h.tokens.superadmin, body: { name, role: 'operator' } });
      expect(res.statusCode, name).toBe(400);
      expect(res.json().error, name).toMatchObject({ code: 'bad_request', message: expect.stringContaining('name: reserved for the engine') });
      expect(res.json().error.details, name).toEqual([expect.objectContaining({ field: 'name' })]);
    }
    const fine = await h.request('POST', '/api/v1/tokens', { token: h.tokens.superadmin, body: { name: 'engineer', role: 'operator' } });
    expect(fine.statusCode).toBe(201);
    expect((await h.request('GET', '/api/v1/tokens', { token: h.tokens.superadmin })).json().items.map((t: { name: string }) => t.name)).not.toContain('engine');
  });
});
