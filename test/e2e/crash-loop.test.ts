import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../notify/receiver.js';
import { ROOT, startCli, stopChild } from '../support/cli.js';

/**
 * A real supervised service that crashes 2 s after every start, under the
 * built `medic serve`: each restart verifies (the process is up again) and
 * its short watch ends clean before the next crash, so only the restart-loop
 * guard can stop it. It must: at most 3 restarts, then one `escalated`
 * notification (webhook, to a local receiver) whose reason lists the restart
 * times, and no restart for the rest of the run. The guard's window is 1 min
 * here to keep the run short; the defaults (3 in 15 min) are unit-tested on
 * the fake clock (test/core/flap.test.ts).
 */
const RUN_MS = Number(process.env['CRASH_LOOP_RUN_MS'] ?? 60_000);
const FIXTURE = join(ROOT, 'test', 'fixtures', 'crash-loop.mjs');

const runbook = `
name: restart-flappy
description: Restart the flappy service.
match: { rules: [flappy-crashed] }
risk: low
impact: one restart
rollback_plan: nothing to undo
approval: auto
settle: 0s
steps:
  - { name: restart, action: process.restart, params: { target: "{{ incident.target }}" }, timeout: 10s }
verify: { timeout: 5s, interval: 50ms }
# Shorter than the 2 s to the next crash: every fix verifies and holds through its watch.
watch: { duration: 500ms }
`;

const config = (dir: string, webhook: string) => `
server: { host: 127.0.0.1, port: 0 }
storage: { data_dir: "${dir}/data" }
policy:
  cooldown: 0s
  settle: 0s
  rate_limits: { global_per_minute: 100, global_per_hour: 1000, per_target_per_hour: 1000 }
  flap: { max: 3, within: 1m }
targets:
  - name: flappy
    process:
      command: node
      args: ["${FIXTURE}"]
      env: { START_LOG: "${dir}/starts.log", CRASH_AFTER_MS: "2000" }
      grace: 200ms
probes:
  - { name: flappy-process, type: process, target: flappy, interval: 100ms }
rules:
  - name: flappy-crashed
    targets: [flappy]
    severity: P2
    condition: { signal: process_up, fn: last, eq: 0 }
    runbooks: [restart-flappy]
runbooks:
  paths: ["${dir}/runbook.yaml"]
notify:
  channels:
    - { type: webhook, url: "${webhook}", events: [escalated, circuit_open, fixed] }
`;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function starts(dir: string): number[] {
  const file = join(dir, 'starts.log');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => Number(l.split(' ')[0])) : [];
}

describe('a service in a crash loop', () => {
  it('is restarted at most 3 times, then escalated once with the restart times, and left alone for the rest of the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medic-crash-loop-'));
    dirs.push(dir);
    const receiver = await startReceiver();
    writeFileSync(join(dir, 'runbook.yaml'), runbook);
    writeFileSync(join(dir, 'medic.yaml'), config(dir, receiver.url));
    const begun = Date.now();
    const medic = await startCli(['serve', '--config', join(dir, 'medic.yaml'), '--log-level', 'error'], /serving on (http:\/\/\S+)/, { timeoutMs: 20_000 });
    try {
      const escalated = () => receiver.got.map((r) => JSON.parse(r.body) as Record<string, string>).filter((b) => b.event === 'escalated');
      // Wait for the escalation (event-driven through the receiver), bounded by the run.
      while (escalated().length === 0 && Date.now() - begun < RUN_MS) await new Promise((r) => setTimeout(r, 50));
      expect(escalated(), medic.output()).toHaveLength(1);
      const atEscalation = starts(dir);
      // The rest of the run: nothing more starts the service.
      await new Promise((r) => setTimeout(r, Math.max(0, RUN_MS - (Date.now() - begun))));
      const all = starts(dir);
      expect(all).toEqual(atEscalation);
      // The first start is the supervisor's own; every other one is a restart by Medic.
      const restarts = all.length - 1;
      expect(restarts).toBeGreaterThanOrEqual(1);
      expect(restarts).toBeLessThanOrEqual(3);
      const [note] = escalated();
      expect(note!.target).toBe('flappy');
      const text = note!.text ?? '';
      // The reason lists the restart times (UTC hh:mm:ss), one per restart.
      const listed = text.match(/\(at ([\d:, ]+)\)/)?.[1]?.split(', ') ?? [];
      expect(listed, text).toHaveLength(restarts);
      expect(text).toMatch(/restart loop: restart-flappy@flappy ran \d times within 1m/);
      expect(escalated()).toHaveLength(1);
    } finally {
      await stopChild(medic.child);
      await receiver.close();
    }
  }, RUN_MS + 40_000);
});
