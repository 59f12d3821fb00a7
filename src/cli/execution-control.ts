import type { Command } from 'commander';
import type { Execution } from '../core/records.js';
import { api, defaultUrl } from './client.js';

/**
 * `medic executions resume|abandon <id>`: a person decides about an execution
 * held after a crash. Subcommands of the `executions` list command.
 */
export function registerExecutionControl(program: Command): void {
  const executions = program.commands.find((c) => c.name() === 'executions') ?? program.command('executions');
  executions
    .command('resume')
    .description('resume an execution held for a person: the step in doubt runs again (or, with --assume-done, counts as done)')
    .argument('<execution-id>')
    .option('--assume-done', 'the step in doubt did happen (you checked): do not run it again')
    .option('--comment <text>', 'why, for the audit log')
    .option('--as <name>', 'who you are, for the audit log', process.env['USER'] ?? 'cli')
    .action(async (id: string, opts: { assumeDone?: boolean; comment?: string; as: string }, cmd: Command) => {
      await run(async () => {
        const e = await api<Execution>({ url: urlOf(cmd), actor: opts.as }, 'POST', `api/v1/executions/${encodeURIComponent(id)}/resume`,
          { assume_done: opts.assumeDone === true, ...(opts.comment ? { comment: opts.comment } : {}) });
        process.stdout.write(`resumed ${e.id} (${e.runbook} on ${e.target}) as ${opts.as}\n`);
      });
    });
  executions
    .command('abandon')
    .description('give up an execution held for a person; nothing more runs')
    .argument('<execution-id>')
    .requiredOption('--reason <text>', 'why, for the audit log')
    .option('--as <name>', 'who you are, for the audit log', process.env['USER'] ?? 'cli')
    .action(async (id: string, opts: { reason: string; as: string }, cmd: Command) => {
      await run(async () => {
        const e = await api<Execution>({ url: urlOf(cmd), actor: opts.as }, 'POST', `api/v1/executions/${encodeURIComponent(id)}/abandon`, { reason: opts.reason });
        process.stdout.write(`abandoned ${e.id} (${e.runbook} on ${e.target}) as ${opts.as}\n`);
      });
    });
}

/** `--url` belongs to the `executions` command (commander gives it to the parent): read it from there. */
function urlOf(cmd: Command): string {
  const url = (cmd.optsWithGlobals() as { url?: unknown }).url;
  return typeof url === 'string' ? url : defaultUrl();
}

async function run(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    process.stderr.write(`medic: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
