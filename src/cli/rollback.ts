import type { Command } from 'commander';
import type { Execution } from '../core/records.js';
import { api, connection, printJson, run, withConnection, type ConnectionFlags } from './client.js';

/** `medic rollback <execution-id> --reason ...`: undo a finished execution's steps (admin). */
export function registerRollback(program: Command): void {
  withConnection(program
    .command('rollback')
    .description('roll back a finished execution (admin)')
    .argument('<execution-id>')
    .requiredOption('--reason <text>', 'why, for the audit log')
    .option('--json', 'print JSON'))
    .action(async (id: string, opts: ConnectionFlags & { reason: string; json?: boolean }) => {
      await run(async () => {
        const e = await api<Execution>(connection(opts), 'POST', `api/v1/executions/${encodeURIComponent(id)}/rollback`, { reason: opts.reason });
        if (opts.json) return printJson(e);
        process.stdout.write(`rolled back ${e.id} (${e.runbook} on ${e.target}): ${e.status}\n`);
      });
    });
}
