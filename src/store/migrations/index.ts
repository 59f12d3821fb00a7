import type { Migration } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import { initial } from './001_initial.js';
import { tokens } from './002_tokens.js';
import { alerts } from './003_alerts.js';
import { silencesAndRules } from './005_silences_rules.js';
import { auditSigning } from './006_audit_signing.js';
import { breakerReason } from './007_breaker_reason.js';
import { shadowRepeats } from './008_shadow_repeats.js';

/**
 * Every migration, by name, listed by hand: the compiled package runs from
 * dist/ where there is no source folder to scan. Names sort in the order
 * they run; append new ones, never rename or edit released ones.
 */
export function migrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    '001_initial': initial(dialect),
    '002_tokens': tokens(),
    '003_alerts': alerts(dialect),
    '005_silences_rules': silencesAndRules(),
    '006_audit_signing': auditSigning(),
    '007_breaker_reason': breakerReason(),
    '008_shadow_repeats': shadowRepeats(),
  };
}
