/**
 * Label matchers as Alertmanager writes them in `matchers:` (and amtool on
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

export function matcher(label: string, op: MatchOp, value: string): LabelMatcher {
  if (op !== '=~' && op !== '!~') return { label, op, value };
  try {
    return { label, op, value, regex: new RegExp(`^(?:${value})$`, 'u') };
  } catch (err) {
    throw new Error(`invalid regular expression ${JSON.stringify(value)} for ${label}: ${(err as Error).message}`, { cause: err });
  }
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

export function matches(m: LabelMatcher, labels: Readonly<Record<string, string>>): boolean {
  const v = Object.hasOwn(labels, m.label) ? labels[m.label]! : '';
  switch (m.op) {
    case '=': return v === m.value;
    case '!=': return v !== m.value;
    case '=~': return m.regex!.test(v);
    case '!~': return !m.regex!.test(v);
  }
}

export function matchesAll(ms: readonly LabelMatcher[], labels: Readonly<Record<string, string>>): boolean {
  return ms.every((m) => matches(m, labels));
}

export function formatMatcher(m: LabelMatcher): string {
  return `${m.label}${m.op}${JSON.stringify(m.value)}`;
}
