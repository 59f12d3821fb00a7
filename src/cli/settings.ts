import type { Command } from 'commander';
import { api, connection, printJson, run, withConnection, type ConnectionFlags } from './client.js';
import { table } from './format.js';

/** `medic settings show|set`: the run-time settings (set: superadmin). */
export function registerSettings(program: Command): void {
  const settings = program.command('settings').description('run-time settings: kill switch, mode, rate limits, cooldown');
  withConnection(settings.command('show').description('show the settings').option('--json', 'print JSON'))
    .action(async (opts: ConnectionFlags & { json?: boolean }) => {
      await run(async () => {
        const s = await api<Record<string, unknown>>(connection(opts), 'GET', 'api/v1/settings');
        if (opts.json) return printJson(s);
        process.stdout.write(`${table(['SETTING', 'VALUE'], flatten(s))}\n`);
      });
    });
  withConnection(settings
    .command('set')
    .description('change settings (superadmin), e.g. medic settings set autoRemediation=false mode=shadow rateLimits.globalPerHour=20')
    .argument('<assignments...>', 'key=value; dotted keys for nested ones; values are JSON (true, 20, "text") or plain text')
    .option('--json', 'print JSON'))
    .action(async (assignments: string[], opts: ConnectionFlags & { json?: boolean }) => {
      await run(async () => {
        const patch: Record<string, unknown> = {};
        for (const a of assignments) {
          const i = a.indexOf('=');
          if (i <= 0) throw new Error(`not key=value: "${a}"`);
          setPath(patch, a.slice(0, i).split('.'), parseValue(a.slice(i + 1)));
        }
        const s = await api<Record<string, unknown>>(connection(opts), 'PATCH', 'api/v1/settings', patch);
        if (opts.json) return printJson(s);
        process.stdout.write(`${table(['SETTING', 'VALUE'], flatten(s))}\n`);
      });
    });
}

function parseValue(v: string): unknown {
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let o = obj;
  for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
  o[path[path.length - 1]!] = value;
}

function flatten(v: unknown, prefix = ''): string[][] {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    return Object.entries(v).flatMap(([k, x]) => flatten(x, prefix ? `${prefix}.${k}` : k));
  }
  return [[prefix, JSON.stringify(v)]];
}
