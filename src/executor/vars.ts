import type { Incident } from '../core/records.js';
import type { TargetConfig } from '../config/types.js';

/**
 * Template variables for one execution. `labels.*` are the configured
 * target's labels, plus the alert's labels for keys the target does not set.
 * Those come from alerts and are untrusted: they are only ever placed into
 * argv elements and parameters verbatim, and a runbook can pin them to a
 * pattern with `inputs`. The target itself is always a configured one (an
 * alert naming another is not routed).
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
    // The configured target's labels win: an alert may add labels, never change what the config says of its target.
    labels: { ...(incident?.labels ?? {}), ...(target?.labels ?? {}) },
    params,
  };
}
