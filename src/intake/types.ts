/** An alert as the intake handles it, whoever sent it. Times are epoch ms. */
export interface IncomingAlert {
  readonly fingerprint: string;
  readonly status: 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: number;
  readonly endsAt: number | null;
}

/** What one delivery (a request) came to. */
export interface IntakeResult {
  readonly received: number;
  readonly firing: number;
  readonly resolved: number;
  /** Repeats of what was known: re-sends, retries, the other Alertmanager of a pair; and stale ones. */
  readonly deduplicated: number;
  readonly unrouted: number;
}
