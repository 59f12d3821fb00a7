import type { Command } from 'commander';
import type { Execution, Incident } from '../core/records.js';
import { api, defaultUrl } from './client.js';
import { ago, ms, table } from './format.js';

interface Page<T> { items: T[]; total: number }

export function registerLists(program: Command): void {
  program
    .command('incidents')
    .description('list incidents, newest first')
    .option('--status <list>', 'e.g. open,remediating,resolved')
    .option('--severity <list>', 'e.g. P0,P1')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .option('--url <url>', 'Medic API (env MEDIC_URL)', defaultUrl())
    .action(async (opts: { status?: string; severity?: string; limit: string; json?: boolean; url: string }) => {
      const q = new URLSearchParams({ limit: opts.limit });
      if (opts.status) q.set('status', opts.status);
      if (opts.severity) q.set('severity', opts.severity);
      await run(async () => {
        const page = await api<Page<Incident>>({ url: opts.url }, 'GET', `api/v1/incidents?${q}`);
        if (opts.json) return void process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
        process.stdout.write(`${table(['ID', 'SEV', 'STATUS', 'RULE', 'TARGET', 'OPENED', 'TTR'],
          page.items.map((i) => [i.id, i.severity, i.status, i.rule, i.target, ago(i.openedAt), ms(i.openedAt, i.resolvedAt)]))}\n`);
        process.stdout.write(`${page.items.length} of ${page.total}\n`);
      });
    });

  program
    .command('executions')
    .description('list executions, newest first')
    .option('--status <list>', 'e.g. awaiting_approval,succeeded')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .option('--url <url>', 'Medic API (env MEDIC_URL)', defaultUrl())
    .action(async (opts: { status?: string; limit: string; json?: boolean; url: string }) => {
      const q = new URLSearchParams({ limit: opts.limit });
      if (opts.status) q.set('status', opts.status);
      await run(async () => {
        const page = await api<Page<Execution>>({ url: opts.url }, 'GET', `api/v1/executions?${q}`);
        if (opts.json) return void process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
        process.stdout.write(`${table(['ID', 'STATUS', 'RUNBOOK', 'TARGET', 'SEV', 'CREATED', 'TOOK', 'REASON'],
          page.items.map((e) => [e.id, e.status, e.runbook, e.target, e.severity, ago(e.createdAt), ms(e.startedAt, e.finishedAt),
            e.error ?? (e.approvedBy ? `${e.reason}; approved by ${e.approvedBy}` : e.reason)]))}\n`);
        process.stdout.write(`${page.items.length} of ${page.total}\n`);
      });
    });

  for (const verb of ['approve', 'reject'] as const) {
    program
      .command(verb)
      .description(verb === 'approve' ? 'approve an execution that waits for a person' : 'reject an execution that waits for a person')
      .argument('<execution-id>')
      .option(verb === 'approve' ? '--comment <text>' : '--reason <text>', verb === 'approve' ? 'why' : 'why not')
      .option('--as <name>', 'who you are, for the audit log', process.env['USER'] ?? 'cli')
      .option('--url <url>', 'Medic API (env MEDIC_URL)', defaultUrl())
      .action(async (id: string, opts: { comment?: string; reason?: string; as: string; url: string }) => {
        await run(async () => {
          const body = verb === 'approve' ? { comment: opts.comment } : { reason: opts.reason ?? 'rejected from the CLI' };
          const e = await api<Execution>({ url: opts.url, actor: opts.as }, 'POST', `api/v1/executions/${encodeURIComponent(id)}/${verb}`, body);
          process.stdout.write(`${verb === 'approve' ? 'approved' : 'rejected'} ${e.id} (${e.runbook} on ${e.target}) as ${opts.as}\n`);
        });
      });
  }
}

async function run(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    process.stderr.write(`medic: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
