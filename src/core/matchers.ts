/**
 * One matcher language for alert routes and silences, as Alertmanager writes
 * it in `matchers:` (and amtool on
 * the command line): `name="value"`, `name!="value"`, `name=~"regex"`,
 * `name!~"regex"`. Regular expressions are anchored at both ends, like
 * Alertmanager's, so `env=~"prod"` does not match `preprod`. A label that is
 * absent has the value "" (so `team!="ops"` matches an alert without team).
 */
export const MATCH_OPS = ['=', '!=', '=~', '!~'] as const;
export type MatchOp = (typeof MATCH_OPS)[number];

export interface LabelMatcher {
  readonly label: string;
  readonly op: MatchOp;
  readonly value: string;
  /** Present for =~ and !~. */
  readonly regex?: RegExp;
}

const LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isLabelName(name: string): boolean {
  return LABEL.test(name);
}
const MATCHER = /^\s*([^\s=!~"]+)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;

/** Parses one matcher; throws an Error whose message says what is wrong with it. */
export function parseMatcher(text: string): LabelMatcher {
  const m = MATCHER.exec(text);
  if (!m) throw new Error(`not a matcher: ${JSON.stringify(text)} (write label="value", label!="value", label=~"regex" or label!~"regex")`);
  const [, label, op, raw] = m as unknown as [string, string, MatchOp, string];
  if (!LABEL.test(label)) throw new Error(`invalid label name ${JSON.stringify(label)} in ${JSON.stringify(text)}`);
  const value = unquote(raw, text);
  return matcher(label, op, value);
}

/** A matcher with its regex compiled; throws an Error naming the label when the regex is invalid. */
export function matcher(label: string, op: MatchOp, value: string): LabelMatcher {
  if (op !== '=~' && op !== '!~') return { label, op, value };
  try {
    return { label, op, value, regex: anchored(value) };
  } catch (err) {
    throw new Error(`invalid regular expression ${JSON.stringify(value)} for ${label}: ${(err as Error).message}`, { cause: err });
  }
}

function anchored(value: string): RegExp {
  return new RegExp(`^(?:${value})$`, 'u');
}

/** Matchers kept as plain data (silences in the store) compile their regex once, here. */
const compiled = new Map<string, RegExp>();

function regexOf(m: Pick<LabelMatcher, 'value' | 'regex'>): RegExp {
  if (m.regex) return m.regex;
  let re = compiled.get(m.value);
  if (!re) {
    re = anchored(m.value);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(m.value, re);
  }
  return re;
}

function unquote(raw: string, text: string): string {
  if (!raw.startsWith('"')) {
    if (raw.includes('"')) throw new Error(`unbalanced quotes in ${JSON.stringify(text)}`);
    return raw;
  }
  if (raw.length < 2 || !raw.endsWith('"')) throw new Error(`unbalanced quotes in ${JSON.stringify(text)}`);
  try {
    return JSON.parse(raw) as string;
  } catch {
    throw new Error(`invalid quoted value in ${JSON.stringify(text)}`);
  }
}

/** Plain-data matchers (no `regex`) are accepted too; an invalid regex in one throws. */
export function matches(m: Omit<LabelMatcher, 'regex'> & { readonly regex?: RegExp }, labels: Readonly<Record<string, string>>): boolean {
  const v = Object.hasOwn(labels, m.label) ? labels[m.label]! : '';
  switch (m.op) {
    case '=': return v === m.value;
    case '!=': return v !== m.value;
    case '=~': return regexOf(m).test(v);
    case '!~': return !regexOf(m).test(v);
  }
}

export function matchesAll(ms: readonly (Omit<LabelMatcher, 'regex'> & { readonly regex?: RegExp })[], labels: Readonly<Record<string, string>>): boolean {
  return ms.every((m) => matches(m, labels));
}

export function formatMatcher(m: LabelMatcher): string {
  return `${m.label}${m.op}${JSON.stringify(m.value)}`;
}
