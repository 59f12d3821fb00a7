import type { Notification } from '../core/notification.js';
import type { ChannelPlugin } from './types.js';

/**
 * Console channel: one readable line per notification, e.g.
 * `14:02:07 P1 demo  restart-demo succeeded in 312 ms`.
 */

export interface ConsoleChannelOptions {
  /** Where lines go; process.stdout by default. */
  readonly write?: (line: string) => void;
}

export const consoleChannel: ChannelPlugin<'console'> = {
  type: 'console',
  secrets: () => [],
  create: (cfg) => createConsoleChannel(cfg),
};

export function createConsoleChannel(
  cfg: { readonly name: string },
  opts: ConsoleChannelOptions = {},
): { readonly name: string; send(n: Notification, at: number): Promise<void> } {
  const write = opts.write ?? ((line: string) => void process.stdout.write(line));
  return {
    name: cfg.name,
    async send(n, at) {
      write(`${formatConsoleLine(n, at)}\n`);
    },
  };
}

/** Local wall-clock time, severity, target, title; line breaks folded so one notification stays one line. */
export function formatConsoleLine(n: Notification, at: number): string {
  const d = new Date(at);
  const time = [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, '0')).join(':');
  const title = oneLine(n.title) || oneLine(n.text);
  return `${time} ${n.severity} ${oneLine(n.target ?? '-')}  ${title}`;
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
