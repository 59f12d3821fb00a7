import { readFileSync } from 'node:fs';
import { compileSpec, type CompileConfigOptions } from './compile.js';
import { ConfigError } from './errors.js';
import { deepFreeze } from './freeze.js';
import { IssueList } from './issues.js';
import { configSchema } from './schema.js';
import type { CompiledConfig } from './types.js';
import { parseYaml, type YamlSource } from './yaml.js';

export type { CompileConfigOptions, ConfigOverrides } from './compile.js';

/**
 * medic.yaml → CompiledConfig (deeply frozen). Throws a ConfigError listing
 * every problem found, each with file, line, column and field.
 */
export function loadConfig(file: string, opts: CompileConfigOptions): CompiledConfig {
  return compileConfig(readText(file), file, opts);
}

export function compileConfig(text: string, file: string, opts: CompileConfigOptions): CompiledConfig {
  const source = parseYaml(text, file);
  return compileConfigValue(source.value, file, opts, source);
}

/**
 * For a config that is already data (tests, an API). Without a YAML source the
 * issues carry no line numbers; relative paths then resolve against `file`'s
 * folder, or the current directory when `file` is null.
 */
export function compileConfigValue(
  value: unknown,
  file: string | null,
  opts: CompileConfigOptions,
  source: YamlSource | null = null,
): CompiledConfig {
  const issues = new IssueList(file ?? '<config>', source);
  // The result is frozen and shares probe params with the input: copy a caller's data.
  const input: unknown = source ? value : structuredClone(value);
  // An empty file is an empty config: every default applies.
  const parsed = configSchema.safeParse(input ?? {});
  if (!parsed.success) {
    issues.addZod(parsed.error, input);
    throw issues.error() ?? new ConfigError([]);
  }
  const compiled = compileSpec(parsed.data, file, issues, opts);
  issues.throwIfAny();
  return deepFreeze(compiled);
}

/** Reads a file; a missing or unreadable file is a ConfigError like any other. */
export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new ConfigError([{ file, line: 0, column: 0, path: '', message: `cannot read: ${why}` }], { cause: err });
  }
}
