import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, stopChild } from '../support/cli.js';

/**
 * Approval through the real CLI against a running `medic demo`: a P1
 * incident's fix waits; a viewer cannot approve it and nothing moves; an
 * admin's `medic approve <id>` runs it; the audit log names that admin's
 * token as who approved.
 */
describe('approving a P1 fix with the CLI', () => {
  let dir: string;
  let demo: Awaited<ReturnType<typeof startCli>>;
  let api: string;
  let demoUrl: string;
  let root: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medic-e2e-approve-'));
    demo = await startCli(['demo', '--port', '0', '--demo-port', '0', '--data-dir', join(dir, 'data')],
      /API (http:\/\/[\d.:]+)\s+·\s+demo service (http:\/\/[\d.:]+)/, { timeoutMs: 30_000 });
    api = demo.match[1]!;
    demoUrl = demo.match[2]!;
    root = readFileSync(join(dir, 'data', 'demo-token'), 'utf8').trim();
  });

  afterAll(async () => {
    if (demo) await stopChild(demo.child);
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[], token: string) => runCli([...args, '--url', api, '--token', token]);

  it('waits for an admin, refuses a viewer, runs on `medic approve`, and audits who approved', async () => {
    const alice = await cli(['token', 'create', 'alice', '--role', 'admin', '--json'], root);
    expect(alice.code, alice.stderr).toBe(0);
    const aliceToken = (JSON.parse(alice.stdout) as { token: string }).token;
    const bob = await cli(['token', 'create', 'bob', '--role', 'viewer', '--json'], root);
    const bobToken = (JSON.parse(bob.stdout) as { token: string }).token;

    const fault = await runCli(['fault', 'latency', '--ms', '6000', '--duration', '60', '--demo-url', demoUrl]);
    expect(fault.code, fault.stderr).toBe(0);
    let id = '';
    await until(async () => {
      const r = await cli(['executions', '--status', 'awaiting_approval', '--json'], bobToken);
      id = (JSON.parse(r.stdout) as { items: { id: string }[] }).items[0]?.id ?? '';
      return id !== '';
    }, 40_000);

    const refused = await cli(['approve', id, '--comment', 'me too'], bobToken);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('403 forbidden');
    const still = await cli(['executions', '--status', 'awaiting_approval', '--json'], bobToken);
    expect(still.stdout).toContain(id);

    const approved = await cli(['approve', id, '--comment', 'latency is hurting users'], aliceToken);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`approved ${id}`);
    expect(approved.stdout).toContain('as alice');
    await until(async () => (await cli(['executions', '--status', 'succeeded', '--json'], bobToken)).stdout.includes(id), 40_000);

    const table = await cli(['executions'], bobToken);
    expect(table.stdout).toMatch(new RegExp(`${id}\\s+succeeded\\s+restart-demo-slow.*approved by alice`));
    const audit = await fetch(`${api}/api/v1/audit?kind=approval&execution=${id}`, { headers: { authorization: `Bearer ${bobToken}` } });
    const entries = (await audit.json()) as { items: { actor: string; result: string; details: Record<string, unknown> }[] };
    expect(entries.items).toEqual([expect.objectContaining({ actor: 'alice', result: 'approved' })]);
  }, 120_000);
});

async function until(pred: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await pred())) {
    if (performance.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
