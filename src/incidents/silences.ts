import type { Clock } from '../core/clock.js';
import { activeSilenceFor, matcherIssues, MATCHER_OPS, silenceState, type Silence, type SilenceMatcher, type SilenceState } from '../core/silence.js';
import type { Severity } from '../core/severity.js';
import type { CompiledRule, TargetConfig } from '../config/types.js';
import type { Store } from '../store/types.js';
import { OperationError } from '../core/operation-error.js';
import { newId } from '../drivers/ids.js';
import type { Incidents } from './incidents.js';

export type SilenceView = Silence & { readonly state: SilenceState };

export interface SilenceInput {
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt?: number;
  readonly endsAt: number;
  readonly comment: string;
}

export interface SilenceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly incidents: Incidents;
  readonly targets: Readonly<Record<string, TargetConfig>>;
  readonly rules: () => ReadonlyMap<string, CompiledRule>;
  readonly audit: (kind: string, subject: string, result: string, details: Record<string, unknown>, actor?: string) => Promise<void>;
}

/** Longest a silence may last: a year. Longer is a rule to delete, not a maintenance window. */
const MAX_SILENCE_MS = 366 * 24 * 3_600_000;

/**
 * Silences as the engine applies them: an incident that a silence matches is
 * recorded (opened with silenced=true, a timeline note) and never acted on.
 * A new silence applies to incidents already open; when a silence ends
 * (expired by a person, or its endsAt passes), its incidents are acted on
 * again by the engine's next reconsideration.
 */
export class Silences {
  /** Every silence not yet ended, cached: matched on every detection. */
  private live: Silence[] = [];

  constructor(private readonly deps: SilenceDeps) {}

  async load(): Promise<void> {
    this.live = await this.deps.store.silences.list(this.deps.clock.now());
  }

  async create(input: SilenceInput, actor: string): Promise<SilenceView> {
    const now = this.deps.clock.now();
    const checked = validate(input, now);
    const silence: Silence = { id: newId('sil', this.deps.clock), ...checked, createdBy: actor, createdAt: now };
    await this.deps.store.silences.insert(silence);
    this.live.unshift(silence);
    await this.deps.audit('silence', silence.id, 'created', { matchers: silence.matchers, startsAt: silence.startsAt, endsAt: silence.endsAt, comment: silence.comment }, actor);
    await this.refresh();
    return view(silence, now);
  }

  async list(): Promise<SilenceView[]> {
    const now = this.deps.clock.now();
    return (await this.deps.store.silences.list()).map((s) => view(s, now));
  }

  async expire(id: string, actor: string): Promise<SilenceView> {
    const now = this.deps.clock.now();
    const silence = await this.deps.store.silences.get(id);
    if (!silence) throw new OperationError('not_found', `no silence ${id}`);
    if (silenceState(silence, now) === 'expired') throw new OperationError('conflict', `silence ${id} already expired at ${new Date(silence.endsAt).toISOString()}`);
    await this.deps.store.silences.setEndsAt(id, now);
    const expired: Silence = { ...silence, endsAt: now };
    this.live = this.live.filter((s) => s.id !== id);
    await this.deps.audit('silence', id, 'expired', { matchers: silence.matchers, wasEndingAt: silence.endsAt }, actor);
    await this.refresh();
    return view(expired, now);
  }

  /** The labels a silence sees for an incident: target, rule and incident labels, plus rule, target and severity. */
  labelsOf(i: { readonly rule: string; readonly target: string; readonly severity: Severity; readonly labels: Readonly<Record<string, string>> }): Record<string, string> {
    return {
      ...this.deps.targets[i.target]?.labels,
      ...this.deps.rules().get(i.rule)?.labels,
      ...i.labels,
      rule: i.rule, target: i.target, severity: i.severity,
    };
  }

  /** The silence that holds for these labels now, if any. */
  matching(i: Parameters<Silences['labelsOf']>[0]): Silence | undefined {
    return activeSilenceFor(this.live, this.labelsOf(i), this.deps.clock.now());
  }

  /**
   * Brings every open incident's `silenced` flag in line with the silences
   * active now. Runs after each change and on the engine's tick, so a silence
   * that starts or ends by the clock takes effect within a second.
   */
  async refresh(): Promise<void> {
    const now = this.deps.clock.now();
    this.live = this.live.filter((s) => silenceState(s, now) !== 'expired');
    for (const incident of this.deps.incidents.activeList()) {
      if (this.deps.incidents.isOpening(incident.id)) continue;
      const s = this.matching(incident);
      if (s && !incident.silenced) await this.deps.incidents.setSilenced(incident, true, silencedWhy(s));
      else if (!s && incident.silenced) await this.deps.incidents.setSilenced(incident, false, 'no silence matches any more: the engine acts on it again');
    }
  }

  /** True while some cached silence has not ended: the tick skips the refresh otherwise. */
  get anyLive(): boolean {
    return this.live.length > 0;
  }
}

export function silencedWhy(s: Silence): string {
  const m = s.matchers.map((x) => `${x.label}${x.op}${JSON.stringify(x.value)}`).join(', ');
  return `silenced by ${s.id} (${m}) until ${new Date(s.endsAt).toISOString()}${s.comment ? `: ${s.comment}` : ''}; recorded, not acted on`;
}

function view(s: Silence, now: number): SilenceView {
  return { ...s, state: silenceState(s, now) };
}

function validate(input: SilenceInput, now: number): Omit<Silence, 'id' | 'createdBy' | 'createdAt'> {
  const bad = (field: string, message: string): never => {
    throw new OperationError('bad_request', `${field}: ${message}`, { field });
  };
  if (typeof input !== 'object' || input === null) bad('body', 'must be an object');
  if (!Array.isArray(input.matchers)) bad('matchers', 'must be a list of {label, op, value}');
  const matchers = input.matchers.map((m, i): SilenceMatcher => {
    if (typeof m !== 'object' || m === null) bad(`matchers[${i}]`, 'must be an object {label, op, value}');
    if (typeof m.label !== 'string') bad(`matchers[${i}].label`, 'must be a string');
    if (typeof m.value !== 'string') bad(`matchers[${i}].value`, 'must be a string');
    if (!(MATCHER_OPS as readonly string[]).includes(m.op)) bad(`matchers[${i}].op`, `must be one of ${MATCHER_OPS.join(' ')}`);
    return { label: m.label, op: m.op, value: m.value };
  });
  const issue = matcherIssues(matchers)[0];
  if (issue) bad(issue.field, issue.message);
  const startsAt = input.startsAt ?? now;
  if (!Number.isSafeInteger(startsAt) || startsAt < 0) bad('startsAt', 'must be epoch milliseconds');
  if (!Number.isSafeInteger(input.endsAt)) bad('endsAt', 'must be epoch milliseconds');
  if (input.endsAt <= startsAt) bad('endsAt', 'must be after startsAt');
  if (input.endsAt <= now) bad('endsAt', 'is in the past: the silence would never apply');
  if (input.endsAt - Math.max(startsAt, now) > MAX_SILENCE_MS) bad('endsAt', 'a silence lasts at most a year');
  if (typeof input.comment !== 'string' || input.comment.trim() === '') bad('comment', 'say why (and who to ask): a silence hides problems');
  if (input.comment.length > 2000) bad('comment', 'at most 2000 characters');
  return { matchers, startsAt, endsAt: input.endsAt, comment: input.comment };
}
