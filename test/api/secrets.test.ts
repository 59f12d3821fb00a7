import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/api/auth.js';
import { createLogger } from '../../src/drivers/log.js';
import { startApiHarness, type ApiHarness } from '../support/api-harness.js';
import { configYaml } from '../support/engine-harness.js';
import { openSse } from '../support/sse.js';

/**
 * A token's secret is shown once, in the answer that creates it. After that
 * it must not be found anywhere: not in the engine's log, not in the audit
 * log or any other table, not in any API answer or error.
 */
describe('token secrets', () => {
  let h: ApiHarness;
  const logs: string[] = [];
  const answers: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
    h = await startApiHarness({ config: configYaml(''), runbooks: [], log: createLogger({ level: 'trace', destination: sink }) });
  });
  afterAll(async () => h?.close());

  const record = async (method: string, url: string, opts: Parameters<ApiHarness['request']>[2] = {}) => {
    const res = await h.request(method, url, opts);
    answers.push(`${res.statusCode} ${JSON.stringify(res.headers)} ${res.body}`);
    return res;
  };

  it('appear only in the answer that creates them', async () => {
    const created = await h.request('POST', '/api/v1/tokens', { body: { name: 'ci-bot', role: 'operator' } });
    expect(created.statusCode).toBe(201);
    const secret = created.json().token as string;
    const id = created.json().id as string;
    expect(secret).toMatch(/^medic_[\w-]{43}$/);

    // Use it, misuse it, list it, revoke it, and use it again.
    await record('GET', '/api/v1/whoami', { token: secret });
    await record('POST', '/api/v1/silences', { token: secret, body: { matchers: [{ label: 'target', op: '=', value: 'web' }], duration: '1h', comment: 'deploy' } });
    await record('GET', '/api/v1/tokens');
    await record('GET', `/api/v1/audit?actor=ci-bot`);
    await record('GET', '/api/v1/audit?kind=token');
    await record('GET', '/api/v1/whoami', { token: `${secret}x` });
    await record('GET', '/api/v1/whoami', { token: null, headers: { authorization: `Basic ${secret}` } });
    await record('GET', '/api/v1/whoami', { token: h.tokens.viewer, headers: { 'x-medic-token': secret } });
    await record('GET', `/api/v1/incidents/${secret}`, { token: secret });
    await record('GET', `/api/v1/incidents?rule=${secret}`, { token: secret });
    await record('POST', '/api/v1/tokens', { token: secret, body: { name: 'escalate', role: 'superadmin' } });
    await record('POST', '/api/v1/tokens', { body: { name: 'x', role: 'viewer', token: secret } });
    await record('GET', `/api/v1/nowhere?access_token=${secret}`, { token: secret });

    await h.server.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(h.server.server.address() as AddressInfo).port}`;
    const sse = await openSse(`${base}/api/v1/events?access_token=${encodeURIComponent(secret)}`);
    expect(sse.status).toBe(200);
    await record('PATCH', '/api/v1/settings', { body: { mode: 'shadow' } });
    await sse.next((f) => f.event === 'setting');
    sse.close();
    answers.push(sse.text());

    await record('DELETE', `/api/v1/tokens/${id}`);
    const after = await record('GET', '/api/v1/whoami', { token: secret });
    expect(after.statusCode).toBe(401);

    const audit = await h.engine.store.audit.list({ limit: 10_000 });
    expect(audit.items.filter((e) => e.kind === 'token').map((e) => [e.result, e.subject])).toEqual(
      expect.arrayContaining([['created', id], ['revoked', id]]));
    expect(audit.items.some((e) => e.actor === 'ci-bot')).toBe(true);

    const tables = JSON.stringify(await h.snapshot());
    const everywhere = { logs: logs.join(''), answers: answers.join('\n'), tables, audit: JSON.stringify(audit.items) };
    expect(everywhere.logs.length).toBeGreaterThan(0);
    for (const [where, text] of Object.entries(everywhere)) {
      expect(text.includes(secret), `the secret in ${where}`).toBe(false);
      expect(text.includes(secret.slice(6, 30)), `part of the secret in ${where}`).toBe(false);
      for (const other of Object.values(h.tokens)) expect(text.includes(other), `a role token in ${where}`).toBe(false);
    }
    // The stored hash is no secret to the database, but the API never shows it either.
    expect(everywhere.answers.includes(hashToken(secret))).toBe(false);
    expect(tables.includes(hashToken(secret))).toBe(true);
  });
});

/**
 * config.reconcile keeps the file it replaced (base64) in the step record so
 * it can put it back. That copy is the engine's own: the API and the live
 * stream show at most that there is one, never its content.
 */
describe('the previous content of a reconciled file', () => {
  let h: ApiHarness;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'medic-secret-conf-'));
    await writeFile(join(dir, 'app.conf'), 'user=app\npassword=hunter2\n');
    await writeFile(join(dir, 'desired.conf'), 'user=app\npassword_file=/run/secrets/app\n');
    const runbook = `
name: fix-conf
description: Put app.conf back.
match: { rules: [] }
risk: low
approval: auto
impact: app.conf is rewritten.
rollback_plan: The previous file is written back.
steps:
  - { name: write, action: config.reconcile, params: { path: "${dir}/app.conf", desired_path: "${dir}/desired.conf", sensitive: true } }
verify: { rule_cleared: false, timeout: 2s, interval: 20ms }
watch: { duration: 0s }
`;
    h = await startApiHarness({ config: configYaml('policy:\n  cooldown: 0s\n'), runbooks: [runbook], feed: false });
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reaches no API answer and no live event', async () => {
    await h.server.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(h.server.server.address() as AddressInfo).port}`;
    const sse = await openSse(`${base}/api/v1/events`, { authorization: `Bearer ${h.tokens.viewer}` });
    expect(sse.status).toBe(200);

    const run = await h.request('POST', '/api/v1/executions', { body: { runbook: 'fix-conf', target: 'web', reason: 'drift' } });
    expect(run.statusCode).toBe(201);
    const id = run.json().execution.id as string;
    await sse.next((f) => f.event === 'execution' && f.data?.['id'] === id && f.data['status'] === 'succeeded');
    sse.close();
    expect(await readFile(join(dir, 'app.conf'), 'utf8')).not.toContain('hunter2');
    // The engine kept the old file for rollback…
    const stored = await h.engine.store.executions.steps(id);
    expect(JSON.stringify(stored)).toContain(Buffer.from('user=app\npassword=hunter2\n').toString('base64'));

    // …but shows only that it has one.
    const detail = await h.request('GET', `/api/v1/executions/${id}`, { token: h.tokens.viewer });
    expect(detail.statusCode).toBe(200);
    const write = (detail.json().steps as Record<string, unknown>[]).find((s) => s['name'] === 'write');
    expect(write).toMatchObject({ status: 'succeeded', hasRollbackState: true });
    expect(write).not.toHaveProperty('rollbackState');
    const stepFrames = sse.frames.filter((f) => f.event === 'step');
    expect(stepFrames.length).toBeGreaterThan(0);
    expect(stepFrames.every((f) => f.data !== null && !('rollbackState' in f.data))).toBe(true);

    const seen = { api: detail.body, sse: sse.text() };
    for (const [where, text] of Object.entries(seen)) {
      expect(text.includes('hunter2'), `the password in ${where}`).toBe(false);
      for (const enc of ['password=hunter2', 'user=app\npassword=hunter2\n']) {
        expect(text.includes(Buffer.from(enc).toString('base64').slice(0, 16)), `its base64 in ${where}`).toBe(false);
      }
    }
  });
});
