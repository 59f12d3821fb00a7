import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness, COOL_WEB_RUNBOOK, cpuHighConfig } from '../support/api-harness.js';
import { runCli } from '../support/cli.js';

const config = cpuHighConfig(['{ severity: P2, gt: 85 }']);
const runbook = COOL_WEB_RUNBOOK;

/** The CLI commands over the API, as a person and a script use them: tables, --json, and exit codes. */
describe('CLI commands over the API', () => {
  let h: ApiHarness;
  let url: string;
  const as = (role: keyof ApiHarness['tokens'], args: string[]) => runCli([...args, '--url', url, '--token', h.tokens[role]]);

  beforeAll(async () => {
    h = await startApiHarness({ config, runbooks: [runbook], onRecord: (_p, world) => { world['cpu'] = 10; } });
    await h.server.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(h.server.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => h?.close());

  it('plan and run: a proposal that changes nothing, then a dry run, as tables and JSON', async () => {
    const plan = await as('operator', ['plan', '--runbook', 'cool-web', '--target', 'web']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/^runbook cool-web on web/m);
    expect(plan.stdout).toContain('nothing was changed.');
    expect((await h.engine.store.executions.list({})).total).toBe(0);

    const run = await as('operator', ['run', 'cool-web', 'web', '--reason', 'trying it', '--dry-run', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { verdict: { kind: string }; execution: { id: string; requestedBy: string } };
    expect(out.verdict.kind).toBe('dry_run');
    expect(out.execution.requestedBy).toBe('operator-tok');
    const listed = await as('viewer', ['executions', '--json']);
    expect((JSON.parse(listed.stdout) as { items: { id: string }[] }).items.map((e) => e.id)).toEqual([out.execution.id]);
  });

  it('exits non-zero with the API\'s message: a role too low, a bad argument, an unknown id', async () => {
    const low = await as('viewer', ['run', 'cool-web', 'web', '--reason', 'x']);
    expect(low.code).toBe(1);
    expect(low.stderr).toBe('medic: 403 forbidden: this needs the operator role; token "viewer-tok" is viewer\n');
    const bad = await as('admin', ['rollback', 'not-an-id', '--reason', 'x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('400 bad_request: params.id');
    const missing = await as('admin', ['rollback', 'exe_0000000000abcdef', '--reason', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404 not_found');
    const none = await runCli(['incidents', '--url', url]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('401 unauthorized');
  });

  it('silence add, list and expire', async () => {
    const add = await as('operator', ['silence', 'add', 'target=web', 'rule=~cpu.*', '--duration', '2h', '--comment', 'deploy', '--json']);
    expect(add.code, add.stderr).toBe(0);
    const s = JSON.parse(add.stdout) as { id: string; state: string; matchers: unknown[] };
    expect(s).toMatchObject({ state: 'active', matchers: [{ label: 'target', op: '=', value: 'web' }, { label: 'rule', op: '=~', value: 'cpu.*' }] });
    const list = await as('viewer', ['silence', 'list']);
    expect(list.stdout).toMatch(new RegExp(`${s.id}\\s+active\\s+target=web,rule=~cpu\\.\\*`));
    const expire = await as('operator', ['silence', 'expire', s.id]);
    expect(expire.code, expire.stderr).toBe(0);
    expect(expire.stdout).toContain(`silence ${s.id} is expired`);
    const badMatcher = await as('operator', ['silence', 'add', 'target', '--comment', 'x']);
    expect(badMatcher.code).toBe(1);
    expect(badMatcher.stderr).toContain('not a matcher: "target"');
  });

  it('settings show and set (superadmin), audited under the token\'s name', async () => {
    const denied = await as('admin', ['settings', 'set', 'autoRemediation=false']);
    expect(denied.code).toBe(1);
    expect(h.engine.runtimeSettings().autoRemediation).toBe(true);
    const set = await as('superadmin', ['settings', 'set', 'autoRemediation=false', 'rateLimits.globalPerHour=20']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/autoRemediation\s+false/);
    expect(set.stdout).toMatch(/rateLimits\.globalPerHour\s+20/);
    const show = await as('viewer', ['settings', 'show', '--json']);
    expect(JSON.parse(show.stdout)).toMatchObject({ autoRemediation: false, rateLimits: { globalPerHour: 20 } });
    const audit = await h.engine.store.audit.list({ kind: 'setting' });
    expect(audit.items.map((e) => e.actor)).toEqual(expect.arrayContaining(['superadmin-tok']));
  });

  it('token revoke: the revoked token stops working at once', async () => {
    const made = await as('superadmin', ['token', 'create', 'temp', '--role', 'viewer', '--json']);
    const t = JSON.parse(made.stdout) as { id: string; token: string };
    expect((await runCli(['incidents', '--url', url, '--token', t.token])).code).toBe(0);
    const revoke = await as('superadmin', ['token', 'revoke', t.id]);
    expect(revoke.stdout).toBe(`revoked ${t.id} "temp"\n`);
    const after = await runCli(['incidents', '--url', url, '--token', t.token]);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('401 unauthorized: invalid, expired or revoked token');
  });
});
