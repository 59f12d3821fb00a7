import type { Incident } from '../core/records.js';
import type { TargetConfig } from '../config/types.js';

/**
 * Template variables for one execution. `labels.*` come from alerts and are
 * untrusted: they are only ever placed into argv elements and parameters
 * verbatim, and a runbook can pin them to a pattern with `inputs`.
 */
export function templateVars(
  targetName: string,
  target: TargetConfig | undefined,
  incident: Incident | null,
  params: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const port = target?.process?.basePort ?? null;
  return {
    incident: incident
      ? { id: incident.id, target: incident.target, rule: incident.rule, severity: incident.severity, value: incident.value ?? '', title: incident.title }
      : { id: '', target: targetName, rule: '', severity: '', value: '', title: '' },
    target: { name: targetName, labels: target?.labels ?? {}, port: port ?? '' },
    labels: { ...(target?.labels ?? {}), ...(incident?.labels ?? {}) },
    params,
  };
}
