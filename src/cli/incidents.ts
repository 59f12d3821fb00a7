import type { Command } from 'commander';
import type { Incident } from '../core/records.js';
import { api, connection, printJson, run, withConnection, type ConnectionFlags, type Page } from './client.js';
import { ago, ms, table } from './format.js';

export function registerIncidents(program: Command): void {
  withConnection(program
    .command('incidents')
    .description('list incidents, newest first')
    .option('--status <list>', 'e.g. open,remediating,resolved')
    .option('--severity <list>', 'e.g. P0,P1')
    .option('--rule <name>', 'only this rule')
    .option('--target <name>', 'only this target')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON'))
    .action(async (opts: ConnectionFlags & { status?: string; severity?: string; rule?: string; target?: string; limit: string; json?: boolean }) => {
      const q = new URLSearchParams({ limit: opts.limit });
      for (const k of ['status', 'severity', 'rule', 'target'] as const) if (opts[k]) q.set(k, opts[k]);
      await run(async () => {
        const page = await api<Page<Incident>>(connection(opts), 'GET', `api/v1/incidents?${q}`);
        if (opts.json) return printJson(page);
        process.stdout.write(`${table(['ID', 'SEV', 'STATUS', 'RULE', 'TARGET', 'OPENED', 'TTR'],
          page.items.map((i) => [i.id, i.severity, i.status, i.rule, i.target, ago(i.openedAt), ms(i.openedAt, i.resolvedAt)]))}\n`);
        process.stdout.write(`${page.items.length} of ${page.total}\n`);
      });
    });
}
