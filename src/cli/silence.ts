import type { Command } from 'commander';
import { api, connection, printJson, run, withConnection, type ConnectionFlags } from './client.js';
import { ago, table } from './format.js';

interface Matcher { label: string; op: string; value: string }
interface Silence { id: string; matchers: Matcher[]; startsAt: number; endsAt: number; createdBy: string; comment: string; state: string }

const MATCHER = /^([\w.-]+)(=~|!~|!=|=)(.*)$/s;

/** `medic silence add|list|expire`: incidents matching a silence are recorded, not acted on. */
export function registerSilence(program: Command): void {
  const silence = program.command('silence').description('silence incidents: recorded, not acted on');
  withConnection(silence
    .command('add')
    .description('add a silence (operator), e.g. medic silence add target=web rule=~disk.* --duration 2h --comment "maintenance"')
    .argument('<matchers...>', 'label=value, label!=value, label=~regex, label!~regex (labels: rule, target, severity, incident labels)')
    .option('--duration <d>', 'how long: 30m, 2h, 1d', '1h')
    .option('--comment <text>', 'why', 'silenced from the CLI')
    .option('--json', 'print JSON'))
    .action(async (specs: string[], opts: ConnectionFlags & { duration: string; comment: string; json?: boolean }) => {
      await run(async () => {
        const matchers = specs.map((s) => {
          const m = MATCHER.exec(s);
          if (!m) throw new Error(`not a matcher: "${s}" (label=value, label!=value, label=~regex, label!~regex)`);
          return { label: m[1]!, op: m[2]!, value: m[3]! };
        });
        const s = await api<Silence>(connection(opts), 'POST', 'api/v1/silences', { matchers, duration: opts.duration, comment: opts.comment });
        if (opts.json) return printJson(s);
        process.stdout.write(`silence ${s.id} ${s.state} until ${new Date(s.endsAt).toISOString()}\n`);
      });
    });
  withConnection(silence.command('list').description('list silences').option('--json', 'print JSON'))
    .action(async (opts: ConnectionFlags & { json?: boolean }) => {
      await run(async () => {
        const r = await api<{ items: Silence[] }>(connection(opts), 'GET', 'api/v1/silences');
        if (opts.json) return printJson(r);
        process.stdout.write(`${table(['ID', 'STATE', 'MATCHERS', 'ENDS', 'BY', 'COMMENT'], r.items.map((s) => [
          s.id, s.state, s.matchers.map((m) => `${m.label}${m.op}${m.value}`).join(','), new Date(s.endsAt).toISOString(), s.createdBy, s.comment,
        ]))}\n`);
      });
    });
  withConnection(silence.command('expire').description('expire a silence now (operator)').argument('<silence-id>').option('--json', 'print JSON'))
    .action(async (id: string, opts: ConnectionFlags & { json?: boolean }) => {
      await run(async () => {
        const s = await api<Silence>(connection(opts), 'DELETE', `api/v1/silences/${encodeURIComponent(id)}`);
        if (opts.json) return printJson(s);
        process.stdout.write(`silence ${s.id} is ${s.state} (${ago(s.endsAt)})\n`);
      });
    });
}
