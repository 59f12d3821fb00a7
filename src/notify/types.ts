import type { Notification } from '../core/notification.js';

/** One way out; the files next to this one each make one. The signal ends an attempt that takes too long. */
export interface ChannelSend {
  readonly name: string;
  send(n: Notification, at: number, signal: AbortSignal): Promise<void>;
  /** Releases connections (SMTP pools). */
  close?(): void;
}
