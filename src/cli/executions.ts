import type { Command } from 'commander';
import type { Execution } from '../core/records.js';
import { api, connection, printJson, run, withConnection, type ConnectionFlags, type Page } from './client.js';
import { ago, ms, table } from './format.js';

export function registerExecutions(program: Command): void {
  withConnection(program
    .command('executions')
    .description('list executions, newest first')
    .option('--status <list>', 'e.g. awaiting_approval,succeeded')
    .option('--runbook <name>', 'only this runbook')
    .option('--target <name>', 'only this target')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON'))
    .action(async (opts: ConnectionFlags & { status?: string; runbook?: string; target?: string; limit: string; json?: boolean }) => {
      const q = new URLSearchParams({ limit: opts.limit });
      for (const k of ['status', 'runbook', 'target'] as const) if (opts[k]) q.set(k, opts[k]);
      await run(async () => {
        const page = await api<Page<Execution>>(connection(opts), 'GET', `api/v1/executions?${q}`);
        if (opts.json) return printJson(page);
        process.stdout.write(`${executionTable(page.items)}\n${page.items.length} of ${page.total}\n`);
      });
    });
}

export function executionTable(items: readonly Execution[]): string {
  return table(['ID', 'STATUS', 'RUNBOOK', 'TARGET', 'SEV', 'CREATED', 'TOOK', 'REASON'],
    items.map((e) => [e.id, e.status, e.runbook, e.target, e.severity, ago(e.createdAt), ms(e.startedAt, e.finishedAt),
      e.error ?? (e.approvedBy ? `${e.reason}; approved by ${e.approvedBy}` : e.reason)]));
}
