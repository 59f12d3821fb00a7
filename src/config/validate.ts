import { statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import type { CompiledRunbook } from '../runbooks/types.js';
import { loadRunbooks } from '../runbooks/load.js';
import { ConfigError, formatIssue, type PathSegment } from './errors.js';
import { IssueList } from './issues.js';
import { compileConfigValue, readText } from './load.js';
import type { PluginSchemas } from './params.js';
import type { CompiledConfig } from './types.js';
import { parseYaml, type YamlSource } from './yaml.js';

export interface Registries {
  readonly probes: PluginSchemas;
  readonly actions: PluginSchemas;
}

export interface ValidationReport {
  readonly ok: boolean;
  /** One line per file that passed, per problem and per warning, in the order found. */
  readonly report: string[];
}

/**
 * `medic validate`: checks config files and runbook files or folders. A YAML
 * file with top-level `strategies` or `steps` is a runbook, any other a
 * config. A config's own `runbooks.paths` are checked too, and references
 * between rules and runbooks are cross-checked: a rule naming a runbook that
 * does not exist is an error; a runbook matching a rule no config defines is
 * a warning (the rule may come from Alertmanager).
 */
export function validatePaths(paths: readonly string[], registries: Registries): ValidationReport {
  const report: string[] = [];
  let ok = true;
  const fail = (err: unknown) => {
    if (!(err instanceof ConfigError)) throw err;
    ok = false;
    report.push(...err.lines());
  };
  const configs: { config: CompiledConfig; source: YamlSource }[] = [];
  const runbookPaths: string[] = [];
  for (const path of paths) {
    if (isDirectory(path)) {
      runbookPaths.push(path);
      continue;
    }
    let source: YamlSource;
    try {
      source = parseYaml(readText(path), path);
    } catch (err) {
      fail(err);
      continue;
    }
    if (isRunbookShaped(source.value)) {
      runbookPaths.push(path);
      continue;
    }
    try {
      const config = compileConfigValue(source.value, path, { probes: registries.probes }, source);
      configs.push({ config, source });
      report.push(`ok ${path}: ${count(Object.keys(config.targets).length, 'target')}, ${count(config.probes.length, 'probe')}, ${count(config.rules.length, 'rule')}`);
      runbookPaths.push(...config.runbookPaths.map(display));
    } catch (err) {
      fail(err);
    }
  }
  if (runbookPaths.length === 0) return { ok, report };

  const loaded = loadRunbooks(runbookPaths, { actions: registries.actions, settleMs: configs[0]?.config.policy.settleMs });
  if (loaded.errors) fail(loaded.errors);
  for (const rb of loaded.runbooks) {
    report.push(`ok ${display(rb.file)}: runbook '${rb.name}' (${count(rb.strategies.length, 'strategy', 'strategies')})`);
  }
  for (const { config, source } of configs) {
    for (const ref of crossReferences(config, loaded.runbooks)) {
      const where = ref.in === 'config' ? source : safeSource(ref.file);
      const issues = new IssueList(display(ref.file), where);
      issues.add(ref.path, ref.message);
      const line = formatIssue(issues.issues[0]!);
      if (ref.level === 'error') {
        ok = false;
        report.push(line);
      } else {
        report.push(`warning: ${line}`);
      }
    }
  }
  return { ok, report };
}

export interface CrossReference {
  readonly level: 'error' | 'warning';
  readonly in: 'config' | 'runbook';
  readonly file: string;
  readonly path: readonly PathSegment[];
  readonly message: string;
}

/** How a config's rules and a set of runbooks refer to each other; the engine may log these at start. */
export function crossReferences(config: CompiledConfig, runbooks: readonly CompiledRunbook[]): CrossReference[] {
  const out: CrossReference[] = [];
  const runbookNames = new Set(runbooks.map((r) => r.name));
  const ruleNames = new Set(config.rules.map((r) => r.name));
  config.rules.forEach((rule, i) => {
    rule.runbooks.forEach((name, j) => {
      if (!runbookNames.has(name)) {
        out.push({
          level: 'error', in: 'config', file: config.file ?? '<config>', path: ['rules', i, 'runbooks', j],
          message: `unknown runbook '${name}' (loaded: ${[...runbookNames].join(', ') || 'none'})`,
        });
      }
    });
  });
  config.schedules.forEach((sch, i) => {
    if (!runbookNames.has(sch.runbook)) {
      out.push({
        level: 'error', in: 'config', file: config.file ?? '<config>', path: ['schedules', i, 'runbook'],
        message: `unknown runbook '${sch.runbook}' (loaded: ${[...runbookNames].join(', ') || 'none'})`,
      });
    }
  });
  for (const rb of runbooks) {
    rb.match.rules.forEach((rule, j) => {
      if (!ruleNames.has(rule)) {
        out.push({
          level: 'warning', in: 'runbook', file: rb.file, path: ['match', 'rules', j],
          message: `rule '${rule}' is not defined in ${display(config.file ?? '<config>')} (fine if it comes from an alert route)`,
        });
      }
    });
  }
  return out;
}

function isRunbookShaped(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && ('strategies' in v || 'steps' in v);
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function safeSource(file: string): YamlSource | null {
  try {
    return parseYaml(readText(file), file);
  } catch {
    return null;
  }
}

/** Absolute paths under the current directory are shown relative to it: shorter report lines. */
function display(p: string): string {
  if (!isAbsolute(p)) return p;
  const rel = relative(process.cwd(), p);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
