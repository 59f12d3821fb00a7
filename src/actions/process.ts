import { z } from 'zod';
import { formatDuration, parseDuration } from '../core/duration.js';
import { ActionError, toActionError } from '../core/errors.js';
import { REPLICA_LABEL } from '../core/fingerprint.js';
import type { GroupStatus, ReplicaState, SupervisorPort } from '../supervisor/types.js';
import type { ActionContext, ActionOutcome, ActionPlugin } from './types.js';

/*
 * The process.* actions: thin, explicit wrappers over the supervisor port.
 * Every param that a template may fill in arrives as a string, so integers
 * accept "2" as well as 2.
 */

const intParam = (min: number) =>
  z.preprocess((v) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v), z.number().int().min(min));

const graceParam = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (e.g. 2s, 500ms)` });
      return z.NEVER;
    }
    return ms;
  });

export const SIGNALS = ['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGSTOP', 'SIGCONT'] as const;

const signalParam = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const name = v.trim().toUpperCase();
  return name.startsWith('SIG') ? name : `SIG${name}`;
}, z.enum(SIGNALS));

const targetParam = z.string().min(1);

const restartSchema = z.strictObject({ target: targetParam, replica: intParam(0).optional(), grace: graceParam.optional() });
const signalSchema = z.strictObject({ target: targetParam, signal: signalParam, replica: intParam(0).optional() });
const stopSchema = z.strictObject({ target: targetParam, grace: graceParam.optional() });
const scaleSchema = z
  .strictObject({ target: targetParam, replicas: intParam(1).optional(), by: intParam(-1000).optional() })
  .refine((p) => (p.replicas === undefined) !== (p.by === undefined), { message: 'give exactly one of replicas or by' });

export type ProcessRestartParams = z.output<typeof restartSchema>;
export type ProcessSignalParams = z.output<typeof signalSchema>;
export type ProcessStopParams = z.output<typeof stopSchema>;
export type ProcessScaleParams = z.output<typeof scaleSchema>;

export const processRestart: ActionPlugin<ProcessRestartParams> = {
  type: 'process.restart',
  schema: restartSchema,
  idempotent: true,
  mutates: true,

  async plan(ctx) {
    const { status, grace } = describe(ctx, ctx.params.replica, ctx.params.grace);
    const pick = badReplicas(ctx, status);
    const replicas = chosenOf(status, pick.indexes);
    const ready = readyUrls(ctx, replicas);
    const limit = maxUnavailable(ctx);
    const order = replicas.length > 1 ? `, ${limit === 1 ? 'one replica' : `${limit} replicas`} at a time, each ready before the next` : '';
    return {
      summary: `restart ${pick.which}: SIGTERM, ${formatDuration(grace)} grace, then SIGKILL${ready.length ? `; wait for ${ready.join(', ')} to answer 2xx` : ''}${order}`,
      details: { target: ctx.params.target, replicas, graceMs: grace, ready, maxUnavailable: limit, why: pick.why },
    };
  },

  async execute(ctx) {
    const { status, grace } = describe(ctx, ctx.params.replica, ctx.params.grace);
    const pick = badReplicas(ctx, status);
    const before = chosenOf(status, pick.indexes);
    const started = ctx.clock.now();
    const limit = maxUnavailable(ctx);
    // Never more than max_unavailable replicas down by Medic's hand: batch by batch, each ready before the next.
    for (let i = 0; i < pick.indexes.length; i += limit) {
      const batch = pick.indexes.slice(i, i + limit);
      await run(async () => {
        await waitForRoom(ctx, batch, limit);
        await settleAll(batch.map((index) => ctx.supervisor.restart(ctx.params.target, { index, graceMs: grace, signal: ctx.signal })));
      });
    }
    const after = chosenOf(groupOf(ctx.supervisor, ctx.params.target), pick.indexes);
    return {
      summary: `restarted ${pick.which} in ${formatDuration(ctx.clock.now() - started)}`,
      data: { before, after, why: pick.why },
      rollbackState: { target: ctx.params.target, replicas: pick.indexes },
    };
  },

  // A restart cannot be taken back, and starting the process again would be a second restart
  // (a failed restart must be one restart, not two): the undo changes nothing and says so.
  rollback: async () => ({ summary: 'a restart has nothing to undo', undone: false }),
};

export const processSignal: ActionPlugin<ProcessSignalParams> = {
  type: 'process.signal',
  schema: signalSchema,
  // Signals such as SIGUSR1 or SIGHUP trigger work in the process each time they arrive.
  idempotent: false,
  // Its undo (SIGCONT, then start what is not running) does nothing the second time.
  rollbackIdempotent: true,
  mutates: true,

  async plan(ctx) {
    const { status, which } = describe(ctx, ctx.params.replica);
    const pids = chosen(status, ctx.params.replica).flatMap((r) => (r.pid === null ? [] : [r.pid]));
    return {
      summary: `send ${ctx.params.signal} to ${which}${pids.length ? ` (pid ${pids.join(', ')})` : ' (none running now)'}`,
      details: { target: ctx.params.target, signal: ctx.params.signal, pids },
    };
  },

  async execute(ctx) {
    const { which } = describe(ctx, ctx.params.replica);
    const sent = await run(async () => ctx.supervisor.kill(ctx.params.target, ctx.params.signal, { index: ctx.params.replica }));
    if (sent === 0) throw new ActionError('failed', `no running process of ${which} to send ${ctx.params.signal} to`, { retryable: false });
    return {
      summary: `sent ${ctx.params.signal} to ${sent} process${sent === 1 ? '' : 'es'} of ${which}`,
      data: { signalled: sent },
      rollbackState: { target: ctx.params.target, stopped: ctx.params.signal === 'SIGSTOP' },
    };
  },

  async rollback(ctx, state) {
    // A SIGSTOPped process is alive but frozen: starting it again would do nothing.
    if (isRecord(state) && state.stopped === true) ctx.supervisor.kill(ctx.params.target, 'SIGCONT', { index: ctx.params.replica });
    return startAgain(ctx);
  },
};

export const processStop: ActionPlugin<ProcessStopParams> = {
  type: 'process.stop',
  schema: stopSchema,
  idempotent: true,
  mutates: true,

  async plan(ctx) {
    const { status, grace, which } = describe(ctx, undefined, ctx.params.grace);
    const running = countRunning(status);
    return {
      summary: `stop ${which}, ${running} running: SIGTERM, ${formatDuration(grace)} grace, then SIGKILL`,
      details: { target: ctx.params.target, running, graceMs: grace },
    };
  },

  async execute(ctx) {
    const { status, grace, which } = describe(ctx, undefined, ctx.params.grace);
    const running = countRunning(status);
    await run(() => ctx.supervisor.stop(ctx.params.target, { graceMs: grace, signal: ctx.signal }));
    return {
      summary: `stopped ${which} (${running} were running)`,
      data: { stopped: running },
      rollbackState: { target: ctx.params.target, running },
    };
  },

  async rollback(ctx, state) {
    // Starting what was never running would not be an undo.
    if (isRecord(state) && state.running === 0) return { summary: `nothing to start: ${ctx.params.target} was not running before the stop` };
    return startAgain(ctx);
  },
};

export const processScale: ActionPlugin<ProcessScaleParams> = {
  type: 'process.scale',
  schema: scaleSchema,
  // `by: N` run twice adds 2N: a step left in doubt by a crash must go to a person, not run again.
  idempotent: false,
  mutates: true,

  async plan(ctx) {
    const { previous, wanted, max } = scaleTo(ctx);
    const change = wanted === previous ? 'no change' : wanted > previous ? `start ${wanted - previous} more` : `stop ${previous - wanted}, highest first`;
    return {
      summary: `scale ${ctx.params.target} from ${previous} to ${wanted} replica${wanted === 1 ? '' : 's'} (${change}; max ${max})`,
      details: { target: ctx.params.target, previous, replicas: wanted, maxReplicas: max },
    };
  },

  async execute(ctx) {
    const { wanted } = scaleTo(ctx);
    const { previous, current } = await run(() => ctx.supervisor.scale(ctx.params.target, wanted, { signal: ctx.signal }));
    return {
      summary: previous === current ? `${ctx.params.target} already has ${current} replicas` : `scaled ${ctx.params.target} from ${previous} to ${current} replicas`,
      data: { previous, current },
      rollbackState: { target: ctx.params.target, previous },
    };
  },

  async rollback(ctx, state) {
    if (!isRecord(state) || typeof state.previous !== 'number') {
      throw new ActionError('invalid_params', 'process.scale rollback needs the previous replica count', { retryable: false });
    }
    const previous = state.previous;
    const result = await run(() => ctx.supervisor.scale(ctx.params.target, previous, { signal: ctx.signal }));
    return { summary: `scaled ${ctx.params.target} back from ${result.previous} to ${result.current} replicas`, data: result };
  },
};

function groupOf(supervisor: SupervisorPort, target: string): GroupStatus {
  const status = supervisor.status(target);
  if (!status) throw new ActionError('not_found', `"${target}" is not a supervised process group`, { retryable: false });
  return status;
}

/** The group, the grace in force and a readable name for what is acted on ("demo", "demo replica 1"). */
function describe(ctx: ActionContext<{ target: string }>, replica: number | undefined, grace?: number) {
  const status = groupOf(ctx.supervisor, ctx.params.target);
  if (replica !== undefined && replica >= status.replicas.length) {
    throw new ActionError('not_found', `${ctx.params.target} has no replica ${replica} (it has ${status.replicas.length})`, { retryable: false });
  }
  const n = status.desired;
  const which = replica === undefined ? `${ctx.params.target} (${n} replica${n === 1 ? '' : 's'})` : `${ctx.params.target} replica ${replica}`;
  return { status, which, grace: grace ?? ctx.target?.process?.graceMs ?? 0 };
}

function chosen(status: GroupStatus, replica: number | undefined) {
  const list = replica === undefined ? status.replicas.slice(0, status.desired) : status.replicas.filter((r) => r.index === replica);
  return list.map((r) => ({ index: r.index, pid: r.pid, port: r.port, state: r.state }));
}

function chosenOf(status: GroupStatus, indexes: readonly number[]) {
  return status.replicas.filter((r) => indexes.includes(r.index)).map((r) => ({ index: r.index, pid: r.pid, port: r.port, state: r.state }));
}

/** What the supervisor itself calls down: a healthy-looking replica is left alone unless something names it. */
const DOWN_STATES: readonly ReplicaState[] = ['crashed', 'stopped', 'backoff'];
/** Replicas Medic is taking through a stop and a start: they count against max_unavailable. */
const IN_HAND_STATES: readonly ReplicaState[] = ['stopping', 'starting'];

/**
 * The replicas a restart is for, and why: the one the step names; else the
 * incident's `replica` label (a rule judged per replica, or an alert about
 * one); else those the supervisor sees down; else, for a problem of the whole
 * group with every replica up, all of them (a rolling restart).
 */
export function badReplicas(
  ctx: Pick<ActionContext<ProcessRestartParams>, 'params' | 'incident'>, status: GroupStatus,
): { indexes: number[]; which: string; why: string } {
  const name = ctx.params.target;
  if (ctx.params.replica !== undefined) {
    return { indexes: [ctx.params.replica], which: `${name} replica ${ctx.params.replica}`, why: 'the replica the step names' };
  }
  const labelled = ctx.incident?.labels?.[REPLICA_LABEL];
  const index = labelled !== undefined && /^\d+$/.test(labelled) ? Number(labelled) : undefined;
  if (index !== undefined) {
    // Scaled away since: restarting the others instead would touch replicas nobody found bad.
    if (index >= status.replicas.length) {
      throw new ActionError('not_found', `${name} has no replica ${index} any more (it has ${status.replicas.length}): nothing to restart`, { retryable: false });
    }
    return { indexes: [index], which: `${name} replica ${index}`, why: `the incident is about replica ${index}` };
  }
  const wanted = status.replicas.slice(0, status.desired);
  const down = wanted.filter((r) => DOWN_STATES.includes(r.state)).map((r) => r.index);
  if (down.length > 0 && down.length < wanted.length) {
    const list = down.join(', ');
    return { indexes: down, which: `${name} replica${down.length === 1 ? '' : 's'} ${list}`, why: `down by the supervisor: ${list}` };
  }
  const n = wanted.length;
  return {
    indexes: wanted.map((r) => r.index),
    which: `${name} (${n} replica${n === 1 ? '' : 's'})`,
    why: down.length > 0 ? 'every replica is down' : 'a problem of the whole group: every replica, in turn',
  };
}

function maxUnavailable(ctx: ActionContext<unknown>): number {
  return Math.max(1, ctx.target?.process?.maxUnavailable ?? 1);
}

/**
 * Waits until restarting `batch` keeps the group within max_unavailable: other
 * replicas Medic is already stopping or starting (a person's restart, say)
 * count too. Woken by the supervisor's own ready and exit events.
 */
async function waitForRoom(ctx: ActionContext<{ target: string }>, batch: readonly number[], limit: number): Promise<void> {
  const busy = () => groupOf(ctx.supervisor, ctx.params.target).replicas
    .filter((r) => !batch.includes(r.index) && IN_HAND_STATES.includes(r.state)).length;
  while (busy() + batch.length > limit) {
    if (ctx.signal.aborted) throw new ActionError('aborted', `waited for room under max_unavailable ${limit} on ${ctx.params.target}`);
    await new Promise<void>((resolve) => {
      const offs = [ctx.supervisor.on('ready', () => done()), ctx.supervisor.on('exit', () => done())];
      const done = () => {
        for (const off of offs) off();
        ctx.signal.removeEventListener('abort', done);
        resolve();
      };
      ctx.signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** Every restart of a batch runs to its end; the first failure is the batch's. */
async function settleAll(work: readonly Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function countRunning(status: GroupStatus): number {
  return status.replicas.filter((r) => r.pid !== null).length;
}

/** The readiness URLs the supervisor will poll, rendered as it renders them. */
function readyUrls(ctx: ActionContext<{ target: string }>, replicas: readonly { index: number; port: number | null }[]): string[] {
  const url = ctx.target?.process?.ready?.url;
  if (!url) return [];
  return replicas.map((r) => url.replace(/\{\{\s*(port|replica)\s*\}\}/g, (_m, key: string) => (key === 'port' ? String(r.port ?? '') : String(r.index))));
}

function scaleTo(ctx: ActionContext<ProcessScaleParams>) {
  const status = groupOf(ctx.supervisor, ctx.params.target);
  const previous = status.desired;
  const wanted = ctx.params.replicas ?? previous + (ctx.params.by ?? 0);
  const max = ctx.target?.process?.maxReplicas ?? Number.POSITIVE_INFINITY;
  if (wanted < 1 || wanted > max) {
    throw new ActionError('invalid_params', `${ctx.params.target} cannot have ${wanted} replicas (allowed: 1 to ${max})`, { retryable: false });
  }
  return { previous, wanted, max };
}

async function startAgain(ctx: ActionContext<{ target: string }>): Promise<ActionOutcome> {
  groupOf(ctx.supervisor, ctx.params.target);
  await run(() => ctx.supervisor.start(ctx.params.target, { signal: ctx.signal }));
  return { summary: `started ${ctx.params.target} again` };
}

/** Every supervisor failure leaves as an ActionError, whatever was thrown. */
async function run<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw toActionError(err);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}
