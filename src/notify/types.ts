import type { ChannelConfig } from '../config/types.js';
import type { Notification } from '../core/notification.js';

/** One way out; the files next to this one each make one. The signal ends an attempt that takes too long. */
export interface ChannelSend {
  readonly name: string;
  send(n: Notification, at: number, signal: AbortSignal): Promise<void>;
  /** Releases connections (SMTP pools). */
  close?(): void;
}

/**
 * A notification channel plugin: one file in src/notify, one line in ./channels.ts. Its config
 * fields are compiled by src/config/compile-notify.ts (the config sits below the plugins).
 */
export interface ChannelPlugin<T extends ChannelConfig['type'] = ChannelConfig['type']> {
  readonly type: T;
  /** The values of this config that must never reach a log line, an API answer or a delivery error. */
  secrets(cfg: Extract<ChannelConfig, { type: T }>): readonly string[];
  create(cfg: Extract<ChannelConfig, { type: T }>): ChannelSend;
}
