import type { ConfigError } from '../config/errors.js';
import type { IssueList } from '../config/issues.js';
import type { CompiledRunbook } from './types.js';

/**
 * Checks the runbook steps of every runbook once all are loaded: each must
 * name a loaded runbook, and no runbook may reach itself again (`a -> b -> a`
 * would run forever). Every problem becomes a ConfigError naming the file,
 * line and field of the step; returns the names of runbooks that must not run
 * (those with a problem, and those that call them).
 */
export function checkChains(
  byName: ReadonlyMap<string, CompiledRunbook>, issuesFor: (rb: CompiledRunbook) => IssueList, errors: ConfigError[],
): Set<string> {
  const broken = new Set<string>();
  const reported = new Set<string>();
  for (const rb of byName.values()) {
    const issues = issuesFor(rb);
    eachRunbookStep(rb, (callee, path) => {
      if (!byName.has(callee)) {
        issues.add([...path, 'runbook'], `unknown runbook '${callee}'${suggest(callee, [...byName.keys()])}`);
        broken.add(rb.name);
      }
    });
    const cycle = findCycle(rb.name, byName);
    if (cycle) {
      broken.add(rb.name);
      // Report each cycle once, at the runbook where it was first found, with the step that closes it.
      const key = [...cycle.slice(0, -1)].sort().join('|');
      if (!reported.has(key)) {
        reported.add(key);
        issues.add(cycle.firstStepPath, `runbook cycle: ${cycle.join(' -> ')}`);
      }
    }
    const err = issues.error();
    if (err) errors.push(err);
  }
  // A runbook calling a broken one is broken too.
  for (let changed = true; changed;) {
    changed = false;
    for (const rb of byName.values()) {
      if (broken.has(rb.name)) continue;
      eachRunbookStep(rb, (callee) => {
        if (broken.has(callee) && !broken.has(rb.name)) {
          broken.add(rb.name);
          changed = true;
        }
      });
    }
  }
  return broken;
}

type Path = (string | number)[];

function eachRunbookStep(rb: CompiledRunbook, fn: (callee: string, path: Path) => void): void {
  const single = rb.strategies.length === 1 && rb.strategies[0]!.name === 'default';
  rb.strategies.forEach((s, si) => s.steps.forEach((st, i) => {
    if (st.kind === 'runbook') fn(st.runbook, single ? ['steps', i] : ['strategies', si, 'steps', i]);
  }));
}

/** The first path from `start` back to itself, as names (`[a, b, a]`), with the path of a's step that begins it. */
function findCycle(start: string, byName: ReadonlyMap<string, CompiledRunbook>): (string[] & { firstStepPath: Path }) | null {
  const stack: string[] = [start];
  let firstStepPath: Path = [];
  const visit = (name: string, seen: Set<string>): string[] | null => {
    const rb = byName.get(name);
    if (!rb) return null;
    let found: string[] | null = null;
    eachRunbookStep(rb, (callee, path) => {
      if (found) return;
      if (name === start) firstStepPath = path;
      if (callee === start) {
        found = [...stack, start];
        return;
      }
      if (seen.has(callee)) return;
      seen.add(callee);
      stack.push(callee);
      found = visit(callee, seen);
      stack.pop();
    });
    return found;
  };
  const cycle = visit(start, new Set([start]));
  return cycle ? Object.assign(cycle, { firstStepPath }) : null;
}

function suggest(name: string, known: string[]): string {
  return known.length ? ` (loaded runbooks: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''})` : ' (no runbooks are loaded)';
}

const APPROVAL_STRICTNESS: Record<CompiledRunbook['approval'], number> = { auto: 0, by_severity: 1, required: 2 };

/**
 * The approval a runbook really needs: the strictest of its own and of every
 * runbook it calls, transitively. A chain marked `auto` must not run a
 * `required` runbook without the person that runbook asks for.
 */
export function effectiveApproval(rb: CompiledRunbook, lookup: (name: string) => CompiledRunbook | undefined): CompiledRunbook['approval'] {
  let strictest = rb.approval;
  const seen = new Set<string>([rb.name]);
  const visit = (r: CompiledRunbook): void => {
    eachRunbookStep(r, (callee) => {
      if (seen.has(callee)) return;
      seen.add(callee);
      const called = lookup(callee);
      if (!called) return;
      if (APPROVAL_STRICTNESS[called.approval] > APPROVAL_STRICTNESS[strictest]) strictest = called.approval;
      visit(called);
    });
  };
  visit(rb);
  return strictest;
}
