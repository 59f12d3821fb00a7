/**
 * A small, strict parser for the Prometheus text exposition format (0.0.4),
 * tolerant of the OpenMetrics additions a client library may emit (`# EOF`,
 * exemplars after `#`, float-second timestamps, quoted UTF-8 names).
 *
 * Strict like Prometheus itself: a malformed line fails the whole scrape with
 * its line number, because silently skipping a line can silently skip the one
 * counter a rule depends on.
 */

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** Epoch milliseconds, when the exposition gave one. */
  readonly timestampMs: number | null;
}

export interface PromExposition {
  readonly samples: readonly PromSample[];
  /** Metric family name → declared type (`counter`, `histogram`, ...). */
  readonly types: ReadonlyMap<string, string>;
  readonly help: ReadonlyMap<string, string>;
}

export class PromParseError extends Error {
  override readonly name = 'PromParseError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped', 'unknown', 'gaugehistogram', 'stateset', 'info']);
const METRIC_NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT = /^[+-]?\d+$/;

export function parsePrometheusText(text: string): PromExposition {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.replace(/\r$/, '').replace(/^[ \t]+/, '');
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#[ \t]+(HELP|TYPE|EOF)(?:[ \t]+(.*))?$/.exec(line);
      if (!m) continue; // an ordinary comment
      if (m[1] === 'EOF') break;
      const rest = m[2] ?? '';
      const nm = /^(\S+)(?:[ \t]+(.*))?$/.exec(rest);
      if (!nm) throw new PromParseError(lineNo, `# ${m[1]} without a metric name`);
      const family = nm[1]!;
      const arg = nm[2] ?? '';
      if (m[1] === 'TYPE') {
        const type = arg.trim().toLowerCase();
        if (!TYPES.has(type)) throw new PromParseError(lineNo, `unknown metric type "${arg.trim()}"`);
        types.set(family, type);
      } else {
        help.set(family, unescapeHelp(arg));
      }
      continue;
    }
    samples.push(new SampleLineParser(line, lineNo).parse());
  }
  return { samples, types, help };
}

class SampleLineParser {
  private pos = 0;

  constructor(
    private readonly s: string,
    private readonly lineNo: number,
  ) {}

  parse(): PromSample {
    let name: string | null = null;
    if (this.s[this.pos] !== '{') name = this.match(METRIC_NAME, 'a metric name');
    let spaced = this.skipSpace();
    let labels: Record<string, string> = {};
    if (this.s[this.pos] === '{') {
      const parsed = this.labels();
      labels = parsed.labels;
      if (parsed.name !== null) {
        if (name !== null) this.fail('metric name given twice');
        name = parsed.name;
      }
      spaced = this.skipSpace();
    }
    if (name === null) this.fail('missing metric name');
    if (!spaced) this.fail('expected whitespace before the value');
    const value = parseValue(this.token(), (msg) => this.fail(msg));
    let timestampMs: number | null = null;
    if (this.skipSpace() && this.pos < this.s.length && this.s[this.pos] !== '#') {
      timestampMs = parseTimestamp(this.token(), (msg) => this.fail(msg));
      this.skipSpace();
    }
    // What may follow is an OpenMetrics exemplar (`# {trace_id="..."} 1`), which we do not need.
    if (this.pos < this.s.length && this.s[this.pos] !== '#') this.fail(`unexpected "${this.s.slice(this.pos)}"`);
    return { name, labels, value, timestampMs };
  }

  /** `{a="1",b="2",}`; inside, a bare quoted string is a UTF-8 metric name (`{"my.metric",a="1"}`). */
  private labels(): { labels: Record<string, string>; name: string | null } {
    const labels: Record<string, string> = Object.create(null) as Record<string, string>;
    let name: string | null = null;
    this.pos++; // '{'
    for (;;) {
      this.skipSpace();
      if (this.s[this.pos] === '}') {
        this.pos++;
        return { labels: { ...labels }, name };
      }
      let key: string;
      if (this.s[this.pos] === '"') {
        key = this.quoted();
        this.skipSpace();
        if (this.s[this.pos] !== '=') {
          if (name !== null) this.fail('metric name given twice');
          name = key;
          this.afterItem();
          continue;
        }
      } else {
        key = this.match(LABEL_NAME, 'a label name');
        this.skipSpace();
      }
      if (this.s[this.pos] !== '=') this.fail(`expected "=" after label ${key}`);
      this.pos++;
      this.skipSpace();
      if (this.s[this.pos] !== '"') this.fail(`expected a quoted value for label ${key}`);
      const value = this.quoted();
      if (key in labels) this.fail(`duplicate label ${key}`);
      labels[key] = value;
      this.afterItem();
    }
  }

  private afterItem(): void {
    this.skipSpace();
    if (this.s[this.pos] === ',') this.pos++;
    else if (this.s[this.pos] !== '}') this.fail('expected "," or "}" in the label set');
  }

  /** A double-quoted string with the escapes the format allows: \\ \" \n. */
  private quoted(): string {
    this.pos++; // opening quote
    let out = '';
    for (;;) {
      const c = this.s[this.pos];
      if (c === undefined) this.fail('unterminated quoted string');
      this.pos++;
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.pos++];
      if (e === '\\' || e === '"') out += e;
      else if (e === 'n') out += '\n';
      else this.fail(`invalid escape sequence \\${e ?? ''}`);
    }
  }

  private match(re: RegExp, what: string): string {
    re.lastIndex = this.pos;
    const m = re.exec(this.s);
    if (!m) this.fail(`expected ${what}`);
    this.pos += m[0].length;
    return m[0];
  }

  private token(): string {
    const start = this.pos;
    while (this.pos < this.s.length && this.s[this.pos] !== ' ' && this.s[this.pos] !== '\t') this.pos++;
    return this.s.slice(start, this.pos);
  }

  /** Returns whether any whitespace was skipped. */
  private skipSpace(): boolean {
    const start = this.pos;
    while (this.s[this.pos] === ' ' || this.s[this.pos] === '\t') this.pos++;
    return this.pos > start;
  }

  private fail(message: string): never {
    throw new PromParseError(this.lineNo, message);
  }
}

function parseValue(token: string, fail: (msg: string) => never): number {
  if (token === '') fail('missing value');
  const lower = token.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (/^\+?inf(inity)?$/.test(lower)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/.test(lower)) return Number.NEGATIVE_INFINITY;
  if (!FLOAT.test(token)) fail(`invalid value "${token}"`);
  return Number(token);
}

/** 0.0.4 timestamps are integer milliseconds; OpenMetrics ones are float seconds. */
function parseTimestamp(token: string, fail: (msg: string) => never): number {
  if (INT.test(token)) return Number(token);
  if (FLOAT.test(token)) return Math.round(Number(token) * 1000);
  return fail(`invalid timestamp "${token}"`);
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** The label `le` of a bucket as a number ("+Inf" included); NaN when it is not one. */
export function parseLe(le: string | undefined): number {
  if (le === undefined) return Number.NaN;
  const t = le.trim().toLowerCase();
  if (t === '+inf' || t === 'inf') return Number.POSITIVE_INFINITY;
  return FLOAT.test(t) ? Number(t) : Number.NaN;
}

/** A stable identity for one series: name plus sorted labels. */
export function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return JSON.stringify([name, ...keys.map((k) => [k, labels[k]])]);
}

export interface Bucket {
  /** Upper bound; the last one must be +Inf. */
  readonly le: number;
  /** Cumulative count. */
  readonly count: number;
}

/**
 * PromQL's histogram_quantile: find the bucket holding the q-th observation
 * and interpolate linearly inside it. Returns NaN when there is nothing to
 * estimate from (no +Inf bucket, fewer than two buckets, no observations).
 */
export function histogramQuantile(q: number, input: readonly Bucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const sorted = [...input].filter((b) => !Number.isNaN(b.le)).sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted[sorted.length - 1]!.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  // Cumulative counts must not fall; scrape races or resets can make them, and Prometheus mends them the same way.
  let max = 0;
  const buckets = sorted.map((b) => {
    max = Math.max(max, b.count);
    return { le: b.le, count: max };
  });
  const observations = buckets[buckets.length - 1]!.count;
  if (!(observations > 0)) return Number.NaN;
  let rank = q * observations;
  const b = buckets.findIndex((x) => x.count >= rank);
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.le;
  if (b === 0 && buckets[0]!.le <= 0) return buckets[0]!.le;
  let start = 0;
  let count = buckets[b]!.count;
  if (b > 0) {
    start = buckets[b - 1]!.le;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  const end = buckets[b]!.le;
  return start + (end - start) * (rank / count);
}
