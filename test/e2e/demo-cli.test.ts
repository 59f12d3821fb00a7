import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, stopChild } from '../support/cli.js';
import { healthy } from '../support/demo.js';

/**
 * What a newcomer does after `npm start`: break the demo service with
 * `medic fault crash`, see it healthy again within 2 s, and find the
 * resolved incident and the succeeded execution with `medic incidents` and
 * `medic executions`. Then the audit log: intact, and tamper-evident.
 */
describe('the demo through the CLI', () => {
  let dir: string;
  let demo: Awaited<ReturnType<typeof startCli>>;
  let api: string;
  let demoUrl: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medic-e2e-cli-'));
    demo = await startCli(['demo', '--port', '0', '--demo-port', '0', '--data-dir', join(dir, 'data'), '--no-traffic'],
      /API (http:\/\/[\d.:]+)\s+·\s+demo service (http:\/\/[\d.:]+)/, { timeoutMs: 30_000 });
    api = demo.match[1]!;
    demoUrl = demo.match[2]!;
    // What a newcomer gets: a token printed, and kept in the data directory for the CLI.
    const file = join(dir, 'data', 'demo-token');
    const token = readFileSync(file, 'utf8').trim();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await until(() => demo.output().includes(token), 5_000);
    env = { MEDIC_TOKEN: token };
  });

  afterAll(async () => {
    if (demo) await stopChild(demo.child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings the demo service back within 2 s of `medic fault crash`, and lists what it did', async () => {
    expect((await fetch(`${demoUrl}/health`)).status).toBe(200);
    const t0 = performance.now();
    const fault = await runCli(['fault', 'crash', '--demo-url', demoUrl]);
    expect(fault.code).toBe(0);
    // Healthy again means a new process answers: wait for the old one to go first.
    await until(async () => !(await healthy(demoUrl, 200)) || performance.now() - t0 > 300, 2_000);
    await until(() => healthy(demoUrl, 200), 2_000);
    expect(performance.now() - t0).toBeLessThan(2_000);

    await until(async () => (await runCli(['executions', '--url', api], { env })).stdout.includes('succeeded'), 10_000);
    const incidents = await runCli(['incidents', '--url', api], { env });
    expect(incidents.code).toBe(0);
    expect(incidents.stdout).toMatch(/inc_\w+\s+P1\s+resolved\s+demo-crashed\s+demo/);
    const executions = await runCli(['executions', '--url', api], { env });
    expect(executions.stdout).toMatch(/exe_\w+\s+succeeded\s+restart-demo\s+demo\s+P1/);
    // The README's walkthrough: no flags at all, the CLI finds the demo's URL and its token file.
    const bare = await runCli(['incidents'], { env: { MEDIC_URL: api, MEDIC_DATA_DIR: join(dir, 'data') } });
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/inc_\w+\s+P1\s+resolved/);
    // Another URL and no token: refused, and the CLI says why.
    const refused = await runCli(['incidents', '--url', api.replace('127.0.0.1', 'localhost')]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('401 unauthorized');
    expect(demo.output()).toMatch(/DETECTED\s+P1 demo-crashed on demo/);
    expect(demo.output()).toMatch(/RESOLVED\s+demo-crashed on demo( replica 0)?: fixed by restart-demo/);
  });

  it('verifies an intact audit chain, and names the entry when one byte of it changes', async () => {
    await stopChild(demo.child);
    const dataDir = join(dir, 'data');
    const ok = await runCli(['audit', 'verify', '--data-dir', dataDir]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/audit chain intact: \d+ entries verified/);

    const db = new Database(join(dataDir, 'medic.db'));
    const row = db.prepare("SELECT seq, details FROM audit_log WHERE kind = 'detection' LIMIT 1").get() as { seq: number; details: string };
    const i = row.details.indexOf('demo-crashed');
    const tampered = `${row.details.slice(0, i)}Demo-crashed${row.details.slice(i + 'demo-crashed'.length)}`;
    db.prepare('UPDATE audit_log SET details = ? WHERE seq = ?').run(tampered, row.seq);
    db.close();

    const bad = await runCli(['audit', 'verify', '--data-dir', dataDir]);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toContain(`audit chain BROKEN at entry ${row.seq}: hash mismatch`);
  });
});

async function until(pred: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await pred())) {
    if (performance.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
