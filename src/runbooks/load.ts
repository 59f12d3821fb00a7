import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { ConfigError } from '../config/errors.js';
import { IssueList } from '../config/issues.js';
import { readText } from '../config/load.js';
import type { PluginSchemas } from '../config/params.js';
import { parseYaml, type YamlSource } from '../config/yaml.js';
import { checkChains } from './chains.js';
import { compileRunbook } from './compile.js';
import type { CompiledRunbook } from './types.js';

export interface LoadRunbooksOptions {
  readonly actions: PluginSchemas;
  /** Settle time for runbooks that name none: the config's policy.settleMs. */
  readonly settleMs?: number;
}

export interface LoadedRunbooks {
  /** Every runbook that compiled, in file order; of two with one name, the first. */
  readonly runbooks: CompiledRunbook[];
  /** Every problem of every file, or null. One bad file does not hide the others. */
  readonly errors: ConfigError | null;
}

const RUNBOOK_EXTENSIONS = new Set(['.yaml', '.yml']);

/**
 * Loads runbook files and folders (a folder: every *.yaml / *.yml directly in
 * it, in name order). Errors are collected, not thrown, so that `medic
 * validate` and the engine can report all of them at once.
 */
export function loadRunbooks(paths: readonly string[], opts: LoadRunbooksOptions): LoadedRunbooks {
  const errors: ConfigError[] = [];
  const runbooks: CompiledRunbook[] = [];
  const byName = new Map<string, CompiledRunbook>();
  const sources = new Map<string, YamlSource>();
  for (const file of runbookFiles(paths, errors)) {
    let source: YamlSource;
    let runbook: CompiledRunbook;
    try {
      source = parseYaml(readText(file), file);
      runbook = compileRunbook(source.value, { file, actions: opts.actions, settleMs: opts.settleMs, source });
    } catch (err) {
      if (err instanceof ConfigError) errors.push(err);
      else throw err;
      continue;
    }
    const first = byName.get(runbook.name);
    if (first) {
      const issues = new IssueList(file, source);
      issues.add(['name'], `duplicate runbook name '${runbook.name}': also defined in ${first.file}`);
      errors.push(issues.error()!);
      continue;
    }
    byName.set(runbook.name, runbook);
    sources.set(runbook.name, source);
    runbooks.push(runbook);
  }
  // A chain is only as good as the runbooks it calls: a missing one or a cycle makes every runbook on it unusable.
  const broken = checkChains(byName, (rb) => new IssueList(rb.file, sources.get(rb.name) ?? null), errors);
  return { runbooks: runbooks.filter((r) => !broken.has(r.name)), errors: ConfigError.merge(errors) };
}

/** The files `paths` name, each once; unreadable paths become errors. */
export function runbookFiles(paths: readonly string[], errors: ConfigError[]): string[] {
  const files: string[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    const abs = resolve(f);
    if (!seen.has(abs)) {
      seen.add(abs);
      files.push(f);
    }
  };
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (err) {
      errors.push(new ConfigError([{ file: p, line: 0, column: 0, path: '', message: 'cannot read: no such file or folder' }], { cause: err }));
      continue;
    }
    if (!isDir) {
      add(p);
      continue;
    }
    readdirSync(p, { withFileTypes: true })
      .filter((e) => e.isFile() && RUNBOOK_EXTENSIONS.has(extname(e.name).toLowerCase()))
      .map((e) => e.name)
      .sort()
      .forEach((name) => add(join(p, name)));
  }
  return files;
}
