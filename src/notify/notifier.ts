import { redactSecrets, redactString, REDACTED } from '../core/redact.js';
import type { Logger } from 'pino';
import type { Notification, NotifierPort } from '../actions/types.js';
import type { ChannelConfig } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { severityRank } from '../core/severity.js';
import { systemClock } from '../drivers/clock.js';
import { createConsoleChannel } from './console.js';
import { createEmailChannel } from './email.js';
import { createLogFileChannel } from './log-file.js';
import { createPagerDutyChannel } from './pagerduty.js';
import { createSlackChannel } from './slack.js';
import type { ChannelSend } from './types.js';
import { createWebhookChannel } from './webhook.js';

/**
 * The notifier: routes each notification to the channels that want it (by
 * event kind and minimum severity) and delivers in the background.
 *
 * notify() returns at once and never throws: a slow or broken channel must
 * never hold up or fail a remediation. Each channel has its own queue, so one
 * slow channel does not delay the others and its messages stay in order. A
 * failed delivery is tried again `retries` times with exponential backoff
 * (1 s, 2 s, 4 s, ... up to 60 s, on the injected clock); each attempt has
 * the channel's timeout. Outcomes are counted (stats) and the recent ones
 * kept (deliveries) for the API and /metrics. flush() waits for everything
 * queued; close() gives up pending retries.
 */

/** A channel as the files next to this one make it (tests pass their own). */
export type DeliveryChannel = ChannelSend;

export interface ChannelStats {
  sent: number;
  failed: number;
  /** Attempts that failed and were tried again. */
  retried: number;
  /** Thrown away because the channel's queue was full. */
  dropped: number;
}

export interface Delivery {
  readonly channel: string;
  readonly type: string;
  readonly event: string;
  readonly severity: string;
  readonly title: string;
  readonly incidentId: string | null;
  /** When it was queued and when the last attempt ended. */
  readonly queuedAt: number;
  readonly at: number;
  readonly ok: boolean;
  readonly attempts: number;
  /** Why the last attempt failed; secrets of the channel's config are masked. */
  readonly error: string | null;
}

export interface Notifier extends NotifierPort {
  /** Resolves when every notification queued so far has been delivered or has failed. */
  flush(): Promise<void>;
  stats(): Readonly<Record<string, Readonly<ChannelStats>>>;
  /** The most recent deliveries, newest first; optionally of one channel or failures only. */
  deliveries(filter?: { channel?: string; failedOnly?: boolean; limit?: number }): Delivery[];
  /** Channel names and types, for the API and metrics. */
  channels(): { name: string; type: string }[];
  /** Stops waiting for retries (they count as failed), delivers nothing new, closes connections. */
  close(): Promise<void>;
}

export interface NotifierOptions {
  readonly clock?: Clock;
  /** Builds a channel from its config; tests pass failing or recording ones. */
  readonly createChannel?: (cfg: ChannelConfig) => DeliveryChannel;
  /** Per channel; past it new notifications are dropped (and counted) rather than piling up in memory. */
  readonly maxQueue?: number;
  /** Backoff before retry n (0-based); default 1 s × 2^n, at most 60 s. */
  readonly backoffMs?: (attempt: number) => number;
}

interface Route {
  readonly cfg: ChannelConfig;
  readonly channel: DeliveryChannel;
  readonly stats: ChannelStats;
  readonly secrets: readonly string[];
  queued: number;
  tail: Promise<void>;
}

const RECENT = 200;

export function defaultChannel(cfg: ChannelConfig): DeliveryChannel {
  switch (cfg.type) {
    case 'console': return createConsoleChannel(cfg);
    case 'log': return createLogFileChannel(cfg);
    case 'slack': return createSlackChannel(cfg);
    case 'pagerduty': return createPagerDutyChannel(cfg);
    case 'webhook': return createWebhookChannel(cfg);
    case 'email': return createEmailChannel(cfg);
  }
}

/** The values in a channel's config that must never appear in a log line or an API answer. */
export function channelSecrets(cfg: ChannelConfig): string[] {
  switch (cfg.type) {
    case 'slack': return [cfg.url];
    case 'pagerduty': return [cfg.routingKey];
    case 'webhook': return [...(cfg.secret ? [cfg.secret] : []), ...Object.values(cfg.headers), ...urlSecrets(cfg.url)];
    case 'email': return cfg.smtp.password ? [cfg.smtp.password] : [];
    default: return [];
  }
}

/** A URL's password and query values. */
function urlSecrets(url: string): string[] {
  try {
    const u = new URL(url);
    return [u.password, ...u.searchParams.values()].filter((s) => s.length >= 4);
  } catch {
    return [];
  }
}

/** A channel's config fit to show: every secret value replaced. */
export function redactChannel(cfg: ChannelConfig): Record<string, unknown> {
  const masked = JSON.parse(scrub(JSON.stringify(cfg), channelSecrets(cfg))) as Record<string, unknown>;
  return redactSecrets(masked);
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join(REDACTED);
  return redactString(out);
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
  const backoff = opts.backoffMs ?? ((n: number) => Math.min(60_000, 1000 * 2 ** n));
  const stopper = new AbortController();
  const recent: Delivery[] = [];
  const routes: Route[] = channels.map((cfg) => ({
    cfg,
    channel: build(cfg),
    stats: { sent: 0, failed: 0, retried: 0, dropped: 0 },
    secrets: channelSecrets(cfg),
    queued: 0,
    tail: Promise.resolve(),
  }));

  const record = (d: Delivery): void => {
    recent.push(d);
    if (recent.length > RECENT * 2) recent.splice(0, recent.length - RECENT);
  };

  const deliver = async (route: Route, n: Notification, at: number): Promise<void> => {
    const { cfg } = route;
    let error = '';
    for (let attempt = 0; ; attempt++) {
      if (stopper.signal.aborted) break;
      const signal = AbortSignal.any([AbortSignal.timeout(cfg.timeoutMs), stopper.signal]);
      try {
        await route.channel.send(n, at, signal);
        route.stats.sent++;
        record({ ...summary(route, n, at), at: clock.now(), ok: true, attempts: attempt + 1, error: null });
        return;
      } catch (err) {
        error = scrub(errorMessage(err), route.secrets);
      }
      if (attempt >= cfg.retries) {
        route.stats.failed++;
        record({ ...summary(route, n, at), at: clock.now(), ok: false, attempts: attempt + 1, error });
        log.warn({ channel: cfg.name, event: n.event, attempts: attempt + 1, err: error }, 'notification delivery failed');
        return;
      }
      route.stats.retried++;
      try {
        await clock.sleep(backoff(attempt), stopper.signal);
      } catch {
        break;
      }
    }
    route.stats.failed++;
    record({ ...summary(route, n, at), at: clock.now(), ok: false, attempts: 0, error: error || 'notifier closed' });
  };

  const enqueue = (route: Route, n: Notification, at: number): void => {
    if (stopper.signal.aborted) return;
    if (route.queued >= maxQueue) {
      route.stats.dropped++;
      log.warn({ channel: route.cfg.name, event: n.event, queued: route.queued }, 'notification dropped: channel queue full');
      return;
    }
    route.queued++;
    route.tail = route.tail.then(async () => {
      try {
        await deliver(route, n, at);
      } catch (err) {
        log.error({ channel: route.cfg.name, err: scrub(errorMessage(err), route.secrets) }, 'notification delivery crashed');
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
    deliveries(filter = {}) {
      const out: Delivery[] = [];
      for (let i = recent.length - 1; i >= 0 && out.length < (filter.limit ?? 50); i--) {
        const d = recent[i]!;
        if (filter.channel !== undefined && d.channel !== filter.channel) continue;
        if (filter.failedOnly && d.ok) continue;
        out.push(d);
      }
      return out;
    },
    channels() {
      return routes.map((r) => ({ name: r.cfg.name, type: r.cfg.type }));
    },
    async close() {
      stopper.abort();
      await this.flush();
      for (const r of routes) r.channel.close?.();
    },
  };
}

function summary(route: Route, n: Notification, at: number): Omit<Delivery, 'at' | 'ok' | 'attempts' | 'error'> {
  return { channel: route.cfg.name, type: route.cfg.type, event: n.event, severity: n.severity, title: n.title, incidentId: n.incidentId ?? null, queuedAt: at };
}
