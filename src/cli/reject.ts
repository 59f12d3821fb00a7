import type { Command } from 'commander';
import type { Execution } from '../core/records.js';
import { api, connection, printJson, run, withConnection, type ConnectionFlags } from './client.js';

/** `medic reject <id> --reason ...`: an admin turns down a waiting execution. */
export function registerReject(program: Command): void {
  withConnection(program
    .command('reject')
    .description('reject an execution that waits for a person (admin)')
    .argument('<execution-id>')
    .requiredOption('--reason <text>', 'why not')
    .option('--json', 'print JSON'))
    .action(async (id: string, opts: ConnectionFlags & { reason: string; json?: boolean }) => {
      await run(async () => {
        const e = await api<Execution>(connection(opts), 'POST', `api/v1/executions/${encodeURIComponent(id)}/reject`, { reason: opts.reason });
        if (opts.json) return printJson(e);
        process.stdout.write(`rejected ${e.id} (${e.runbook} on ${e.target})\n`);
      });
    });
}
