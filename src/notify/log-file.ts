import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Notification } from '../core/notification.js';
import type { ChannelPlugin } from './types.js';

/**
 * Log-file channel: appends one JSON object per line, for tools that tail
 * files (Vector, Promtail, fluent-bit) or for a person with `jq`. The
 * notifier delivers to a channel one notification at a time, so lines never
 * interleave.
 */
export const logFileChannel: ChannelPlugin<'log'> = {
  type: 'log',
  secrets: () => [],
  create: (cfg) => createLogFileChannel(cfg),
};

export function createLogFileChannel(cfg: { readonly name: string; readonly path: string }): {
  readonly name: string;
  send(n: Notification, at: number): Promise<void>;
} {
  let dirReady: Promise<unknown> | null = null;
  return {
    name: cfg.name,
    async send(n, at) {
      dirReady ??= mkdir(dirname(cfg.path), { recursive: true });
      try {
        await dirReady;
      } catch (err) {
        dirReady = null; // try again next time: the disk may come back
        throw err;
      }
      // Notifications can name hosts and incidents: readable by the owner only.
      await appendFile(cfg.path, `${formatLogLine(n, at)}\n`, { mode: 0o600 });
    },
  };
}

export function formatLogLine(n: Notification, at: number): string {
  return JSON.stringify({
    at: new Date(at).toISOString(),
    event: n.event,
    severity: n.severity,
    title: n.title,
    text: n.text,
    target: n.target ?? null,
    incidentId: n.incidentId ?? null,
    executionId: n.executionId ?? null,
  });
}
