import { describeCondition } from '../core/evaluate.js';
import { ConfigError } from '../config/errors.js';
import type { PluginSchemas } from '../config/params.js';
import { compileRunbookText } from '../runbooks/compile.js';
import type { CompiledRunbook, CompiledStep } from '../runbooks/types.js';
import { redactSecrets } from '../core/redact.js';
import { OperationError } from '../core/operation-error.js';

export interface RunbookView {
  readonly name: string;
  readonly description: string;
  readonly risk: CompiledRunbook['risk'];
  readonly approval: CompiledRunbook['approval'];
  readonly match: CompiledRunbook['match'];
  readonly strategies: { readonly name: string; readonly steps: { readonly name: string; readonly action: string }[] }[];
  readonly valid: true;
  readonly file: string;
}

/** The whole runbook as compiled: params stay templates, conditions are shown as text, secrets masked. */
export type RunbookDetail = Omit<RunbookView, 'strategies'> & {
  readonly impact: string;
  readonly rollbackPlan: string;
  readonly settleMs: number;
  readonly strategies: {
    readonly name: string;
    readonly steps: {
      readonly name: string; readonly action: string; readonly params: unknown; readonly timeoutMs: number; readonly retries: number;
      readonly onFailure: string; readonly when: string | null; readonly rollback: { readonly action: string; readonly params: unknown } | null;
    }[];
  }[];
  readonly verify: { readonly timeoutMs: number; readonly intervalMs: number; readonly ruleCleared: boolean; readonly checks: string[] };
  readonly watch: CompiledRunbook['watch'];
  readonly inputs: Record<string, string>;
};

export interface RunbookValidation {
  readonly valid: boolean;
  readonly errors: { readonly line: number | null; readonly field: string; readonly message: string }[];
}

export function runbookView(r: CompiledRunbook): RunbookView {
  return {
    name: r.name, description: r.description, risk: r.risk, approval: r.approval, match: r.match,
    strategies: r.strategies.map((s) => ({ name: s.name, steps: s.steps.map((st) => ({ name: st.name, action: actionOf(st) })) })),
    valid: true, file: r.file,
  };
}

export function runbookDetail(r: CompiledRunbook): RunbookDetail {
  return {
    ...runbookView(r),
    impact: r.impact, rollbackPlan: r.rollbackPlan, settleMs: r.settleMs,
    strategies: r.strategies.map((s) => ({
      name: s.name,
      steps: s.steps.map((st) => ({
        name: st.name, action: actionOf(st), params: redactSecrets(st.params), timeoutMs: st.timeoutMs,
        retries: st.kind === 'action' ? st.retries : 0, onFailure: st.onFailure,
        when: st.when ? describeCondition(st.when) : null,
        rollback: st.kind === 'action' && st.rollback ? { action: st.rollback.action, params: redactSecrets(st.rollback.params) } : null,
      })),
    })),
    verify: { timeoutMs: r.verify.timeoutMs, intervalMs: r.verify.intervalMs, ruleCleared: r.verify.ruleCleared, checks: r.verify.checks.map(describeCondition) },
    watch: r.watch,
    inputs: Object.fromEntries(Object.entries(r.inputs).map(([k, v]) => [k, v.pattern.source])),
  };
}

/** Max size of a posted runbook: runbooks are small; the API has its own body limit too. */
const MAX_TEXT = 256 * 1024;

/** A posted runbook (YAML, or JSON which is YAML too) checked by the runbook compiler; every problem with its line and field. */
export function validateRunbook(text: unknown, opts: { actions: PluginSchemas; settleMs: number }): RunbookValidation {
  if (typeof text !== 'string') throw new OperationError('bad_request', 'body: a runbook as YAML or JSON text', { field: 'body' });
  if (text.length > MAX_TEXT) throw new OperationError('bad_request', `body: a runbook is at most ${MAX_TEXT} characters`, { field: 'body' });
  try {
    compileRunbookText(text, { file: '<posted>', actions: opts.actions, settleMs: opts.settleMs });
    return { valid: true, errors: [] };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { valid: false, errors: err.issues.map((i) => ({ line: i.line > 0 ? i.line : null, field: i.path, message: i.message })) };
  }
}

/** What a step does, in a word: its action, or the runbook a chain step calls. */
function actionOf(st: CompiledStep): string {
  return st.kind === 'action' ? st.action : `runbook:${st.runbook}`;
}
