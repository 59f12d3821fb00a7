import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Notification } from '../../src/actions/types.js';
import type { ChannelConfig } from '../../src/config/types.js';
import type { Severity } from '../../src/core/severity.js';
import { silentLogger } from '../../src/drivers/log.js';
import { channelWants, createNotifier, type DeliveryChannel } from '../../src/notify/notifier.js';
import { FakeClock } from '../support/fake-clock.js';

function console_(name: string, events: string[] | null = null, minSeverity: Severity = 'P3'): ChannelConfig {
  return { type: 'console', name, events, minSeverity, retries: 0, timeoutMs: 1000 };
}

const n = (event: string, severity: Severity, title = event): Notification => ({ event, severity, title, text: '' });

/** Channels that record, and can be told to fail or to hold deliveries until released. */
function recorder() {
  const got: Record<string, { title: string; at: number }[]> = {};
  const failing = new Set<string>();
  let gate: Promise<void> | null = null;
  const createChannel = (cfg: ChannelConfig): DeliveryChannel => ({
    name: cfg.name,
    async send(x, at) {
      if (gate) await gate;
      if (failing.has(cfg.name)) throw new Error(`${cfg.name} is down`);
      (got[cfg.name] ??= []).push({ title: x.title, at });
    },
  });
  return {
    got,
    failing,
    createChannel,
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

describe('notifier', () => {
  it('routes by event kind (null = all, a list, a prefix with *) and by minimum severity', async () => {
    const r = recorder();
    const notifier = createNotifier(
      [console_('all'), console_('fixes', ['fixed']), console_('incidents', ['incident:*']), console_('urgent', null, 'P1')],
      silentLogger,
      { createChannel: r.createChannel },
    );
    notifier.notify(n('fixed', 'P2'));
    notifier.notify(n('incident:opened', 'P0'));
    notifier.notify(n('escalated', 'P3'));
    await notifier.flush();
    expect(r.got['all']!.map((x) => x.title)).toEqual(['fixed', 'incident:opened', 'escalated']);
    expect(r.got['fixes']!.map((x) => x.title)).toEqual(['fixed']);
    expect(r.got['incidents']!.map((x) => x.title)).toEqual(['incident:opened']);
    expect(r.got['urgent']!.map((x) => x.title)).toEqual(['incident:opened']);
  });

  it('returns before delivery and never throws when a channel fails; failures are counted', async () => {
    const r = recorder();
    r.failing.add('broken');
    const notifier = createNotifier([console_('broken'), console_('fine')], silentLogger, { createChannel: r.createChannel });
    const release = r.hold();
    expect(() => notifier.notify(n('fixed', 'P2'))).not.toThrow();
    // Nothing delivered yet: notify() did not wait for the channels.
    expect(r.got['fine']).toBeUndefined();
    release();
    await notifier.flush();
    expect(r.got['fine']).toHaveLength(1);
    expect(notifier.stats()).toEqual({ broken: { sent: 0, failed: 1, retried: 0, dropped: 0 }, fine: { sent: 1, failed: 0, retried: 0, dropped: 0 } });
  });

  it('keeps each channel’s messages in order', async () => {
    const r = recorder();
    const notifier = createNotifier([console_('c')], silentLogger, { createChannel: r.createChannel });
    for (let i = 0; i < 20; i++) notifier.notify(n('e', 'P3', `m${i}`));
    await notifier.flush();
    expect(r.got['c']!.map((x) => x.title)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });

  it('stamps each notification with the time it was raised, not delivered', async () => {
    const r = recorder();
    const clock = new FakeClock();
    const notifier = createNotifier([console_('c')], silentLogger, { createChannel: r.createChannel, clock });
    const release = r.hold();
    notifier.notify(n('e', 'P3'));
    const raised = clock.now();
    await clock.advance(60_000);
    release();
    await notifier.flush();
    expect(r.got['c']![0]!.at).toBe(raised);
  });

  it('drops (and counts) past a full queue instead of growing without bound', async () => {
    const r = recorder();
    const notifier = createNotifier([console_('c')], silentLogger, { createChannel: r.createChannel, maxQueue: 3 });
    const release = r.hold();
    for (let i = 0; i < 5; i++) notifier.notify(n('e', 'P3', `m${i}`));
    release();
    await notifier.flush();
    expect(r.got['c']!.map((x) => x.title)).toEqual(['m0', 'm1', 'm2']);
    expect(notifier.stats()['c']).toEqual({ sent: 3, failed: 0, retried: 0, dropped: 2 });
  });

  it('delivers a notification addressed to a channel there only, whatever its filters', async () => {
    const r = recorder();
    const notifier = createNotifier([console_('ops', ['fixed'], 'P1'), console_('all')], silentLogger, { createChannel: r.createChannel });
    notifier.notify({ ...n('notify', 'P3', 'hello'), channel: 'ops' } as Notification);
    notifier.notify({ ...n('notify', 'P3', 'lost'), channel: 'nobody' } as Notification);
    await notifier.flush();
    expect(r.got['ops']!.map((x) => x.title)).toEqual(['hello']);
    expect(r.got['all']).toBeUndefined();
  });

  it('builds the configured channels by default', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medic-notifier-'));
    try {
      const path = join(dir, 'n.jsonl');
      const notifier = createNotifier([{ type: 'log', name: 'file', events: ['fixed'], minSeverity: 'P2', retries: 0, timeoutMs: 1000, path }], silentLogger);
      notifier.notify(n('fixed', 'P1', 'kept'));
      notifier.notify(n('fixed', 'P3', 'too minor'));
      await notifier.flush();
      const lines = (await readFile(path, 'utf8')).trim().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as { title: string }).title)).toEqual(['kept']);
      expect(notifier.stats()).toEqual({ file: { sent: 1, failed: 0, retried: 0, dropped: 0 } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('matches event patterns and severities', () => {
    expect(channelWants(console_('x', ['a*']), n('abc', 'P3'))).toBe(true);
    expect(channelWants(console_('x', ['a']), n('abc', 'P3'))).toBe(false);
    expect(channelWants(console_('x', null, 'P2'), n('abc', 'P3'))).toBe(false);
    expect(channelWants(console_('x', null, 'P2'), n('abc', 'P0'))).toBe(true);
  });
});
