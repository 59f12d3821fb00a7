import { compare, OP_SYMBOL, type Condition } from './condition.js';
import { describeExpr, reduce, selectPoints, type SeriesSource, type WindowScope } from './window.js';

export interface Evaluation {
  readonly holds: boolean;
  /** False when some leaf had no samples to look at: "unknown", which never holds. */
  readonly known: boolean;
  /** The value of the first compared expression, for the incident's record. */
  readonly value: number | null;
  /** For a person: "max(http_up, last 3) = 0 < 1". */
  readonly explain: string;
}

export function evaluate(cond: Condition, source: SeriesSource, scope: WindowScope): Evaluation {
  if (cond.kind === 'compare') {
    const points = selectPoints(source.points(scope.target, cond.value.signal, cond.value.labels), cond.value, scope);
    const value = points ? reduce(cond.value.fn, points) : undefined;
    const label = `${describeExpr(cond.value)}`;
    if (value === undefined || Number.isNaN(value)) {
      return { holds: false, known: false, value: null, explain: `${label}: no data` };
    }
    const holds = compare(cond.op, value, cond.threshold);
    return { holds, known: true, value, explain: `${label} = ${round(value)} ${holds ? '' : 'not '}${OP_SYMBOL[cond.op]} ${cond.threshold}` };
  }
  const parts = cond.of.map((c) => evaluate(c, source, scope));
  const holds = cond.kind === 'all' ? parts.every((p) => p.holds) : parts.some((p) => p.holds);
  const known = cond.kind === 'all' ? parts.every((p) => p.known) : parts.some((p) => p.known);
  // The value shown on the incident is the one that made it hold.
  const first = (cond.kind === 'any' ? parts.find((p) => p.holds) : undefined) ?? parts.find((p) => p.value !== null);
  return {
    holds,
    known,
    value: first?.value ?? null,
    explain: parts.map((p) => p.explain).join(cond.kind === 'all' ? ' and ' : ' or '),
  };
}

function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000;
}
