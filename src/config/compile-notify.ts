import { resolve } from 'node:path';
import { knownEventPattern, NOTIFICATION_EVENTS } from '../core/notification.js';
import type { Severity } from '../core/severity.js';
import { CONFIG_DEFAULTS as D } from './defaults.js';
import type { IssueList } from './issues.js';
import { ms } from './primitives.js';
import type { ChannelSpec } from './schema.js';
import type { ChannelConfig } from './types.js';

const PAGERDUTY_URL = 'https://events.pagerduty.com/v2/enqueue';

/** Which fields each channel type reads; any other given field is a mistake worth naming. */
const FIELDS: Record<ChannelSpec['type'], readonly (keyof ChannelSpec)[]> = {
  console: [],
  log: ['path'],
  slack: ['url'],
  pagerduty: ['url', 'routing_key'],
  webhook: ['url', 'secret', 'headers'],
  email: ['smtp', 'from', 'to'],
};
const REQUIRED: Record<ChannelSpec['type'], readonly (keyof ChannelSpec)[]> = {
  console: [], log: ['path'], slack: ['url'], pagerduty: ['routing_key'], webhook: ['url'], email: ['smtp', 'from', 'to'],
};
const SPECIFIC = new Set<keyof ChannelSpec>(['path', 'url', 'routing_key', 'secret', 'headers', 'smtp', 'from', 'to']);

function checkEvents(events: readonly string[] | undefined, path: readonly (string | number)[], issues: IssueList): void {
  events?.forEach((e, j) => {
    if (!knownEventPattern(e)) issues.add([...path, j], `unknown event '${e}' (known: ${NOTIFICATION_EVENTS.join(', ')}; 'x*' is a prefix)`);
  });
}

/** Without a `notify` section, notifications go to the console; `channels: []` turns them off. */
export function compileChannels(
  specs: readonly ChannelSpec[] | undefined, dashboardUrl: string | null, baseDir: string, issues: IssueList,
): ChannelConfig[] {
  const base = { events: null, minSeverity: D.channel.minSeverity as Severity, retries: D.channel.retries, timeoutMs: ms(undefined, D.channel.timeout) };
  if (specs === undefined) return [{ type: 'console', name: 'console', ...base }];
  const named = specs.map((c) => ({ ...c, name: c.name ?? c.type }));
  named.forEach((c, i) => {
    const first = named.findIndex((x) => x.name === c.name);
    if (first < i) issues.add(['notify', 'channels', i], `duplicate channel name '${c.name}' (first at notify.channels[${first}]): give each a 'name'`);
  });
  return named.map((c, i): ChannelConfig => {
    const path = ['notify', 'channels', i];
    for (const key of Object.keys(c) as (keyof ChannelSpec)[]) {
      if (SPECIFIC.has(key) && !FIELDS[c.type].includes(key)) issues.add([...path, key], `a '${c.type}' channel has no '${key}'`, { at: 'key' });
    }
    for (const key of REQUIRED[c.type]) {
      if (c[key] === undefined) issues.add(path, `missing required field '${key}' (type ${c.type})`);
    }
    checkEvents(c.events, [...path, 'events'], issues);
    const common = {
      name: c.name,
      events: c.events ?? null,
      minSeverity: (c.min_severity ?? D.channel.minSeverity) as Severity,
      retries: c.retries ?? D.channel.retries,
      timeoutMs: ms(c.timeout, D.channel.timeout),
    };
    switch (c.type) {
      case 'console':
        return { type: 'console', ...common };
      case 'log':
        return { type: 'log', ...common, path: resolve(baseDir, c.path ?? '.') };
      case 'slack':
        return { type: 'slack', ...common, url: c.url ?? '', dashboardUrl };
      case 'pagerduty':
        return { type: 'pagerduty', ...common, url: c.url ?? PAGERDUTY_URL, routingKey: c.routing_key ?? '', dashboardUrl };
      case 'webhook':
        return { type: 'webhook', ...common, url: c.url ?? '', secret: c.secret ?? null, headers: c.headers ?? {} };
      case 'email': {
        const s = c.smtp;
        return {
          type: 'email', ...common, from: c.from ?? '', to: c.to ?? [], dashboardUrl,
          smtp: { host: s?.host ?? '', port: s?.port ?? 587, secure: s?.secure ?? false, user: s?.user ?? null, password: s?.password ?? null },
        };
      }
    }
  });
}
