import type { Command } from 'commander';
import type { Execution } from '../core/records.js';
import { api, connection, printJson, run, type ConnectionFlags } from './client.js';

/**
 * `medic executions resume|abandon <id>`: a person decides about an execution
 * held after a crash. Subcommands of the `executions` list command, whose
 * --url and --token they share.
 */
export function registerExecutionControl(program: Command): void {
  const executions = program.commands.find((c) => c.name() === 'executions') ?? program.command('executions');
  executions
    .command('resume')
    .description('resume an execution held for a person: the step in doubt runs again (or, with --assume-done, counts as done) (admin)')
    .argument('<execution-id>')
    .option('--assume-done', 'the step in doubt did happen (you checked): do not run it again')
    .option('--comment <text>', 'why, for the audit log')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { assumeDone?: boolean; comment?: string; json?: boolean }, cmd: Command) => {
      await run(async () => {
        const e = await api<Execution>(connection(flagsOf(cmd)), 'POST', `api/v1/executions/${encodeURIComponent(id)}/resume`,
          { assume_done: opts.assumeDone === true, ...(opts.comment ? { comment: opts.comment } : {}) });
        if (opts.json) return printJson(e);
        process.stdout.write(`resumed ${e.id} (${e.runbook} on ${e.target}); it is ${e.status}\n`);
      });
    });
  executions
    .command('abandon')
    .description('give up an execution held for a person; nothing more runs (admin)')
    .argument('<execution-id>')
    .requiredOption('--reason <text>', 'why, for the audit log')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { reason: string; json?: boolean }, cmd: Command) => {
      await run(async () => {
        const e = await api<Execution>(connection(flagsOf(cmd)), 'POST', `api/v1/executions/${encodeURIComponent(id)}/abandon`, { reason: opts.reason });
        if (opts.json) return printJson(e);
        process.stdout.write(`abandoned ${e.id} (${e.runbook} on ${e.target}); it is ${e.status}\n`);
      });
    });
}

/** --url and --token belong to the `executions` command (commander gives them to the parent): read them from there. */
function flagsOf(cmd: Command): ConnectionFlags {
  return cmd.optsWithGlobals<ConnectionFlags>();
}
