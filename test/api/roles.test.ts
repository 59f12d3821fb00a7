import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, roleAtLeast, type Role } from '../../src/api/auth.js';
import { authRole, type Route } from '../../src/api/route.js';
import { startApiHarness, type ApiHarness, COOL_WEB_RUNBOOK, cpuHighConfig } from '../support/api-harness.js';
import { engineApi } from '../../src/engine/api-port.js';

const config = cpuHighConfig(['{ severity: P1, gt: 95 }'], { cooldownZero: false });
const runbook = COOL_WEB_RUNBOOK;

/** A concrete URL for a route: ids that look real, so nothing but the role decides. */
function urlOf(r: Route, id: string): string {
  return r.url.replace(':id', id).replace(':name', 'cpu-high').replace(':key', 'cool-web@web');
}

const bodies: Record<string, unknown> = {
  'POST /api/v1/plans': { runbook: 'cool-web', target: 'web' },
  'POST /api/v1/executions': { runbook: 'cool-web', target: 'web', reason: 'test' },
  'POST /api/v1/executions/:id/approve': { comment: 'ok' },
  'POST /api/v1/executions/:id/reject': { reason: 'no' },
  'POST /api/v1/executions/:id/rollback': { reason: 'undo' },
  'POST /api/v1/executions/:id/resume': { assume_done: true },
  'POST /api/v1/executions/:id/abandon': { reason: 'done by hand' },
  'PATCH /api/v1/settings': { autoRemediation: false },
  'POST /api/v1/rules': { name: 'new-rule' },
  'PUT /api/v1/rules/:name': { name: 'cpu-high' },
  'POST /api/v1/silences': { matchers: [{ label: 'target', op: '=', value: 'web' }], duration: '1h', comment: 'x' },
  'POST /api/v1/tokens': { name: 'sneaky', role: 'superadmin' },
  'POST /api/v1/rules/test': { signals: { web: { cpu: 99 } } },
  'POST /api/v1/runbooks/validate': { name: 'x' },
};

/**
 * Every protected route × every role: below the route's role → 403, no or a
 * bad token → 401, and whatever was refused changed nothing in any table.
 */
describe('roles and routes', () => {
  let h: ApiHarness;
  let waiting: string;

  beforeAll(async () => {
    h = await startApiHarness({ config, runbooks: [runbook], onRecord: (_p, world) => { world['cpu'] = 10; } });
    const created = h.next('execution:created');
    h.world['cpu'] = 99;
    waiting = (await created).execution.id;
    await h.engine.idle();
  });
  afterAll(async () => h?.close());

  const protectedRoutes = () => h.server.medic.routes.filter((r) => r.auth !== 'public');
  const mutating = () => protectedRoutes().filter((r) => r.method !== 'GET' && authRole(r.auth) !== 'viewer');

  it('covers every mutating route of the contract', () => {
    expect(mutating().map((r) => `${r.method} ${r.url}`).sort()).toEqual([
      'DELETE /api/v1/rules/:name', 'DELETE /api/v1/silences/:id', 'DELETE /api/v1/tokens/:id',
      'PATCH /api/v1/settings',
      'POST /api/v1/breakers/:key/reset', 'POST /api/v1/executions', 'POST /api/v1/executions/:id/abandon',
      'POST /api/v1/executions/:id/approve', 'POST /api/v1/executions/:id/reject', 'POST /api/v1/executions/:id/resume',
      'POST /api/v1/executions/:id/rollback',
      'POST /api/v1/intake/alertmanager', 'POST /api/v1/intake/webhook', 'POST /api/v1/plans',
      'POST /api/v1/rules', 'POST /api/v1/silences', 'POST /api/v1/tokens',
      'PUT /api/v1/rules/:name',
    ]);
  });

  it('refuses every mutating route to a viewer (403) and to no token (401), and nothing changes', async () => {
    const before = await h.snapshot();
    let checked = 0;
    for (const r of mutating()) {
      const body = bodies[`${r.method} ${r.url}`];
      const opts = body !== undefined ? { body } : {};
      const url = urlOf(r, waiting);
      const anon = await h.request(r.method, url, { ...opts, token: null });
      expect(anon.statusCode, `${r.method} ${url} without a token`).toBe(401);
      expect(anon.json().error.code).toBe('unauthorized');
      const viewer = await h.request(r.method, url, { ...opts, token: h.tokens.viewer });
      expect(viewer.statusCode, `${r.method} ${url} as viewer`).toBe(403);
      expect(viewer.json().error.code).toBe('forbidden');
      // Custom-auth routes (the intake) say it their way; the others name the role needed and the role given.
      if (typeof r.auth === 'string') expect(viewer.json().error.details).toEqual({ need: authRole(r.auth), have: 'viewer' });
      checked++;
    }
    expect(checked).toBe(18);
    expect(await h.snapshot()).toEqual(before);
    expect((await h.engine.store.executions.get(waiting))?.status).toBe('awaiting_approval');
  });

  it('refuses every role below the route\'s own, on every protected route, and nothing changes', async () => {
    const before = await h.snapshot();
    const refusals: string[] = [];
    for (const r of protectedRoutes()) {
      const need = authRole(r.auth)!;
      for (const role of ROLES.filter((x: Role) => !roleAtLeast(x, need))) {
        const body = bodies[`${r.method} ${r.url}`];
        const res = await h.request(r.method, urlOf(r, waiting), { ...(body !== undefined ? { body } : {}), token: h.tokens[role] });
        expect(res.statusCode, `${r.method} ${r.url} as ${role}`).toBe(403);
        refusals.push(`${role} ${r.method} ${r.url}`);
      }
    }
    expect(refusals.length).toBeGreaterThan(20);
    expect(await h.snapshot()).toEqual(before);
  });

  it('answers 401 to unknown, malformed, revoked and expired tokens on every protected route', async () => {
    const revoked = await h.server.medic.tokens.create({ name: 'gone', role: 'superadmin' }, 'test');
    await h.server.medic.tokens.revoke(revoked.id, 'test');
    const soon = await h.server.medic.tokens.create({ name: 'soon', role: 'superadmin', expiresAt: Date.now() + 1 }, 'test');
    await new Promise((r) => setTimeout(r, 5)); // let the 1 ms expiry pass (real clock in this harness)
    const before = await h.snapshot();
    for (const r of protectedRoutes()) {
      for (const header of [`Bearer ${revoked.token}`, `Bearer ${soon.token}`, 'Bearer medic_nope', 'Basic abc', `Bearer ${h.tokens.superadmin}x`, 'Bearer']) {
        const res = await h.request(r.method, urlOf(r, waiting), { token: null, headers: { authorization: header } });
        expect(res.statusCode, `${r.method} ${r.url} with ${header.slice(0, 12)}`).toBe(401);
      }
    }
    expect(await h.snapshot()).toEqual(before);
  });

  it('lets an admin approve what waits, and audits the token\'s name as the actor', async () => {
    const done = h.next('execution:transition', (e) => e.execution.id === waiting && e.execution.status === 'succeeded');
    const res = await h.request('POST', `/api/v1/executions/${waiting}/approve`, { token: h.tokens.admin, body: { comment: 'go' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: waiting, approvedBy: 'admin-tok' });
    await done;
    const audit = await h.request('GET', `/api/v1/audit?kind=approval&execution=${waiting}`, { token: h.tokens.viewer });
    expect(audit.json().items[0]).toMatchObject({ actor: 'admin-tok', result: 'approved', subject: waiting });
  });

  it('makes a bootstrap token a superadmin on a store without tokens, and only then', async () => {
    const secret = 'medic_bootstrap_secret_for_tests_0123456789';
    const fresh = await startApiHarness({ config, runbooks: [] });
    try {
      expect(await fresh.server.medic.tokens.bootstrap(secret)).toBe(false); // the harness made its role tokens already
    } finally {
      await fresh.close();
    }
    const { startHarness } = await import('../support/engine-harness.js');
    const { buildServer } = await import('../../src/api/server.js');
    const bare = await startHarness({ config, runbooks: [] });
    const server = buildServer({ engine: engineApi(bare.engine) });
    try {
      expect(await server.medic.tokens.bootstrap(secret)).toBe(true);
      const who = await server.inject({ method: 'GET', url: '/api/v1/whoami', headers: { authorization: `Bearer ${secret}` } });
      expect(who.json()).toEqual({ name: 'bootstrap', role: 'superadmin', expiresAt: null });
      expect(await server.medic.tokens.bootstrap('medic_another_secret_0123456789')).toBe(false);
      await expect(server.medic.tokens.bootstrap('short')).resolves.toBe(false);
    } finally {
      await server.close();
      await bare.close();
    }
  });
});
