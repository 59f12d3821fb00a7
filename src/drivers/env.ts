/**
 * What a child inherits from the engine's environment. Deliberately short:
 * the engine holds database URLs and tokens (MEDIC_BOOTSTRAP_TOKEN,
 * MEDIC_TOKEN) that a runbook's program, or a supervised service, has no
 * business seeing. Anything else must be given in `env`.
 */
export const INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR'] as const;

/** INHERITED_ENV as this process has it: what a child of the engine starts from. */
export function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED_ENV) {
    const v = process.env[key];
    if (v !== undefined) env[key] = v;
  }
  return env;
}
