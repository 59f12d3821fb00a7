import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Severity } from '../core/severity.js';
import type { ScheduleConfig } from '../config/types.js';
import { nextRunAfter } from '../config/cron.js';
import type { CompiledRunbook } from '../runbooks/types.js';
import type { EventBus } from '../core/events.js';

export interface SchedulerDeps {
  readonly clock: Clock;
  readonly events: EventBus;
  readonly schedules: readonly ScheduleConfig[];
  readonly runbooks: () => readonly CompiledRunbook[];
  /** The kill switch: false = automatic remediation is off, scheduled runs too. */
  readonly autoRemediation: () => boolean;
  /** A silence or maintenance window matching the target (false until silences exist). */
  readonly isSilenced: (target: string, rule: string, severity: Severity) => boolean;
  /** Asks the remediator for the run (policy, audit, metrics like any execution). */
  readonly request: (runbook: CompiledRunbook, s: ScheduleConfig, reason: string) => Promise<{ executionId: string | null; verdict: string; reason: string }>;
  /** Is this execution still going (pending, running, waiting for approval, held)? */
  readonly isActive: (executionId: string) => Promise<boolean>;
  /** Where the last run time of each schedule outlives a restart. */
  readonly state: { get<T>(key: string): Promise<T | undefined>; put(key: string, value: unknown, at: number): Promise<void> };
  readonly audit: (kind: string, subject: string, result: string, details: Record<string, unknown>, actor?: string) => Promise<void>;
}

interface Stored { readonly lastRunAt: number }

/**
 * Runbooks on cron schedules. croner computes each next run time in the
 * schedule's time zone; the waiting is done on the engine clock, so tests
 * jump a fake clock across weeks and daylight-saving changes.
 *
 * A run is skipped (and says why) while the kill switch is off, while a
 * silence matches, and while the schedule's previous execution is still
 * going: a schedule never overlaps itself. The time of each run is stored
 * before it starts; at start-up a schedule with `catch_up` runs once if a
 * run time passed while the engine was down. A clock that steps back never
 * fires a run time twice.
 */
export class Scheduler {
  private readonly stopper = new AbortController();
  private loops: Promise<void>[] = [];
  private readonly current = new Map<string, string>();

  constructor(private readonly deps: SchedulerDeps) {}

  start(): void {
    this.loops = this.deps.schedules.map((s) => this.loop(s).catch(() => undefined));
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await Promise.all(this.loops);
  }

  private async loop(s: ScheduleConfig): Promise<void> {
    const { clock } = this.deps;
    const key = `schedule:${s.name}`;
    const stored = await this.deps.state.get<Stored>(key);
    let last = stored?.lastRunAt ?? clock.now();
    if (!stored) await this.deps.state.put(key, { lastRunAt: last }, clock.now());
    if (s.catchUp && stored) {
      const missed = nextRunAfter(s.cron, s.timezone, last);
      // However many runs were missed, one catch-up run.
      if (missed !== null && missed <= clock.now()) {
        last = clock.now();
        await this.fire(s, missed, key, true);
      }
    }
    while (!this.stopper.signal.aborted) {
      const now = clock.now();
      const next = nextRunAfter(s.cron, s.timezone, Math.max(last, now));
      if (next === null) return;
      try {
        await clock.sleep(Math.max(0, next - now), this.stopper.signal);
      } catch {
        return;
      }
      // The clock went back while we slept: that run time has not come yet.
      if (clock.now() < next) continue;
      last = next;
      await this.fire(s, next, key, false);
    }
  }

  private async fire(s: ScheduleConfig, at: number, key: string, catchUp: boolean): Promise<void> {
    const { clock } = this.deps;
    // Stored before the run starts: a crash during it does not make it run again as "missed".
    await this.deps.state.put(key, { lastRunAt: at }, clock.now());
    const skip = await this.skipReason(s);
    const details = { runbook: s.runbook, target: s.target, cron: s.cron, timezone: s.timezone, scheduledFor: new Date(at).toISOString(), catchUp };
    if (skip) {
      await this.deps.audit('schedule', s.name, 'skipped', { ...details, reason: skip });
      this.deps.events.emit('schedule:run', { schedule: s.name, at, outcome: 'skipped', reason: skip, executionId: null });
      return;
    }
    const runbook = this.deps.runbooks().find((r) => r.name === s.runbook)!;
    try {
      const reason = `schedule ${s.name} (${s.cron}, ${s.timezone})${catchUp ? ', catching up a run missed while the engine was down' : ''}`;
      const r = await this.deps.request(runbook, s, reason);
      if (r.executionId) this.current.set(s.name, r.executionId);
      await this.deps.audit('schedule', s.name, r.executionId ? 'started' : r.verdict, { ...details, execution: r.executionId, reason: r.reason });
      this.deps.events.emit('schedule:run', { schedule: s.name, at, outcome: r.executionId ? 'started' : 'skipped', reason: r.reason, executionId: r.executionId });
    } catch (err) {
      await this.deps.audit('schedule', s.name, 'failed', { ...details, error: errorMessage(err) });
      this.deps.events.emit('schedule:run', { schedule: s.name, at, outcome: 'failed', reason: errorMessage(err), executionId: null });
    }
  }

  private async skipReason(s: ScheduleConfig): Promise<string | null> {
    if (!this.deps.autoRemediation()) return 'kill switch is on: automatic remediation is off';
    if (this.deps.isSilenced(s.target, `schedule:${s.name}`, s.severity)) return `target ${s.target} is silenced`;
    if (!this.deps.runbooks().some((r) => r.name === s.runbook)) return `runbook ${s.runbook} is not loaded`;
    const previous = this.current.get(s.name);
    if (previous && (await this.deps.isActive(previous))) return `the previous run (${previous}) is still going: a schedule never overlaps itself`;
    return null;
  }
}
