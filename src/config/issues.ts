import type { z } from 'zod';
import { ConfigError, formatPath, type ConfigIssue, type PathSegment } from './errors.js';
import type { YamlSource } from './yaml.js';

type ZodIssue = z.core.$ZodIssue;

/**
 * Collects the problems found in one file while it is validated and compiled,
 * turning paths into positions through the YAML source. Everything is
 * collected before anything is thrown, so one run shows every mistake.
 */
export class IssueList {
  private readonly list: ConfigIssue[] = [];

  constructor(
    readonly file: string,
    private readonly source: YamlSource | null,
  ) {}

  get issues(): readonly ConfigIssue[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  /** `at: 'key'` points at the field's name rather than its value (unknown or duplicate fields). */
  add(path: readonly PathSegment[], message: string, opts: { at?: 'key' | 'value'; locate?: readonly PathSegment[] } = {}): void {
    const where = opts.locate ?? path;
    const pos = this.source
      ? opts.at === 'key' ? this.source.locateKey(where) : this.source.locate(where)
      : { line: 0, column: 0 };
    this.list.push({ file: this.file, line: pos.line, column: pos.column, path: formatPath(path), message });
  }

  /**
   * Adds a zod error found while parsing `input`, which sits at `base` in the
   * file (e.g. a probe's params at ['probes', 1, 'params']).
   */
  addZod(error: z.ZodError, input: unknown, base: readonly PathSegment[] = []): void {
    for (const issue of error.issues) this.addZodIssue(issue, input, base);
  }

  private addZodIssue(issue: ZodIssue, input: unknown, base: readonly PathSegment[]): void {
    const rel = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
    const path = [...base, ...rel];
    const value = valueAt(input, rel);
    // zod reports an absent required field as a type, enum or union mismatch with nothing.
    const missing = value === undefined && rel.length > 0
      && (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union');
    // A schema that words its own message (durations do) knows best.
    if (!missing && issue.code !== 'unrecognized_keys' && !DEFAULT_MESSAGE.test(issue.message)) {
      this.add(path, issue.message);
      return;
    }
    if (missing) {
      this.add(path.slice(0, -1), `missing required field '${String(path[path.length - 1])}'`);
      return;
    }
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) this.add(path, `unknown field '${key}'`, { at: 'key', locate: [...path, key] });
        return;
      case 'invalid_type':
        this.add(path, `expected ${typeName(issue.expected)}, got ${describe(value)}`);
        return;
      case 'invalid_union': {
        // The value had the shape of one alternative: report what is wrong inside it.
        const near = issue.errors.filter((branch) => !branch.every(isShapeMismatch));
        if (near.length === 1) {
          for (const sub of near[0]!) this.addZodIssue(sub, value, path);
          return;
        }
        const expected = issue.errors.flatMap((branch) => branch.filter(isShapeMismatch).map(expectedOf));
        this.add(path, `expected ${[...new Set(expected)].join(' or ')}, got ${describe(value)}`);
        return;
      }
      case 'invalid_value':
        this.add(path, issue.values.length === 1
          ? `expected ${show(issue.values[0])}, got ${describe(value)}`
          : `expected one of ${issue.values.map(show).join(', ')}, got ${describe(value)}`);
        return;
      case 'too_small':
        this.add(path, tooSmall(issue.origin, Number(issue.minimum), issue.inclusive ?? true));
        return;
      case 'too_big':
        this.add(path, issue.origin === 'array'
          ? `at most ${String(issue.maximum)} item(s)`
          : `must be ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}`);
        return;
      case 'invalid_format':
        this.add(path, `${describe(value)} is not a valid ${issue.format}`);
        return;
      default:
        this.add(path, issue.message);
    }
  }

  error(): ConfigError | null {
    return this.list.length > 0 ? new ConfigError(this.list) : null;
  }

  throwIfAny(): void {
    const err = this.error();
    if (err) throw err;
  }
}

const DEFAULT_MESSAGE = /^(Invalid|Too (small|big)|Unrecognized)/;

function isShapeMismatch(i: ZodIssue): boolean {
  return i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value');
}

function expectedOf(i: ZodIssue): string {
  if (i.code === 'invalid_type') return typeName(i.expected);
  if (i.code === 'invalid_value') return i.values.map(show).join(' or ');
  return 'something else';
}

function tooSmall(origin: string, min: number, inclusive: boolean): string {
  if (origin === 'array') return `needs at least ${min} item(s)`;
  if (origin === 'string') return min <= 1 ? 'must not be empty' : `must be at least ${min} characters`;
  return `must be ${inclusive ? '>=' : '>'} ${min}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false',
  object: 'a mapping', array: 'a list', record: 'a mapping',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}

/** A value as a person reads it in an error message (strings are cut short: they may be long or odd). */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'nothing (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') {
    // Config values can hold credentials (a database URL): never echo a URL's password.
    const safe = v.replace(/(\/\/[^/:@\s]*:)[^@/\s]*@/g, '$1***@');
    return `'${safe.length > 60 ? `${safe.slice(0, 57)}...` : safe}'`;
  }
  return String(v);
}

export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, seg)) return undefined;
    v = (v as Record<PathSegment, unknown>)[seg];
  }
  return v;
}
