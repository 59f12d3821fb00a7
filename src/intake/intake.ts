import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { AlertOutcome, AlertRecord } from '../core/records.js';
import { SEVERITIES, severityRank, type Severity } from '../core/severity.js';
import type { Signal } from '../core/signal.js';
import { alertSignal } from '../config/compile-intake.js';
import type { AlertRoute } from '../config/types.js';
import type { Store } from '../store/types.js';
import { routeAlert } from './router.js';
import type { IncomingAlert, IntakeResult } from './types.js';

export interface IntakeDeps {
  readonly routes: readonly AlertRoute[];
  /** Whether a name is a configured target: an alert may only name one of those. */
  readonly isTarget: (name: string) => boolean;
  readonly clock: Clock;
  readonly log: Logger;
  readonly store: Store['alerts'];
  /** Into the engine: the alert rules read these signals. */
  readonly ingest: (signals: readonly Signal[]) => void;
  readonly received?: (e: { source: string } & IntakeResult) => void;
}

interface AlertState {
  status: 'firing' | 'resolved';
  labels: Readonly<Record<string, string>>;
  startsAt: number;
  key: string | null;
  severity: Severity | null;
  seenAt: number;
}

interface KeyState {
  readonly rule: string;
  readonly target: string;
  /** Firing alerts (by fingerprint) and their severities. */
  readonly firing: Map<string, Severity>;
  /** How many firing alerts have each severity (index = rank): the level in O(1) under an alert storm. */
  readonly bySeverity: number[];
  /** The level last reported. */
  level: number;
  changedAt: number;
}

const HEARTBEAT_MS = 1_000;
const GROUP_COMMIT_MS = 1;
const COMMON_LABELS_SAMPLE = 1_000;
const GROUP_COMMIT_ROWS = 1_000;
/** A rule/target with nothing firing is still reported this long, so verify and clearing see fresh zeros. */
const QUIET_KEEP_MS = 10 * 60_000;
/** How long an alert's last state is remembered (and restored after a restart). */
const ALERT_MEMORY_MS = 24 * 3_600_000;

/**
 * Pushed alerts → the engine. Each alert is judged against what is known of
 * its fingerprint, in one synchronous pass per delivery, so concurrent
 * deliveries (retries, two Alertmanagers of a pair) can never both count as
 * new:
 *
 *   (unknown) ──firing──► firing ──resolved──► resolved ──firing, new startsAt──► firing
 *                 firing again: duplicate      resolved again: duplicate
 *                                              firing with the old startsAt: stale
 *
 * Per rule and target the intake reports one signal, `alert:<rule>`: 0 when
 * none of its alerts fire, else the level of the most severe (P0 4 .. P3 1).
 * The alert rules made from the routes (src/config/compile-intake.ts) read it,
 * so incidents, dedup, verify and clearing are the engine's usual ones. The
 * level is re-reported every second while it matters: verify judges on
 * samples taken after the fix, and a resolved alert is not sent again.
 *
 * Every accepted alert is stored, written behind: the rows of all deliveries
 * that arrive in one turn of the event loop go in one transaction, and each
 * delivery's answer waits for its rows (accepted = persisted).
 */
export class AlertIntake {
  private readonly alerts = new Map<string, AlertState>();
  private readonly keys = new Map<string, KeyState>();
  private queue: Omit<AlertRecord, 'id'>[] = [];
  /** Settles when the rows queued now are stored. */
  private next: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | null = null;
  private writing: Promise<void> | null = null;
  private readonly stopper = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  private readonly totals = { received: 0, deduplicated: 0, unrouted: 0 };

  constructor(private readonly deps: IntakeDeps) {}

  /** What was firing before a restart stays firing: the newest row of every recent fingerprint. */
  async load(): Promise<void> {
    const now = this.deps.clock.now();
    for (const r of await this.deps.store.latest(now - ALERT_MEMORY_MS)) {
      if (r.rule === null || r.target === null || r.severity === null) continue;
      const key = this.keyOf(r.rule, r.target);
      this.alerts.set(r.fingerprint, { status: r.status, labels: r.labels, startsAt: r.startsAt, key, severity: r.severity, seenAt: r.receivedAt });
      if (r.status === 'firing') this.fire(this.keys.get(key)!, r.fingerprint, r.severity);
    }
  }

  start(): void {
    this.loop = this.heartbeat();
  }

  /** Stops reporting and waits until every accepted alert is stored. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
    await this.flush();
  }

  counts(): Readonly<{ received: number; deduplicated: number; unrouted: number }> {
    return { ...this.totals };
  }

  /** Rule/target pairs with alerts firing now. */
  firing(): { rule: string; target: string; alerts: number; severity: Severity }[] {
    return [...this.keys.values()].filter((k) => k.firing.size > 0).map((k) => ({ rule: k.rule, target: k.target, alerts: k.firing.size, severity: SEVERITIES[SEVERITIES.length - levelOf(k)]! }));
  }

  /**
   * The labels every firing alert of a rule and target agrees on (like
   * Alertmanager's commonLabels); an alert storm is sampled, not walked.
   */
  commonLabels(rule: string, target: string): Record<string, string> {
    const k = this.keys.get(`${rule}\u0000${target}`);
    let common: Record<string, string> | null = null;
    let n = 0;
    for (const fp of k?.firing.keys() ?? []) {
      const labels = this.alerts.get(fp)?.labels ?? {};
      if (common === null) common = { ...labels };
      else for (const key of Object.keys(common)) if (labels[key] !== common[key]) delete common[key];
      if (++n >= COMMON_LABELS_SAMPLE) break;
    }
    return common ?? {};
  }

  /**
   * Judges one delivery. The decision is synchronous; the returned promise
   * settles when its alerts are stored (reject = not stored: the sender
   * should retry, and will be told "duplicate" for what was already decided).
   */
  accept(source: string, sender: string, alerts: readonly IncomingAlert[]): { result: IntakeResult; persisted: Promise<void> } {
    const now = this.deps.clock.now();
    const changed = new Set<KeyState>();
    const counts = { received: alerts.length, firing: 0, resolved: 0, deduplicated: 0, unrouted: 0 };
    const rows: Omit<AlertRecord, 'id'>[] = [];
    for (const a of alerts) {
      const routing = routeAlert(this.deps.routes, a.labels, this.deps.isTarget);
      let outcome: AlertOutcome;
      if (!routing.routed) {
        outcome = 'unrouted';
        counts.unrouted++;
      } else {
        outcome = this.judge(a, this.keyOf(routing.rule, routing.target), routing.severity, now, changed);
        if (outcome === 'firing') counts.firing++;
        else if (outcome === 'resolved') counts.resolved++;
        else counts.deduplicated++;
      }
      rows.push({
        receivedAt: now, source, sender, fingerprint: a.fingerprint, status: a.status, startsAt: a.startsAt, endsAt: a.endsAt,
        labels: a.labels, annotations: a.annotations,
        rule: routing.routed ? routing.rule : null, target: routing.routed ? routing.target : null, severity: routing.routed ? routing.severity : null,
        outcome, reason: routing.routed ? null : routing.reason,
      });
    }
    this.totals.received += counts.received;
    this.totals.deduplicated += counts.deduplicated;
    this.totals.unrouted += counts.unrouted;
    const persisted = this.write(rows);
    if (changed.size > 0) this.report([...changed], now);
    this.deps.received?.({ source, ...counts });
    return { result: counts, persisted };
  }

  private judge(a: IncomingAlert, key: string, severity: Severity, now: number, changed: Set<KeyState>): AlertOutcome {
    const prev = this.alerts.get(a.fingerprint);
    const ks = this.keys.get(key)!;
    if (a.status === 'firing') {
      if (prev?.status === 'firing') {
        prev.seenAt = now;
        return 'duplicate';
      }
      // Its resolution came first (retries and HA pairs reorder deliveries): this is the past, not a new problem.
      if (prev?.status === 'resolved' && prev.startsAt === a.startsAt) return 'stale';
      this.alerts.set(a.fingerprint, { status: 'firing', labels: a.labels, startsAt: a.startsAt, key, severity, seenAt: now });
      this.fire(ks, a.fingerprint, severity);
      if (levelOf(ks) !== ks.level) changed.add(ks);
      return 'firing';
    }
    if (prev?.status === 'resolved') {
      prev.seenAt = now;
      return 'duplicate';
    }
    this.alerts.set(a.fingerprint, { status: 'resolved', labels: a.labels, startsAt: a.startsAt, key, severity, seenAt: now });
    // The key it fired under: a route change since then must not leave it firing for ever.
    const firedUnder = prev?.key ? this.keys.get(prev.key) : ks;
    const was = firedUnder?.firing.get(a.fingerprint);
    if (firedUnder && was !== undefined) {
      firedUnder.firing.delete(a.fingerprint);
      firedUnder.bySeverity[severityRank(was)]!--;
      firedUnder.changedAt = now;
      if (levelOf(firedUnder) !== firedUnder.level) changed.add(firedUnder);
    }
    return 'resolved';
  }

  private fire(k: KeyState, fingerprint: string, severity: Severity): void {
    k.firing.set(fingerprint, severity);
    k.bySeverity[severityRank(severity)]!++;
    k.changedAt = this.deps.clock.now();
  }

  private keyOf(rule: string, target: string): string {
    const key = `${rule}\u0000${target}`;
    if (!this.keys.has(key)) this.keys.set(key, { rule, target, firing: new Map(), bySeverity: SEVERITIES.map(() => 0), level: 0, changedAt: 0 });
    return key;
  }

  private report(keys: readonly KeyState[], now: number): void {
    const signals = keys.map((k): Signal => {
      k.level = levelOf(k);
      return { source: 'alert', target: k.target, name: alertSignal(k.rule), value: k.level, labels: {}, at: now };
    });
    if (signals.length > 0) this.deps.ingest(signals);
  }

  private async heartbeat(): Promise<void> {
    const signal = this.stopper.signal;
    let beats = 0;
    while (!signal.aborted) {
      try {
        await this.deps.clock.sleep(HEARTBEAT_MS, signal);
      } catch {
        return;
      }
      const now = this.deps.clock.now();
      const live: KeyState[] = [];
      for (const [key, k] of this.keys) {
        if (k.firing.size > 0 || now - k.changedAt < QUIET_KEEP_MS) live.push(k);
        else this.keys.delete(key);
      }
      // Forgetting old resolutions walks every alert: once a minute is plenty.
      if (++beats % 60 === 0) for (const [fp, a] of this.alerts) if (a.status === 'resolved' && now - a.seenAt > ALERT_MEMORY_MS) this.alerts.delete(fp);
      this.report(live, now);
    }
  }

  /**
   * Group commit: rows wait in the queue while a transaction is being
   * written; the next transaction takes all of them. One writer at a time, so
   * batches land in the order they were accepted.
   */
  private write(rows: Omit<AlertRecord, 'id'>[]): Promise<void> {
    for (const r of rows) this.queue.push(r);
    if (!this.next) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
      // Callers await it; a delivery nobody waits for must not become an unhandled rejection.
      promise.catch(() => undefined);
      this.next = { promise, resolve, reject };
    }
    const waiting = this.next.promise;
    // A millisecond's wait gathers the deliveries arriving meanwhile into one transaction: one commit for many.
    this.writing ??= new Promise<void>((r) => setTimeout(r, this.queue.length >= GROUP_COMMIT_ROWS ? 0 : GROUP_COMMIT_MS)).then(() => this.drain());
    return waiting;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      const done = this.next!;
      this.queue = [];
      this.next = null;
      try {
        await this.deps.store.append(batch);
        done.resolve();
      } catch (err) {
        this.deps.log.error({ err: errorMessage(err), alerts: batch.length }, 'storing alerts failed');
        done.reject(err instanceof Error ? err : new Error(errorMessage(err)));
      }
    }
    this.writing = null;
  }

  private async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }
}

/** 0 when nothing fires, else 4 (P0) .. 1 (P3) for the most severe firing alert. */
function levelOf(k: KeyState): number {
  const rank = k.bySeverity.findIndex((n) => n > 0);
  return rank < 0 ? 0 : SEVERITIES.length - rank;
}
