import type { StepRecord } from '../core/records.js';
import type { GroupShape, RunbookShape } from '../core/runner.js';
import type { ActionPlugin } from '../actions/types.js';
import type { CompiledActionStep, CompiledRunbook, CompiledRunbookStep, StepResultCheck } from '../runbooks/types.js';

/**
 * Chains, flattened: a runbook step (`runbook: name`) stands for the steps of
 * the runbook it calls (its first strategy), recursively. The executor runs
 * the flat list like any strategy, so every action of a chain is one durable
 * step record, and undoing "the whole chain in reverse order" is undoing the
 * flat list last first. Each unit remembers the runbook steps it was called
 * through (its groups), which is where a called runbook's `when`, `timeout`,
 * `on_failure` and params live. Flattening is a pure function of the loaded
 * runbooks, so resuming after a restart finds the same indexes.
 */
export interface ChainGroup extends GroupShape {
  readonly step: CompiledRunbookStep;
  /** The runbook whose step this is (whose inputs guard its params). */
  readonly owner: CompiledRunbook;
  /** Names of the sibling steps this group's `when` may ask about, with the units they cover. */
  readonly refs: Readonly<Record<string, Range>>;
}

export interface Unit {
  readonly step: CompiledActionStep;
  /** "restart / stop the service": the path through called runbooks. */
  readonly name: string;
  readonly owner: CompiledRunbook;
  /** Outermost first. */
  readonly groups: readonly ChainGroup[];
  readonly refs: Readonly<Record<string, Range>>;
}

export interface Range { readonly start: number; readonly end: number }

export interface FlatStrategy {
  readonly name: string;
  readonly units: readonly Unit[];
}

export class ChainError extends Error {
  override readonly name = 'ChainError';
}

export function flatten(runbook: CompiledRunbook, lookup: (name: string) => CompiledRunbook | undefined): FlatStrategy[] {
  return runbook.strategies.map((s) => {
    const units: Unit[] = [];
    expand(runbook, s.steps, [], '', units, lookup, [runbook.name]);
    return { name: s.name, units };
  });
}

function expand(
  owner: CompiledRunbook, steps: CompiledRunbook['strategies'][number]['steps'], groups: ChainGroup[], prefix: string,
  units: Unit[], lookup: (name: string) => CompiledRunbook | undefined, path: string[],
): void {
  const refs: Record<string, Range> = {};
  for (const st of steps) {
    const start = units.length;
    if (st.kind === 'action') {
      units.push({ step: st, name: prefix + st.name, owner, groups, refs });
    } else {
      const callee = lookup(st.runbook);
      if (!callee) throw new ChainError(`${owner.name}: step '${st.name}' calls runbook '${st.runbook}', which is not loaded`);
      if (path.includes(callee.name)) throw new ChainError(`runbook cycle: ${[...path, callee.name].join(' -> ')}`);
      const group: ChainGroup = { step: st, owner, refs, start, end: start, onFailure: st.onFailure };
      const inner = [...groups, group];
      const first = units.length;
      expand(callee, callee.strategies[0]?.steps ?? [], inner, `${prefix}${st.name} / `, units, lookup, [...path, callee.name]);
      // The group's end is known only now; units hold the same array, so patch the entry in place before anyone reads it.
      inner[inner.length - 1] = { ...group, end: units.length - 1 };
      for (let i = first; i < units.length; i++) {
        const u = units[i]!;
        units[i] = { ...u, groups: u.groups.map((g) => (g === group ? inner[inner.length - 1]! : g)) };
      }
    }
    refs[st.name] = { start, end: units.length - 1 };
  }
}

export function shapeOfFlat(flat: readonly FlatStrategy[], runbook: CompiledRunbook, actions: ReadonlyMap<string, ActionPlugin>): RunbookShape {
  const chain = runbook.chain;
  return {
    strategies: flat.map((s) => ({
      steps: s.units.map((u) => {
        const plugin = actions.get(u.step.action);
        return {
          action: u.step.action,
          onFailure: u.step.onFailure,
          groups: u.groups.map((g) => ({ start: g.start, end: g.end, onFailure: g.onFailure })),
          canRollback: u.step.rollback !== null || typeof plugin?.rollback === 'function',
          idempotent: u.step.idempotent ?? plugin?.idempotent ?? false,
          // A step's `idempotent:` speaks for the step, not for its undo (another command, another request).
          undoIdempotent: u.step.rollback
            ? actions.get(u.step.rollback.action)?.idempotent ?? false
            : plugin?.rollbackIdempotent ?? plugin?.idempotent ?? false,
        };
      }),
    })),
    watch: runbook.watch.durationMs > 0,
    onFailure: chain && chain.strategy !== 'rollback-on-failure' ? 'stop' : 'rollback',
    maxDurationMs: chain?.maxDurationMs ?? 0,
  };
}

/** How the units of a range ended: failed if any failed, skipped if none ran, else succeeded. */
export function rangeOutcome(records: readonly StepRecord[], strategy: number, r: Range): 'succeeded' | 'failed' | 'skipped' {
  let ran = false;
  for (let i = r.start; i <= r.end; i++) {
    let rec: StepRecord | undefined;
    for (const x of records) if (x.phase === 'step' && x.strategy === strategy && x.index === i && (!rec || x.seq > rec.seq)) rec = x;
    if (!rec || rec.status === 'skipped' || rec.status === 'pending') continue;
    if (rec.status !== 'succeeded') return 'failed';
    ran = true;
  }
  return ran ? 'succeeded' : 'skipped';
}

/** Do the earlier steps' outcomes a `when` asks about hold? Returns the first that does not, explained. */
export function checkStepResults(
  checks: readonly StepResultCheck[], refs: Readonly<Record<string, Range>>, records: readonly StepRecord[], strategy: number,
): string | null {
  for (const c of checks) {
    const r = refs[c.step];
    const outcome = r ? rangeOutcome(records, strategy, r) : 'skipped';
    if (!c.is.includes(outcome)) return `step "${c.step}" ${outcome}, not ${c.is.join(' or ')}`;
  }
  return null;
}
