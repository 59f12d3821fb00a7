import { redactSecrets } from '../audit/redact.js';
import type { Logger } from 'pino';
import type { Notification, NotifierPort } from '../actions/types.js';
import type { ChannelConfig } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { severityRank } from '../core/severity.js';
import { systemClock } from '../engine/clock.js';
import { createConsoleChannel } from './console.js';
import { createLogFileChannel } from './log-file.js';

/**
 * The notifier: routes each notification to the channels that want it (by
 * event kind and minimum severity) and delivers in the background.
 *
 * notify() returns at once and never throws: a slow or broken channel must
 * never hold up or fail a remediation. Each channel has its own queue, so one
 * slow channel does not delay the others and its messages stay in order;
 * failures are logged and counted. flush() waits for everything queued.
 */

/** One way out; the files next to this one each make one. */
export interface DeliveryChannel {
  readonly name: string;
  send(n: Notification, at: number): Promise<void>;
}

export interface ChannelStats {
  sent: number;
  failed: number;
  /** Thrown away because the channel's queue was full. */
  dropped: number;
}

export interface Notifier extends NotifierPort {
  /** Resolves when every notification queued so far has been delivered or has failed. */
  flush(): Promise<void>;
  stats(): Readonly<Record<string, Readonly<ChannelStats>>>;
}

export interface NotifierOptions {
  readonly clock?: Clock;
  /** Builds a channel from its config; tests pass failing or recording ones. */
  readonly createChannel?: (cfg: ChannelConfig) => DeliveryChannel;
  /** Per channel; past it new notifications are dropped (and counted) rather than piling up in memory. */
  readonly maxQueue?: number;
}

interface Route {
  readonly cfg: ChannelConfig;
  readonly channel: DeliveryChannel;
  readonly stats: ChannelStats;
  queued: number;
  tail: Promise<void>;
}

export function defaultChannel(cfg: ChannelConfig): DeliveryChannel {
  switch (cfg.type) {
    case 'console':
      return createConsoleChannel(cfg);
    case 'log':
      return createLogFileChannel(cfg);
  }
}

/** Does this channel subscribe to this notification? `events: null` is every kind; `incident:*` a prefix. */
export function channelWants(cfg: ChannelConfig, n: Notification): boolean {
  if (severityRank(n.severity) > severityRank(cfg.minSeverity)) return false;
  if (cfg.events === null) return true;
  return cfg.events.some((e) => e === n.event || (e.endsWith('*') && n.event.startsWith(e.slice(0, -1))));
}

export function createNotifier(
  channels: readonly ChannelConfig[],
  log: Logger,
  opts: NotifierOptions = {},
): Notifier {
  const clock = opts.clock ?? systemClock;
  const maxQueue = opts.maxQueue ?? 1000;
  const build = opts.createChannel ?? defaultChannel;
  const routes: Route[] = channels.map((cfg) => ({
    cfg,
    channel: build(cfg),
    stats: { sent: 0, failed: 0, dropped: 0 },
    queued: 0,
    tail: Promise.resolve(),
  }));

  const enqueue = (route: Route, n: Notification, at: number): void => {
    if (route.queued >= maxQueue) {
      route.stats.dropped++;
      log.warn({ channel: route.cfg.name, event: n.event, queued: route.queued }, 'notification dropped: channel queue full');
      return;
    }
    route.queued++;
    route.tail = route.tail.then(async () => {
      try {
        await route.channel.send(n, at);
        route.stats.sent++;
      } catch (err) {
        route.stats.failed++;
        log.warn({ channel: route.cfg.name, event: n.event, err: errorMessage(err) }, 'notification delivery failed');
      } finally {
        route.queued--;
      }
    });
  };

  return {
    notify(raw) {
      try {
        // Reasons carry step errors and output: no secret leaves through a channel.
        const n = redactSecrets(raw);
        const at = clock.now();
        // A runbook's notify step may address one channel by name; that overrides the channel's filters.
        const addressed = (n as { channel?: unknown }).channel;
        if (typeof addressed === 'string') {
          const route = routes.find((r) => r.cfg.name === addressed);
          if (route) enqueue(route, n, at);
          else log.warn({ channel: addressed, event: n.event }, 'notification for an unknown channel');
          return;
        }
        for (const route of routes) if (channelWants(route.cfg, n)) enqueue(route, n, at);
      } catch (err) {
        log.error({ err: errorMessage(err) }, 'notifier failed');
      }
    },
    async flush() {
      // Deliveries may queue more (a listener notifying from inside a channel); wait until it settles.
      while (routes.some((r) => r.queued > 0)) await Promise.all(routes.map((r) => r.tail));
    },
    stats() {
      return Object.fromEntries(routes.map((r) => [r.cfg.name, { ...r.stats }]));
    },
  };
}
