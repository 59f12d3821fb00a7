import type { Logger } from 'pino';
import type { CompiledRule } from '../config/types.js';
import type { AlertIntake } from '../intake/intake.js';
import type { Detector, Problem } from '../incidents/detector.js';
import type { EventBus } from '../core/events.js';
import type { Incidents } from '../incidents/incidents.js';
import type { Remediator } from './remediator.js';
import { silencedWhy, type Silences } from '../incidents/silences.js';

/** The engine's parts, read when a rule changes state (the detector is built before some of them). */
export interface ProblemFlowDeps {
  readonly incidents: () => Incidents;
  readonly remediator: () => Remediator;
  readonly silences: () => Silences;
  readonly intake: () => AlertIntake;
  readonly detector: () => Detector;
  readonly events: EventBus;
  readonly log: Logger;
}

/**
 * What happens when a rule starts or stops holding for a target: an incident
 * opens (silenced, or handed to the remediator), escalates, or resolves when
 * the problem clears by itself.
 */
export class ProblemFlow {
  constructor(private readonly d: ProblemFlowDeps) {}

  /** A rule escalated to a higher band: the open incident takes the new severity. */
  async escalated(p: Problem): Promise<void> {
    await this.d.incidents().open(p, this.openOptions(p));
  }

  async fired(p: Problem): Promise<void> {
    const opts = this.openOptions(p);
    const silence = this.d.silences().matching({ rule: p.rule.name, target: p.target, severity: p.severity, labels: opts.labels ?? {} });
    const { incident, created } = await this.d.incidents().open(p, { ...opts, silencedBy: silence ? silencedWhy(silence) : null });
    // Recorded, never acted on: the silence's end (refresh) clears the flag and the reconsideration takes over.
    if (incident.silenced) return;
    // A silence that started since the incident opened holds from now, even before the next refresh.
    if (!created && silence) {
      await this.d.incidents().setSilenced(incident, true, silencedWhy(silence));
      return;
    }
    if (incident.status === 'open') await this.d.remediator().consider(incident);
  }

  /**
   * A symptom of a cause that has an incident open on the target (the rule's `inhibited_by`): noted
   * on that incident, with no incident and no `detected` notification of its own.
   */
  async inhibited(p: Problem, cause: string): Promise<void> {
    // The cause's incident for this replica, else the whole target's, else (a group symptom) any replica's.
    const incidents = this.d.incidents();
    const incident = incidents.findActive(cause, p.target, p.labels ?? {}) ?? incidents.findActive(cause, p.target)
      ?? incidents.activeList().find((i) => i.rule === cause && i.target === p.target);
    // The cause ended in the meantime: nothing explains the symptom any more.
    if (!incident) return this.fired(p);
    this.d.events.emit('problem:held_back', { rule: p.rule.name, target: p.target, severity: p.severity, why: 'inhibited', cause });
    await this.d.incidents().note(incident, 'symptom',
      `${p.severity} ${p.rule.name} also holds on ${p.target}, explained by this incident (inhibited_by ${cause}): ${p.explain}`,
      { rule: p.rule.name, severity: p.severity, value: p.value });
  }

  /** It fired while Medic's own step (or its settle) was working on the target: not an incident, only told. */
  suppressed(p: Problem): void {
    this.d.log.debug({ rule: p.rule.name, target: p.target, severity: p.severity, explain: p.explain },
      'rule held while Medic changes the target: judged again after the settle time');
    this.d.events.emit('problem:held_back', { rule: p.rule.name, target: p.target, severity: p.severity, why: 'medic_acting', cause: null });
  }

  /**
   * A rule's incident carries the labels that identify its problem (the replica, when judged per replica).
   * Alert incidents carry the labels their alerts share (for templates and silences) and are one per rule and target.
   */
  private openOptions(p: Problem): { source: 'rule' | 'alert'; labels?: Record<string, string>; identifying?: Record<string, string> } {
    if (p.rule.origin !== 'alert') return { source: 'rule', labels: { ...p.labels } };
    return { source: 'alert', labels: this.d.intake().commonLabels(p.rule.name, p.target), identifying: {} };
  }

  private readonly clearing = new Set<string>();

  async cleared(rule: CompiledRule, target: string, explain: string, labels: Readonly<Record<string, string>> = {}): Promise<void> {
    const incident = this.d.incidents().findActive(rule.name, target, labels);
    if (!incident) {
      this.d.detector().markActive(rule.name, target, false, labels);
      return;
    }
    // While an execution works on it, its verify is the judge; after that the incident is reopened or resolved there.
    // While a decision about the target is being recorded, wait: the detector says "cleared" again next time.
    if (incident.status === 'remediating' || this.d.remediator().isDeciding(incident.target) || this.clearing.has(incident.id)) return;
    if (this.d.incidents().isOpening(incident.id)) return;
    // A fix failed or was undone there: the problem clearing now (often by the undo) is not a fix; a person ends it.
    if (this.d.incidents().awaitsPerson(incident.id)) return;
    this.clearing.add(incident.id);
    try {
      if (incident.status === 'awaiting_approval') await this.d.remediator().withdrawApprovals(incident, `the problem cleared by itself: ${explain}`);
      await this.d.incidents().move(incident, 'resolved', `no longer holds: ${explain}`);
    } finally {
      this.clearing.delete(incident.id);
    }
  }
}
