import type { Execution, Incident, StepRecord } from './records.js';
import type { Verdict } from './policy.js';
import type { Severity } from './severity.js';
import type { Signal } from './signal.js';

/**
 * The one typed observation point (STYLE habit 7): the narrator, logs, the API's
 * live stream, metrics and tests subscribe here. A listener that throws is
 * logged and never breaks the engine.
 */
export interface EngineEvents {
  'signals': { readonly signals: readonly Signal[] };
  'incident:opened': { readonly incident: Incident; readonly explain: string };
  'incident:updated': { readonly incident: Incident; readonly from: Incident['status']; readonly why: string };
  'incident:resolved': { readonly incident: Incident; readonly why: string };
  /** An incident went to a person: why, and the execution it is about when there is one. */
  'incident:escalated': { readonly incident: Incident; readonly reason: string; readonly executionId: string | null };
  /** A rule fired and opened nothing: Medic was changing the target, or a cause's incident explains it. */
  'problem:held_back': {
    readonly rule: string; readonly target: string; readonly severity: Severity;
    readonly why: 'medic_acting' | 'inhibited'; readonly cause: string | null;
  };
  'decision': { readonly incident: Incident | null; readonly runbook: string; readonly target: string; readonly verdict: Verdict };
  'execution:created': { readonly execution: Execution };
  'execution:transition': { readonly execution: Execution; readonly from: Execution['status'] };
  /**
   * An execution reached its outcome: `succeeded` only after its watch ended
   * clean. `needsPerson`: nothing more is tried automatically.
   */
  'execution:finished': {
    readonly execution: Execution; readonly outcome: 'succeeded' | 'failed' | 'rolled_back'; readonly reason: string;
    readonly needsPerson: boolean;
  };
  /** An execution waits for a person's approval. */
  'approval:requested': { readonly execution: Execution; readonly reason: string };
  /**
   * Nobody decided in time: the execution is cancelled. `incidentEscalated`:
   * its incident went to a person as well (and incident:escalated said so).
   */
  'approval:expired': { readonly execution: Execution; readonly reason: string; readonly incidentEscalated: boolean };
  'step:started': { readonly execution: Execution; readonly step: StepRecord };
  'step:finished': { readonly execution: Execution; readonly step: StepRecord };
  /** `reason`, `target` and `severity` come with an opening: what tripped it, and where. */
  'breaker:changed': {
    readonly key: string; readonly state: 'open' | 'closed'; readonly failures: readonly number[];
    readonly reason?: string; readonly target?: string; readonly severity?: Execution['severity'];
  };
  'setting:changed': { readonly key: string; readonly value: unknown; readonly actor: string };
  /** One delivery of pushed alerts (src/intake), counted by what became of them. */
  'alerts:received': { readonly source: string; readonly received: number; readonly firing: number; readonly resolved: number; readonly deduplicated: number; readonly unrouted: number };
  'schedule:run': {
    readonly schedule: string; readonly at: number; readonly outcome: 'started' | 'skipped' | 'failed';
    readonly reason: string; readonly executionId: string | null;
  };
}

export type EventName = keyof EngineEvents;
type Listener<K extends EventName> = (e: EngineEvents[K]) => void;

export class EventBus {
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();

  constructor(private readonly onListenerError: (event: string, err: unknown) => void = () => {}) {}

  on<K extends EventName>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<EventName>);
    return () => set.delete(listener as Listener<EventName>);
  }

  emit<K extends EventName>(event: K, payload: EngineEvents[K]): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        l(payload);
      } catch (err) {
        this.onListenerError(event, err);
      }
    }
  }

  /** Resolves with the first event that matches; rejects after timeoutMs (real time: for tests and CLIs). */
  waitFor<K extends EventName>(event: K, pred: (e: EngineEvents[K]) => boolean = () => true, timeoutMs = 30_000): Promise<EngineEvents[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${event}`));
      }, timeoutMs);
      const off = this.on(event, (e) => {
        if (!pred(e)) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
    });
  }
}
