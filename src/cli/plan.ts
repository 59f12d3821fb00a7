import type { Command } from 'commander';
import { api, connection, printJson, run, withConnection, type ConnectionFlags } from './client.js';

interface PlanView {
  runbook: string;
  target: string;
  verdict: { kind: string; reason: string };
  risk?: string;
  impact?: unknown;
  rollbackPlan?: unknown;
  steps: { name?: string; action?: string; summary?: string }[];
  dryRun?: unknown;
}

/** `medic plan <incident-id>` or `medic plan --runbook r --target t`: what a fix would do, changing nothing. */
export function registerPlan(program: Command): void {
  withConnection(program
    .command('plan')
    .description('propose a fix for an incident (or a runbook on a target) without changing anything (operator)')
    .argument('[incident-id]')
    .option('--runbook <name>', 'instead of an incident: this runbook...')
    .option('--target <name>', '...on this target')
    .option('--severity <P0-P3>', 'with --runbook: the severity to decide for')
    .option('--json', 'print JSON'))
    .action(async (incident: string | undefined, opts: ConnectionFlags & { runbook?: string; target?: string; severity?: string; json?: boolean }) => {
      await run(async () => {
        if (!incident && !(opts.runbook && opts.target)) throw new Error('give an incident id, or --runbook and --target');
        const body = incident ? { incident } : { runbook: opts.runbook, target: opts.target, ...(opts.severity ? { severity: opts.severity } : {}) };
        const p = await api<PlanView>(connection(opts), 'POST', 'api/v1/plans', body);
        if (opts.json) return printJson(p);
        const lines = [
          `runbook ${p.runbook} on ${p.target}${p.risk ? ` (risk ${p.risk})` : ''}`,
          `verdict: ${p.verdict.kind}: ${p.verdict.reason}`,
          ...(p.impact !== undefined ? [`impact: ${text(p.impact)}`] : []),
          'steps:',
          ...p.steps.map((s, i) => `  ${i + 1}. ${s.name ?? ''} ${s.action ? `[${s.action}]` : ''} ${s.summary ?? ''}`.trimEnd()),
          ...(p.rollbackPlan !== undefined ? [`rollback: ${text(p.rollbackPlan)}`] : []),
          ...(p.dryRun !== undefined ? [`dry run: ${text(p.dryRun)}`] : []),
          'nothing was changed.',
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    });
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
