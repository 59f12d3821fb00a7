import { describe, expect, it } from 'vitest';
import { notifyAction, type AddressedNotification, type NotifyParams } from '../../src/actions/notify.js';
import type { ActionContext, Notification, NotifierPort } from '../../src/actions/types.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';

function harness(params: Record<string, unknown>, incident: ActionContext<NotifyParams>['incident'] = null) {
  const sent: Notification[] = [];
  const notifier: NotifierPort = { notify: (n) => void sent.push(n) };
  const ctx: ActionContext<NotifyParams> = {
    params: notifyAction.schema.parse(params),
    targetName: 'demo',
    target: undefined,
    incident,
    executionId: 'ex-9',
    clock: systemClock,
    signal: new AbortController().signal,
    log: silentLogger,
    supervisor: {} as SupervisorPort,
    notifier,
  };
  return { ctx, sent };
}

describe('notify action', () => {
  it('hands the message to the notifier with the incident’s severity and ids', async () => {
    const { ctx, sent } = harness({ message: 'Restarting demo: p95 latency is 812 ms' }, { id: 'inc-1', rule: 'demo-slow', severity: 'P2' });
    const out = await notifyAction.execute(ctx);
    expect(sent).toEqual([
      {
        event: 'notify',
        severity: 'P2',
        title: 'Restarting demo: p95 latency is 812 ms',
        text: 'Restarting demo: p95 latency is 812 ms',
        target: 'demo',
        incidentId: 'inc-1',
        executionId: 'ex-9',
      },
    ]);
    expect(out.summary).toMatch(/queued/);
  });

  it('uses the given severity and channel, and P3 without an incident', async () => {
    const a = harness({ message: 'one\ntwo', severity: 'P1', channel: 'pager' });
    await notifyAction.execute(a.ctx);
    expect(a.sent[0]).toMatchObject({ severity: 'P1', title: 'one', text: 'one\ntwo', channel: 'pager' } satisfies Partial<AddressedNotification>);
    const b = harness({ message: 'hello' });
    await notifyAction.execute(b.ctx);
    expect(b.sent[0]).toMatchObject({ severity: 'P3' });
    expect(b.sent[0]).not.toHaveProperty('incidentId');
  });

  it('plans without sending', async () => {
    const { ctx, sent } = harness({ message: 'hello', channel: 'ops' });
    expect((await notifyAction.plan(ctx)).summary).toBe('notify ops (P3): hello');
    expect(sent).toEqual([]);
  });

  it('changes nothing and is safe to repeat', () => {
    expect(notifyAction.mutates).toBe(false);
    expect(notifyAction.idempotent).toBe(true);
  });

  it('validates params', () => {
    for (const p of [{}, { message: '   ' }, { message: 'x', severity: 'P5' }, { message: 'x', to: 'y' }]) {
      expect(notifyAction.schema.safeParse(p).success).toBe(false);
    }
  });
});
