import type { Execution, Incident } from '../core/records.js';
import type { RemediatorDeps } from './remediator.js';

/**
 * Shadow mode's record: one shadowed execution per incident. Asked again while
 * the problem holds, the engine writes no new execution, audit entry or
 * timeline line; the execution counts how often it would have run again, once
 * per cooldown (rule's, else the policy's), as a real run would be spaced.
 */
export class ShadowLedger {
  /** The shadowed execution per incident, and when it last would have run. */
  private readonly byIncident = new Map<string, { execution: Execution; lastAt: number }>();

  constructor(private readonly deps: () => Pick<RemediatorDeps, 'store' | 'clock' | 'incidents' | 'rules' | 'policy'>) {}

  remember(incidentId: string, execution: Execution): void {
    this.byIncident.set(incidentId, { execution, lastAt: execution.createdAt });
  }

  /** True when the incident was shadowed already (counted again if its cooldown has passed); false: shadow it now. */
  async again(incident: Incident): Promise<boolean> {
    const { store, clock, incidents, rules, policy } = this.deps();
    for (const id of this.byIncident.keys()) if (!incidents.byId(id)) this.byIncident.delete(id);
    let last = this.byIncident.get(incident.id);
    if (!last) {
      // After a restart the store still knows what was shadowed for this incident.
      const found = (await store.executions.list({ incidentId: incident.id, status: ['shadowed'], limit: 1 })).items[0];
      if (!found) return false;
      this.byIncident.set(incident.id, (last = { execution: found, lastAt: found.createdAt }));
    }
    const now = clock.now();
    if (now - last.lastAt < (rules().get(incident.rule)?.cooldownMs ?? policy().cooldownMs)) return true;
    const execution: Execution = { ...last.execution, shadowRepeats: (last.execution.shadowRepeats ?? 0) + 1 };
    this.byIncident.set(incident.id, { execution, lastAt: now });
    await store.executions.update(execution.id, { shadowRepeats: execution.shadowRepeats });
    return true;
  }
}
