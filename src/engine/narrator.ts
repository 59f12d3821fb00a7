import { formatDuration } from '../core/duration.js';
import { REPLICA_LABEL } from '../core/fingerprint.js';
import type { Incident } from '../core/records.js';
import type { EventBus } from '../core/events.js';

/** "demo", or "demo replica 2" for one replica's problem. */
function where(i: Pick<Incident, 'target' | 'labels'>): string {
  const replica = i.labels[REPLICA_LABEL];
  return replica === undefined ? i.target : `${i.target} replica ${replica}`;
}

/**
 * Tells a person at the terminal, one line per event, what Medic saw, decided
 * and did. Plain words, aligned columns, colour only on a TTY.
 */
export function narrate(events: EventBus, out: NodeJS.WritableStream & { isTTY?: boolean }, now: () => number): () => void {
  const color = Boolean(out.isTTY) && !process.env['NO_COLOR'];
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const tag = (label: string, code: string) => paint(code, label.padEnd(10));
  const line = (label: string, code: string, text: string) => {
    const t = new Date(now()).toISOString().slice(11, 23);
    out.write(`${paint('2', t)}  ${tag(label, code)} ${text}\n`);
  };
  const offs = [
    events.on('incident:opened', ({ incident, explain }) =>
      line('DETECTED', '1;31', `${incident.severity} ${incident.rule} on ${where(incident)}: ${explain}  [${incident.id}]`)),
    events.on('decision', ({ runbook, target, verdict }) => {
      const code = verdict.kind === 'run' ? '36' : verdict.kind === 'approval' ? '1;33' : '33';
      line('DECIDED', code, `${runbook || '(no runbook)'} on ${target}: ${verdict.kind.replace('_', ' ')}: ${verdict.reason}`);
    }),
    events.on('step:started', ({ step }) => {
      if (step.phase === 'step' || step.phase === 'rollback') line(step.phase === 'rollback' ? 'UNDOING' : 'STEP', '34', `${step.name} (${step.action})`);
    }),
    events.on('step:finished', ({ step }) => {
      const took = step.startedAt !== null && step.finishedAt !== null ? ` in ${formatDuration(step.finishedAt - step.startedAt)}` : '';
      const ok = step.status === 'succeeded' || step.status === 'rolled_back' || step.status === 'skipped';
      const label = step.phase === 'verify' ? (ok ? 'VERIFIED' : 'NOT FIXED') : ok ? `${step.phase === 'rollback' ? 'UNDONE' : 'DONE'}` : 'FAILED';
      const detail = (step.error ?? step.output ?? '').split('\n').filter(Boolean).slice(-1)[0] ?? '';
      line(label, ok ? '32' : '1;31', `${step.phase === 'verify' ? '' : `${step.name}${took}: `}${detail}`);
    }),
    events.on('execution:transition', ({ execution, from }) => {
      if (['succeeded', 'failed', 'rolled_back', 'rejected', 'cancelled'].includes(execution.status)) {
        const took = execution.startedAt ? ` after ${formatDuration(now() - execution.startedAt)}` : '';
        const ok = execution.status === 'succeeded';
        line(execution.status.toUpperCase().replace('_', ' '), ok ? '1;32' : '1;31',
          `${execution.runbook} on ${execution.target}${took}${execution.error ? `: ${execution.error}` : ''}  [${execution.id}]`);
      } else if (execution.status === 'watching') {
        line('WATCHING', '36', `${execution.runbook} on ${execution.target}: verified; a success once its watch ends clean  [${execution.id}]`);
      } else if (execution.status === 'held') {
        line('HELD', '1;35', `${execution.runbook} on ${execution.target}: ${execution.error ?? 'a step is in doubt'}; medic executions resume|abandon ${execution.id}`);
      } else if (execution.status === 'awaiting_approval' || (from === 'awaiting_approval' && execution.status === 'pending')) {
        line(execution.status === 'pending' ? 'APPROVED' : 'WAITING', '1;33', `${execution.runbook} on ${execution.target}  [${execution.id}]`);
      }
    }),
    events.on('execution:created', ({ execution }) => {
      if (execution.status === 'awaiting_approval') {
        line('WAITING', '1;33', `${execution.runbook} on ${execution.target} needs approval: medic approve ${execution.id}`);
      }
    }),
    events.on('incident:resolved', ({ incident, why }) => line('RESOLVED', '1;32', `${incident.rule} on ${where(incident)}: ${why}`)),
    events.on('incident:updated', ({ incident, why }) => {
      if (incident.status === 'escalated') line('ESCALATED', '1;35', `${incident.rule} on ${where(incident)}: ${why}`);
    }),
    events.on('breaker:changed', ({ key, state, failures }) =>
      line(state === 'open' ? 'CIRCUIT' : 'CIRCUIT', state === 'open' ? '1;31' : '32', `${key} is ${state}${state === 'open' ? ` after ${failures.length} failures` : ''}`)),
    events.on('schedule:run', ({ schedule, outcome, reason }) =>
      line('SCHEDULE', outcome === 'failed' ? '1;31' : outcome === 'skipped' ? '33' : '36', `${schedule} ${outcome}: ${reason}`)),
    events.on('setting:changed', ({ key, value, actor }) => line('SETTING', '35', `${key} = ${JSON.stringify(value)} (by ${actor})`)),
  ];
  return () => offs.forEach((off) => off());
}
