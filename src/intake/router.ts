import { isSeverity, type Severity } from '../core/severity.js';
import type { AlertRoute } from '../config/types.js';
import { matchesAll } from '../core/matchers.js';

export type Routing =
  | { readonly routed: true; readonly route: AlertRoute; readonly rule: string; readonly target: string; readonly severity: Severity }
  | { readonly routed: false; readonly reason: string };

/** Common `severity` label values → Medic severities; P0..P3 are taken as they are. */
const SEVERITY_WORDS: Readonly<Record<string, Severity>> = {
  critical: 'P1', page: 'P1', error: 'P2', high: 'P2', major: 'P2', warning: 'P2', warn: 'P2', medium: 'P2',
  info: 'P3', low: 'P3', minor: 'P3', none: 'P3',
};

export function severityFromLabel(value: string | undefined): Severity {
  if (value === undefined) return 'P2';
  if (isSeverity(value.toUpperCase())) return value.toUpperCase() as Severity;
  return SEVERITY_WORDS[value.toLowerCase()] ?? 'P2';
}

/**
 * The first route whose matchers all match; its rule, the target and the
 * severity for these labels. A target taken from an alert label must be one
 * of the configured targets (`isTarget`): whoever can send an alert must not
 * be able to point a runbook at a host or process name of their choosing.
 */
export function routeAlert(routes: readonly AlertRoute[], labels: Readonly<Record<string, string>>, isTarget: (name: string) => boolean): Routing {
  for (const route of routes) {
    if (!matchesAll(route.matchers, labels)) continue;
    const target = route.target.kind === 'fixed' ? route.target.name : labels[route.target.label];
    if (target === undefined || target === '') {
      return { routed: false, reason: `route ${route.index} (${route.rule}) matched, but the alert has no '${(route.target as { label: string }).label}' label to name the target` };
    }
    if (route.target.kind === 'label' && !isTarget(target)) {
      return { routed: false, reason: `route ${route.index} (${route.rule}) matched, but its '${route.target.label}' label names '${target.slice(0, 128)}', which is not a configured target` };
    }
    return { routed: true, route, rule: route.rule, target, severity: route.severity ?? severityFromLabel(labels['severity']) };
  }
  return { routed: false, reason: routes.length === 0 ? 'no intake routes are configured' : 'no route matches its labels' };
}
