import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const GOOD = `name: restart-web
description: Restart the web tier.
match: { rules: [web-down] }
risk: low
impact: A short restart.
rollback_plan: Nothing to undo.
steps:
  - name: restart
    action: process.restart
    params: { target: "{{ incident.target }}" }
`;

describe('medic validate', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'medic-validate-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, text: string): string {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  }

  it('accepts the shipped demo config and runbooks', async () => {
    const r = await runCli(['validate', 'examples/demo/medic.yaml', 'examples/demo/runbooks']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/medic\.yaml/);
  });

  it('accepts the example production config and every example runbook', async () => {
    const r = await runCli(['validate', 'examples/production/medic.yaml', 'examples/runbooks']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok examples\/production\/medic\.yaml/);
    expect(r.stdout.match(/^ok examples\/runbooks\//gm)?.length).toBeGreaterThanOrEqual(6);
  });

  it('names file, line and field of an unknown action', async () => {
    const p = file('unknown-action.yaml', GOOD.replace('action: process.restart', 'action: process.restrat'));
    const r = await runCli(['validate', p]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`${escape(p)}:9:\\d+ steps\\[0\\]\\.action: step 'restart': unknown action 'process\\.restrat': did you mean 'process\\.restart'\\?`));
  });

  it('names file, line and field of a missing required field', async () => {
    const p = file('missing-risk.yaml', GOOD.replace('risk: low\n', ''));
    const r = await runCli(['validate', p]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`${escape(p)}:1:1 missing required field 'risk'`));
  });

  it('names file and line of broken YAML', async () => {
    const p = file('broken.yaml', GOOD.replace('risk: low', 'risk: [low'));
    const r = await runCli(['validate', p]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`${escape(p)}:\\d+:\\d+ `));
    expect(r.stderr.split('\n')[0]).toMatch(/:(4|5|6|7|8|9|1\d):\d+/);
  });

  it('reports every bad file, not only the first, and exits non-zero', async () => {
    const a = file('a.yaml', GOOD.replace('risk: low', 'risk: extreme'));
    const b = file('b.yaml', GOOD.replace('name: restart-web', 'name: restart-web\nbogus_field: 1'));
    const r = await runCli(['validate', a, b]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${escape(a)}:4:\\d+ risk:`));
    expect(r.stderr).toMatch(new RegExp(`${escape(b)}:2:\\d+ .*bogus_field`));
  });

  it('names the field of a config error', async () => {
    const p = file('medic.yaml', 'server:\n  prot: 7070\n');
    const r = await runCli(['validate', p]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`${escape(p)}:2:3 server: unknown field 'prot'`));
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
