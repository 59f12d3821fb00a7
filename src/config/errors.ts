/**
 * What is wrong with a config or runbook file, said so that a person can go
 * straight to it: file, line, column, the field's path and a message.
 */
export type PathSegment = string | number;

export interface ConfigIssue {
  /** The file as the caller named it (relative paths stay relative: shorter lines). */
  readonly file: string;
  /** 1-based; 0 when the position is unknown (input that did not come from a file). */
  readonly line: number;
  readonly column: number;
  /** Like `rules[2].condition.gt`; '' for the document itself. */
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], opts: { cause?: unknown } = {}) {
    super(summary(issues), { cause: opts.cause });
    this.issues = Object.freeze([...issues]);
  }

  /** One line per issue: `examples/bad.yaml:12:5 rules[2].condition: unknown field 'gtt'`. */
  lines(): string[] {
    return this.issues.map(formatIssue);
  }

  format(): string {
    return this.lines().join('\n');
  }

  /** Several errors (e.g. one per runbook file) as one; null when there are none. */
  static merge(errors: readonly (ConfigError | null | undefined)[]): ConfigError | null {
    const issues = errors.flatMap((e) => (e ? e.issues : []));
    return issues.length > 0 ? new ConfigError(issues) : null;
  }
}

export function formatIssue(i: ConfigIssue): string {
  const where = i.line > 0 ? `${i.file}:${i.line}:${i.column}` : i.file;
  // One issue, one line, whatever a quoted value contained.
  const message = i.message.replace(/[\r\n]+/g, ' ');
  return i.path === '' ? `${where} ${message}` : `${where} ${i.path}: ${message}`;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** ['rules', 2, 'condition', 'gt'] → `rules[2].condition.gt`; odd keys are quoted: `labels["app.kubernetes.io/name"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function summary(issues: readonly ConfigIssue[]): string {
  const first = issues[0];
  if (!first) return 'invalid configuration';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${formatIssue(first)}${more}`;
}
