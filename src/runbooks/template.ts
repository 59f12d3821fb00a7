import { ActionError } from '../core/errors.js';

/**
 * Safe templating of step params: `{{ incident.target }}`, `{{ labels.x }}`.
 *
 * Security model. `labels.*` (and anything else copied from an alert or a
 * webhook) is UNTRUSTED: whoever can send an alert chooses those values. So:
 * - values are inserted as plain text, in strings only; nothing is evaluated,
 *   and nothing goes through a shell (actions such as `exec` take an argv
 *   array, so `x; touch pwned.txt` stays one literal argument);
 * - one pass only: a value that itself contains `{{ x }}` stays literal, so an
 *   alert cannot make a template read another variable;
 * - variables are looked up as own properties only, never through the
 *   prototype (`{{ labels.constructor }}` is missing, not a function);
 * - a runbook can pin a variable to a pattern (`inputs: {labels.service:
 *   {pattern: '[a-z0-9-]+'}}`); a value that does not match it fully stops the
 *   step with ActionError 'unsafe' before the action runs.
 * Use `inputs` for every alert-supplied value that reaches a command, a path,
 * a URL or a query.
 */

/**
 * What templates can read, built by the executor for one execution:
 * `{ incident: {id, target, rule, severity, value, ...}, target: {name,
 * labels, port}, labels: {...}, params: {...} }`.
 */
export type TemplateVars = Readonly<Record<string, unknown>>;

/** The top-level variables an execution provides; the compiler rejects templates that read anything else. */
export const TEMPLATE_ROOTS = ['incident', 'target', 'labels', 'params'] as const;

const PATH = '[A-Za-z_][A-Za-z0-9_-]*(?:\\.[A-Za-z0-9_][A-Za-z0-9_-]*)*';
/** A template anywhere in a string; whitespace inside the braces is optional. */
const TEMPLATE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const VALID_PATH = new RegExp(`^${PATH}$`);
const EXACT = new RegExp(`^\\{\\{\\s*(${PATH})\\s*\\}\\}$`);

/**
 * Renders every string in `params` (deeply). A string that is exactly one
 * `{{ x }}` takes x's value with its type (a number stays a number); inside
 * longer text a value is inserted as text. Throws ActionError
 * 'invalid_params' for a missing variable, 'unsafe' for a value that fails
 * its input pattern. `params` is not changed.
 */
export function renderParams(
  params: Readonly<Record<string, unknown>>,
  vars: TemplateVars,
  inputs: Readonly<Record<string, { readonly pattern: RegExp }>> = {},
): Record<string, unknown> {
  const lookup = (path: string): unknown => {
    const value = resolveVar(vars, path);
    if (value === undefined || value === null) {
      throw new ActionError('invalid_params', `template variable '${path}' is not defined`);
    }
    const input = Object.hasOwn(inputs, path) ? inputs[path] : undefined;
    if (input && !fullMatch(input.pattern, String(value))) {
      throw new ActionError('unsafe', `template variable '${path}' = ${quote(value)} does not match its pattern /${input.pattern.source}/`);
    }
    return value;
  };
  return renderValue(params, lookup) as Record<string, unknown>;
}

function renderValue(v: unknown, lookup: (path: string) => unknown): unknown {
  if (typeof v === 'string') return renderString(v, lookup);
  if (Array.isArray(v)) return v.map((x) => renderValue(x, lookup));
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderValue(x, lookup)]));
  }
  return v;
}

function renderString(s: string, lookup: (path: string) => unknown): unknown {
  if (!s.includes('{{')) return s;
  const exact = EXACT.exec(s);
  if (exact) return copy(lookup(exact[1]!));
  checkSyntax(s);
  // A replacer function's result is used verbatim (no `$&` patterns) and is
  // never scanned again: that is what keeps inserted values inert.
  return s.replace(TEMPLATE, (_m, path: string) => asText(path, lookup(path)));
}

function asText(path: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  throw new ActionError('invalid_params', `template variable '${path}' is ${Array.isArray(value) ? 'a list' : 'an object'}: it can only stand alone, not inside text`);
}

function resolveVar(vars: TemplateVars, path: string): unknown {
  let v: unknown = vars;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Objects from the vars are copied so that rendered params never alias engine state. */
function copy(v: unknown): unknown {
  return v !== null && typeof v === 'object' ? structuredClone(v) : v;
}

/** The pattern must match the whole value, whatever anchors it was written with. */
function fullMatch(pattern: RegExp, value: string): boolean {
  return new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gy]/g, '')).test(value);
}

function quote(v: unknown): string {
  const s = JSON.stringify(String(v));
  return s.length > 80 ? `${s.slice(0, 77)}..."` : s;
}

/** Throws on `{{` that does not open a well-formed `{{ path }}`. */
function checkSyntax(s: string): void {
  const problem = templateProblem(s);
  if (problem) throw new ActionError('invalid_params', problem);
}

/**
 * For the compiler: the variable paths a string reads, or a description of
 * what is malformed. Load time catches what run time would otherwise find
 * in the middle of an incident.
 */
export function templateProblem(s: string): string | null {
  let rest = s;
  for (const m of s.matchAll(TEMPLATE)) {
    if (!VALID_PATH.test(m[1] ?? '')) return `'${m[0]}' is not a variable path (like incident.target or labels.service)`;
    rest = rest.replace(m[0], '');
  }
  if (rest.includes('{{') || rest.includes('}}')) return `unbalanced '{{' or '}}' in ${JSON.stringify(s)}`;
  return null;
}

/** Every variable path a params tree reads, in order of appearance. */
export function templateRefs(v: unknown): string[] {
  if (typeof v === 'string') return [...v.matchAll(TEMPLATE)].map((m) => m[1] ?? '').filter((p) => VALID_PATH.test(p));
  if (Array.isArray(v)) return v.flatMap(templateRefs);
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap(templateRefs);
  return [];
}
