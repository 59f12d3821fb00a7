import type { Command } from 'commander';
import type { Execution } from '../core/records.js';
import { api, connection, printJson, run, withConnection, type ConnectionFlags } from './client.js';

/** `medic run <runbook> <target> --reason ...`: a manual remediation; the policy may hold it for approval. */
export function registerRun(program: Command): void {
  withConnection(program
    .command('run')
    .description('run a runbook on a target by hand (operator; P0/P1 waits for an admin)')
    .argument('<runbook>')
    .argument('<target>')
    .requiredOption('--reason <text>', 'why, for the audit log')
    .option('--dry-run', 'plan and record, change nothing')
    .option('--incident <id>', 'the incident this answers')
    .option('--severity <P0-P3>', 'default: the incident\'s, else P3')
    .option('--json', 'print JSON'))
    .action(async (runbook: string, target: string, opts: ConnectionFlags & { reason: string; dryRun?: boolean; incident?: string; severity?: string; json?: boolean }) => {
      await run(async () => {
        const body = {
          runbook, target, reason: opts.reason, dry_run: opts.dryRun === true,
          ...(opts.incident ? { incident: opts.incident } : {}), ...(opts.severity ? { severity: opts.severity } : {}),
        };
        const r = await api<{ verdict: { kind: string; reason: string }; execution: Execution | null }>(connection(opts), 'POST', 'api/v1/executions', body);
        if (opts.json) return printJson(r);
        process.stdout.write(`${r.verdict.kind}: ${r.verdict.reason}\n`);
        if (r.execution) process.stdout.write(`execution ${r.execution.id} is ${r.execution.status}\n`);
      });
    });
}
