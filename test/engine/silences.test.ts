import { afterEach, describe, expect, it } from 'vitest';
import { OperationError } from '../../src/core/operation-error.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';

const rules = `
rules:
  - name: cpu-high
    targets: [web]
    value: { signal: cpu, fn: last }
    bands:
      - { severity: P2, gt: 85 }
`;
const config = configYaml(`policy:\n  cooldown: 0s\n${rules}`);
const killSwitchOff = configYaml(`policy:\n  cooldown: 0s\n  auto_remediation: false\n${rules}`);

const runbook = `
name: cool-down-web
description: Make the CPU cool down.
match: { rules: [cpu-high] }
risk: low
impact: none
rollback_plan: none
steps:
  - name: cool
    action: record
verify:
  timeout: 2s
  interval: 20ms
watch: { duration: 0s }
`;

const cools = { onRecord: (_p: unknown, world: Record<string, number>) => { world['cpu'] = 10; } };

describe('silences in the engine', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('records a matching incident as silenced and acts on it once the silence is expired', async () => {
    h = await startHarness({ config, runbooks: [runbook], ...cools });
    const s = await h.engine.silences.create({ matchers: [{ label: 'tier', op: '=', value: 'web' }, { label: 'rule', op: '=~', value: 'cpu-.*' }], endsAt: Date.now() + 60_000, comment: 'maintenance' }, 'alice');
    expect(s.state).toBe('active');

    const opened = h.next('incident:opened');
    h.world['cpu'] = 90;
    const { incident } = await opened;
    expect(incident.silenced).toBe(true);
    await h.engine.idle();
    expect(h.calls).toEqual([]);
    expect((await h.engine.store.executions.list({})).total).toBe(0);
    const timeline = await h.engine.store.incidents.timeline(incident.id);
    expect(timeline.map((t) => t.kind)).toEqual(['detected', 'silenced']);
    expect(timeline[1]!.message).toMatch(new RegExp(`silenced by ${s.id} .*maintenance; recorded, not acted on`));

    const fixed = h.next('execution:transition', (e) => e.execution.status === 'succeeded', 10_000);
    const expired = await h.engine.silences.expire(s.id, 'bob');
    expect(expired.state).toBe('expired');
    expect((await fixed).execution.incidentId).toBe(incident.id);
    const audit = await h.engine.store.audit.list({ kind: 'silence' });
    expect(audit.items.map((a) => [a.actor, a.result]).sort()).toEqual([['alice', 'created'], ['bob', 'expired']]);
  });

  it('applies a new silence to an incident already open, and stops acting on it', async () => {
    h = await startHarness({ config: killSwitchOff, runbooks: [runbook], ...cools });
    const held = h.next('incident:updated', (e) => e.incident.status === 'escalated');
    h.world['cpu'] = 90;
    const { incident } = await held;

    const silenced = h.next('incident:updated', (e) => e.incident.id === incident.id && e.incident.silenced);
    await h.engine.silences.create({ matchers: [{ label: 'target', op: '=', value: 'web' }], endsAt: Date.now() + 60_000, comment: 'deploy' }, 'alice');
    await silenced;
    expect((await h.engine.store.incidents.get(incident.id))?.silenced).toBe(true);

    await h.engine.changeSettings({ autoRemediation: true }, 'root');
    const verdict = await h.engine.remediator.consider(h.engine.incidents.byId(incident.id)!);
    expect(verdict?.kind).toBe('silenced');
    await h.engine.idle();
    expect(h.calls).toEqual([]);
  });

  it('lets the engine act again when the silence ends by the clock', async () => {
    h = await startHarness({ config, runbooks: [runbook], ...cools });
    await h.engine.silences.create({ matchers: [{ label: 'severity', op: '=', value: 'P2' }], endsAt: Date.now() + 400, comment: 'short' }, 'alice');
    const opened = h.next('incident:opened');
    h.world['cpu'] = 90;
    expect((await opened).incident.silenced).toBe(true);
    const unsilenced = h.next('incident:updated', (e) => !e.incident.silenced && e.why.includes('no silence matches'));
    const fixed = h.next('execution:transition', (e) => e.execution.status === 'succeeded');
    await unsilenced;
    await fixed;
    expect(h.calls).toHaveLength(1);
    expect((await h.engine.silences.list())[0]!.state).toBe('expired');
  });

  it('does not silence what its matchers do not match', async () => {
    h = await startHarness({ config, runbooks: [runbook], ...cools });
    await h.engine.silences.create({ matchers: [{ label: 'severity', op: '=~', value: 'P[01]' }], endsAt: Date.now() + 60_000, comment: 'only the worst' }, 'alice');
    const fixed = h.next('execution:transition', (e) => e.execution.status === 'succeeded');
    h.world['cpu'] = 90;
    await fixed;
  });

  it('refuses bad input with bad_request naming the field, and unknown ids with not_found', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    const until = Date.now() + 60_000;
    const bad = [
      [{ matchers: [{ label: 'target', op: '=~', value: '(web' }], endsAt: until, comment: 'x' }, 'matchers[0].value'],
      [{ matchers: [{ label: 'target', op: '~', value: 'web' }], endsAt: until, comment: 'x' }, 'matchers[0].op'],
      [{ matchers: [], endsAt: until, comment: 'x' }, 'matchers'],
      [{ matchers: [{ label: 'target', op: '=', value: 'web' }], endsAt: Date.now() - 1, comment: 'x' }, 'endsAt'],
      [{ matchers: [{ label: 'target', op: '=', value: 'web' }], endsAt: until, comment: ' ' }, 'comment'],
    ] as const;
    for (const [input, field] of bad) {
      const err = await h.engine.silences.create(input as never, 'alice').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperationError);
      expect(err).toMatchObject({ code: 'bad_request', details: { field } });
      expect((err as Error).message).toContain(field);
    }
    expect(await h.engine.silences.list()).toEqual([]);
    await expect(h.engine.silences.expire('sil_nope', 'alice')).rejects.toMatchObject({ code: 'not_found' });
  });
});
