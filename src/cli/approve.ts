import type { Command } from 'commander';
import type { Execution } from '../core/records.js';
import { api, connection, printJson, run, withConnection, type ConnectionFlags } from './client.js';

/** `medic approve <id>`: an admin lets a waiting execution run. */
export function registerApprove(program: Command): void {
  withConnection(program
    .command('approve')
    .description('approve an execution that waits for a person (admin)')
    .argument('<execution-id>')
    .option('--comment <text>', 'why')
    .option('--json', 'print JSON'))
    .action(async (id: string, opts: ConnectionFlags & { comment?: string; json?: boolean }) => {
      await run(async () => {
        const e = await api<Execution>(connection(opts), 'POST', `api/v1/executions/${encodeURIComponent(id)}/approve`, opts.comment ? { comment: opts.comment } : {});
        if (opts.json) return printJson(e);
        process.stdout.write(`approved ${e.id} (${e.runbook} on ${e.target}) as ${e.approvedBy ?? '?'}; it is ${e.status}\n`);
      });
    });
}
