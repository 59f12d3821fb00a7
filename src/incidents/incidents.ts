import { redactSecrets, redactString } from '../core/redact.js';
import type { Clock } from '../core/clock.js';
import { fingerprint, REPLICA_LABEL } from '../core/fingerprint.js';
import { isActiveIncident, moveIncident } from '../core/incident.js';
import type { Incident, IncidentStatus } from '../core/records.js';
import { moreSevere } from '../core/severity.js';
import type { Store } from '../store/types.js';
import type { Problem } from './detector.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../drivers/ids.js';

export interface IncidentDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly audit: (kind: string, subject: string, result: string, details: Record<string, unknown>, actor?: string) => Promise<void>;
  readonly onActiveChange: (incident: Incident, active: boolean) => void;
}

/**
 * Opens, refreshes and moves incidents. One active incident per fingerprint:
 * the cache entry is taken synchronously, before any await, so two detections
 * of one problem arriving together can never open two incidents.
 */
export class Incidents {
  private readonly active = new Map<string, Incident>();
  /** Incidents whose opening is still being recorded: the detector's own path decides about them first. */
  private readonly opening = new Set<string>();
  /** Escalated after a failed or undone fix: see `awaitsPerson`. */
  private readonly forPerson = new Set<string>();

  constructor(private readonly deps: IncidentDeps) {}

  async load(): Promise<void> {
    const page = await this.deps.store.incidents.list({ status: ['open', 'remediating', 'awaiting_approval', 'escalated'], limit: 10_000 });
    for (const i of page.items) {
      this.active.set(i.fingerprint, i);
      this.deps.onActiveChange(i, true);
      // Waiting for a person before the restart: still waiting (the timeline says why it escalated).
      if (i.status === 'escalated') {
        const last = (await this.deps.store.incidents.timeline(i.id)).filter((t) => t.kind === 'escalated').at(-1);
        if (last?.data?.['needsPerson'] === true) this.forPerson.add(i.id);
      }
    }
  }

  isOpening(id: string): boolean {
    return this.opening.has(id);
  }

  activeList(): Incident[] {
    return [...this.active.values()];
  }

  findActive(rule: string, target: string, labels: Readonly<Record<string, string>> = {}): Incident | undefined {
    return this.active.get(fingerprint(rule, target, labels));
  }

  byId(id: string): Incident | undefined {
    for (const i of this.active.values()) if (i.id === id) return i;
    return undefined;
  }

  /** A rule fired: returns the incident and whether it is new. */
  /**
   * `labels` are the incident's (templates read them as `labels.x`); they also
   * identify it unless `identifying` says which do (alert incidents: none, one
   * incident per rule and target, whatever labels its alerts carry).
   */
  async open(p: Problem, opts: { silencedBy?: string | null; source?: Incident['source']; labels?: Record<string, string>; identifying?: Record<string, string> } = {}): Promise<{ incident: Incident; created: boolean }> {
    const labels = opts.labels ?? {};
    const fp = fingerprint(p.rule.name, p.target, opts.identifying ?? labels);
    const now = this.deps.clock.now();
    const existing = this.active.get(fp);
    if (existing) {
      const severity = moreSevere(existing.severity, p.severity);
      if (severity === existing.severity && existing.value === p.value) return { incident: existing, created: false };
      const updated: Incident = { ...existing, severity, value: p.value, updatedAt: now };
      this.active.set(fp, updated);
      await this.deps.store.incidents.update(existing.id, { severity, value: p.value, updatedAt: now });
      if (severity !== existing.severity) {
        await this.note(updated, 'escalated', `severity raised to ${severity}: ${p.explain}`, { from: existing.severity });
      }
      return { incident: updated, created: false };
    }
    const incident: Incident = {
      id: newId('inc', this.deps.clock),
      fingerprint: fp,
      rule: p.rule.name,
      target: p.target,
      severity: p.severity,
      status: 'open',
      title: titleOf(p, labels),
      labels,
      value: p.value,
      source: opts.source ?? 'rule',
      openedAt: now,
      updatedAt: now,
      resolvedAt: null,
      silenced: Boolean(opts.silencedBy),
    };
    this.active.set(fp, incident);
    this.opening.add(incident.id);
    this.deps.onActiveChange(incident, true);
    try {
      await this.deps.store.incidents.insert(incident);
      this.deps.events.emit('incident:opened', { incident, explain: p.explain });
      await this.note(incident, 'detected', `${p.severity} ${p.rule.name} on ${p.target}: ${p.explain}`, { value: p.value });
      if (opts.silencedBy) await this.note(incident, 'silenced', opts.silencedBy);
      await this.deps.audit('detection', incident.id, 'opened', { rule: p.rule.name, target: p.target, severity: p.severity, explain: p.explain });
    } finally {
      this.opening.delete(incident.id);
    }
    return { incident, created: true };
  }

  /**
   * Moves an incident, records why on its timeline, and tells the listeners.
   * `data.needsPerson` on an escalation: a fix failed or was undone, so the
   * incident waits for a person (or a later verified fix), and the problem
   * clearing by itself does not resolve it (see `awaitsPerson`).
   */
  async move(incident: Incident, to: IncidentStatus, why: string, data: Record<string, unknown> = {}): Promise<Incident> {
    // The caller's copy may be stale: the cache is the truth for active incidents, the store for the others.
    const cached = this.active.get(incident.fingerprint);
    const current = cached?.id === incident.id ? cached : (await this.deps.store.incidents.get(incident.id)) ?? incident;
    if (current.status === to) return current;
    const now = this.deps.clock.now();
    // Asserts the table before anything changes; the cache moves before the await, as open() claims it.
    const updated: Incident = { ...current, ...moveIncident(current, to, now) };
    this.cache(updated);
    const stored = await this.deps.store.incidents.move(current, to, now);
    if (!stored) {
      // Moved meanwhile by someone else: theirs stands.
      const fresh = (await this.deps.store.incidents.get(current.id)) ?? current;
      this.cache(fresh);
      return fresh;
    }
    if (to === 'escalated' && data['needsPerson'] === true) this.forPerson.add(updated.id);
    else this.forPerson.delete(updated.id);
    await this.note(updated, to, why, data);
    if (to === 'resolved') {
      await this.deps.audit('incident', updated.id, 'resolved', { why, ...data });
      this.deps.events.emit('incident:resolved', { incident: updated, why });
    } else {
      this.deps.events.emit('incident:updated', { incident: updated, from: current.status, why });
    }
    if (to === 'escalated') this.announceEscalation(updated, why, data);
    return updated;
  }

  /** An incident escalated because a fix failed or was undone: only a person or a later verified fix ends it. */
  awaitsPerson(id: string): boolean {
    return this.forPerson.has(id);
  }

  private cache(incident: Incident): void {
    const had = this.active.get(incident.fingerprint)?.id === incident.id;
    if (isActiveIncident(incident.status)) {
      this.active.set(incident.fingerprint, incident);
      if (!had) this.deps.onActiveChange(incident, true);
    } else if (had) {
      this.active.delete(incident.fingerprint);
      this.deps.onActiveChange(incident, false);
    }
  }

  private announceEscalation(incident: Incident, reason: string, data: Record<string, unknown>): void {
    const execution = data['execution'];
    this.deps.events.emit('incident:escalated', { incident, reason, executionId: typeof execution === 'string' ? execution : null });
  }

  /**
   * A resolved incident whose fix did not hold (a person rolled the fix back)
   * goes back to escalated, for a person, unless the same problem already has
   * a newer incident, which then carries it.
   */
  async reopen(incident: Incident, why: string, data: Record<string, unknown> = {}): Promise<void> {
    const current = (await this.deps.store.incidents.get(incident.id)) ?? incident;
    const newer = this.active.get(current.fingerprint);
    if (current.status !== 'resolved' || (newer && newer.id !== current.id)) {
      await this.note(current, 'not_held', why, data);
      return;
    }
    const reopened = await this.deps.store.incidents.move(current, 'escalated', this.deps.clock.now());
    if (!reopened) return;
    this.cache(reopened);
    this.forPerson.add(reopened.id);
    await this.note(reopened, 'escalated', why, { ...data, needsPerson: true });
    await this.deps.audit('incident', reopened.id, 'reopened', { why, ...data });
    this.deps.events.emit('incident:updated', { incident: reopened, from: 'resolved', why });
    this.announceEscalation(reopened, why, data);
  }

  /** A silence started or ended for an active incident: it is (or is again) acted on or not. */
  async setSilenced(incident: Incident, silenced: boolean, why: string): Promise<Incident> {
    const cached = this.active.get(incident.fingerprint);
    if (!cached || cached.id !== incident.id || cached.silenced === silenced) return cached ?? incident;
    const now = this.deps.clock.now();
    const updated: Incident = { ...cached, silenced, updatedAt: now };
    this.active.set(updated.fingerprint, updated);
    await this.deps.store.incidents.update(updated.id, { silenced, updatedAt: now });
    await this.note(updated, silenced ? 'silenced' : 'unsilenced', why);
    this.deps.events.emit('incident:updated', { incident: updated, from: updated.status, why });
    return updated;
  }

  async note(incident: Incident, kind: string, message: string, data: Record<string, unknown> | null = null): Promise<void> {
    await this.deps.store.incidents.appendTimeline({
      incidentId: incident.id, at: this.deps.clock.now(), kind, message: redactString(message), data: data && redactSecrets(data),
    });
  }
}

/** The rule's description (or "rule on target"), and the replica when the problem is one replica's. */
function titleOf(p: Problem, labels: Readonly<Record<string, string>>): string {
  const base = p.rule.description || `${p.rule.name} on ${p.target}`;
  const replica = labels[REPLICA_LABEL];
  return replica === undefined ? base : `${base} (${p.target} replica ${replica})`;
}
