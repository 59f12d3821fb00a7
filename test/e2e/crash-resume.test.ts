import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Execution, StepRecord } from '../../src/core/records.js';
import { openSqliteStore } from '../../src/store/database.js';
import { runCli, startCli } from '../support/cli.js';

/**
 * The engine, a real child process on a SQLite data dir, is killed with
 * SIGKILL at a random point of a five-step execution and started again,
 * ITERATIONS times, each with a fresh store. The steps leave observable
 * effects: non-idempotent steps append a line to effects.txt (a second run
 * would show as a second line); idempotent ones log each run to runs.txt and
 * add their effect line only once. After the restart the execution must have
 * finished, or be held for a person with exactly one non-idempotent step in
 * doubt, and the audit chain must verify.
 */
const ITERATIONS = Number(process.env['CRASH_ITERATIONS'] ?? 50);
const PARALLEL = 2;

const runbook = (dir: string) => `
name: fix-drift
description: five short steps, then put the file back
match: { rules: [drifted] }
risk: low
impact: test
rollback_plan: none
settle: 0s
steps:
${[1, 2, 3, 4].map((n) => n % 2 === 1
    ? `  - { name: s${n}, action: exec, params: { argv: [sh, -c, "echo s${n} >> effects.txt; sleep 0.03"], cwd: "${dir}" } }`
    : `  - { name: s${n}, action: exec, idempotent: true, params: { argv: [sh, -c, "echo s${n} >> runs.txt; grep -qx s${n} effects.txt || echo s${n} >> effects.txt; sleep 0.03"], cwd: "${dir}" } }`).join('\n')}
  - { name: s5, action: config.reconcile, params: { path: "${dir}/app.conf", desired_path: "${dir}/desired.conf" } }
verify: { timeout: 10s, interval: 50ms }
watch: { duration: 0s }
`;

const config = (dir: string) => `
server: { host: 127.0.0.1, port: 0 }
storage: { data_dir: "${dir}/data" }
policy:
  cooldown: 0s
  settle: 0s
  rate_limits: { global_per_minute: 100, global_per_hour: 1000, per_target_per_hour: 1000 }
targets:
  - name: app
probes:
  - { name: app-conf, type: drift, target: app, interval: 50ms, params: { path: "${dir}/app.conf", desired_path: "${dir}/desired.conf" } }
rules:
  - name: drifted
    targets: [app]
    severity: P2
    condition: { signal: drift, fn: last, gt: 0 }
    runbooks: [fix-drift]
runbooks:
  paths: [${dir}/runbook.yaml]
`;

const FINAL = new Set(['succeeded', 'failed', 'rolled_back', 'held']);
/** The engine's first start makes this a superadmin token named `bootstrap`; the person below acts with it. */
const TOKEN = 'medic_crash-test-bootstrap-token-0123456789';

async function serve(dir: string): Promise<{ child: ChildProcess; output: () => string; url: string }> {
  const { child, output, match } = await startCli(['serve', '--config', join(dir, 'medic.yaml'), '--log-level', 'error'], /serving on (http:\/\/\S+)/,
    { timeoutMs: 20_000, env: { MEDIC_BOOTSTRAP_TOKEN: TOKEN } });
  return { child, output, url: match[1]! };
}

function outputMatches(p: { child: ChildProcess; output: () => string }, re: RegExp): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${re.source} within 15 s:\n${p.output()}`)), 15_000);
    const check = () => {
      if (re.test(p.output())) {
        clearTimeout(t);
        resolve();
      } else p.child.stdout!.once('data', check);
    };
    check();
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

/** Waits (bounded) until the engine reports the execution ended or held. */
async function settled(url: string, deadline: number): Promise<Execution> {
  for (;;) {
    const res = await fetch(`${url}/api/v1/executions?limit=5`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const page = (await res.json()) as { items: Execution[] };
    const e = page.items.find((x) => FINAL.has(x.status));
    if (e) return e;
    if (Date.now() > deadline) throw new Error(`no execution ended: ${JSON.stringify(page.items.map((x) => x.status))}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function count(lines: string[], s: string): number {
  return lines.filter((l) => l === s).length;
}

describe('executions survive SIGKILL', () => {
  it(`finishes or holds for a person after a kill at a random point, ${ITERATIONS} times over, never repeating a step that is not safe to repeat`, async () => {
    const outcomes: Record<string, number> = {};
    let personActed = false;
    // A few stores at a time: most of an iteration is a node process starting.
    const iteration = async (i: number): Promise<void> => {
      const dir = mkdtempSync(join(tmpdir(), 'medic-crash-'));
      try {
        writeFileSync(join(dir, 'desired.conf'), 'good\n');
        writeFileSync(join(dir, 'app.conf'), 'drifted\n');
        writeFileSync(join(dir, 'effects.txt'), '');
        writeFileSync(join(dir, 'runs.txt'), '');
        writeFileSync(join(dir, 'runbook.yaml'), runbook(dir));
        writeFileSync(join(dir, 'medic.yaml'), config(dir));

        const first = await serve(dir);
        // Even iterations: kill anywhere from the first step's start to just after the last step.
        // Odd ones: kill just after a random step starts, so that every step is caught running some time.
        const step = i % 2 === 0 ? 1 : 1 + Math.floor(Math.random() * 5);
        await outputMatches(first, new RegExp(`STEP\\s+s${step} `));
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * (i % 2 === 0 ? 220 : 20))));
        first.child.kill('SIGKILL');
        await exited(first.child);

        const second = await serve(dir);
        const execution = await settled(second.url, Date.now() + 20_000);
        // Once, a person abandons a held execution with the real CLI against the running engine.
        let abandoned = false;
        if (execution.status === 'held' && !personActed) {
          personActed = abandoned = true;
          const cli = await runCli(['executions', 'abandon', execution.id, '--reason', 'checked by hand', '--url', second.url, '--token', TOKEN]);
          expect(cli.stdout + cli.stderr).toContain(`abandoned ${execution.id}`);
        }
        second.child.kill('SIGTERM');
        await exited(second.child);

        const effects = readFileSync(join(dir, 'effects.txt'), 'utf8').split('\n').filter(Boolean);
        const runs = readFileSync(join(dir, 'runs.txt'), 'utf8').split('\n').filter(Boolean);
        const store = await openSqliteStore({ dataDir: join(dir, 'data') });
        let steps: StepRecord[];
        let all: Execution[];
        let chain: { ok: boolean };
        let incidentStatus: string | undefined;
        try {
          all = (await store.executions.list({})).items;
          if (abandoned) expect((await store.executions.get(execution.id))?.error).toBe('abandoned by bootstrap: checked by hand');
          incidentStatus = execution.incidentId ? (await store.incidents.get(execution.incidentId))?.status : undefined;
          steps = await store.executions.steps(execution.id);
          chain = await store.audit.verify();
        } finally {
          await store.close();
        }
        const context = `iteration ${i}: ${execution.status} ${execution.error ?? ''}\neffects ${JSON.stringify(effects)} runs ${JSON.stringify(runs)}\n${steps.map((s) => `${s.seq} ${s.name} ${s.status}`).join('\n')}`;
        outcomes[execution.status] = (outcomes[execution.status] ?? 0) + 1;
        // One execution: a restart resumes it, never starts a second one beside it.
        expect(all.filter((e) => e.status !== 'held' && !FINAL.has(e.status)), context).toEqual([]);
        expect(['succeeded', 'held'], context).toContain(execution.status);
        // No non-idempotent step ran twice; no idempotent step's effect was applied twice.
        for (const s of ['s1', 's2', 's3', 's4']) expect(count(effects, s), context).toBeLessThanOrEqual(1);
        // An idempotent step runs again only when the kill caught it running: once at most here.
        for (const s of ['s2', 's4']) expect(count(runs, s), context).toBeLessThanOrEqual(2);
        if (execution.status === 'succeeded') {
          expect(effects.slice().sort(), context).toEqual(['s1', 's2', 's3', 's4']);
          expect(readFileSync(join(dir, 'app.conf'), 'utf8')).toBe('good\n');
        } else {
          // Held: the step in doubt is a non-idempotent one, and nothing after it ran.
          const latest = new Map<number, StepRecord>();
          for (const s of steps) if (s.phase === 'step') latest.set(s.index, s);
          const doubt = [...latest.values()].filter((s) => s.status === 'unknown');
          expect(doubt.map((s) => s.name), context).toHaveLength(1);
          expect(['s1', 's3'], context).toContain(doubt[0]!.name);
          expect([...latest.values()].filter((s) => s.index > doubt[0]!.index), context).toEqual([]);
          expect(incidentStatus, context).toBe('escalated');
        }
        // What `medic audit verify` checks; the CLI itself (a further node start) on every tenth store.
        expect(chain.ok, context).toBe(true);
        if (i % 10 === 0) {
          const audit = await runCli(['audit', 'verify', '--data-dir', join(dir, 'data')]);
          expect(audit.stdout, context).toMatch(/audit chain intact/);
          expect(audit.code).toBe(0);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, async (_, w) => {
      for (let i = w; i < ITERATIONS; i += PARALLEL) await iteration(i);
    }));
    // Both paths were exercised: resumed to the end, and held for a person.
    process.stdout.write(`crash test outcomes over ${ITERATIONS} kills: ${JSON.stringify(outcomes)}\n`);
    expect(Object.keys(outcomes)).toContain('succeeded');
    if (ITERATIONS >= 20) expect(Object.keys(outcomes)).toContain('held');
  }, 480_000);
});
