import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ConfigError, type ConfigIssue, type PathSegment } from './errors.js';

export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * A parsed YAML file that still knows where everything came from, so that an
 * error found later (by a schema, a cross-check) points at the right line.
 */
export interface YamlSource {
  readonly file: string;
  /** The document as plain data (maps → objects, sequences → arrays). */
  readonly value: unknown;
  /**
   * Where the value at `path` starts. A path that does not exist (a missing
   * field) gives the position of the deepest part that does.
   */
  locate(path: readonly PathSegment[]): Position;
  /** Where the key of the last segment is written (for "unknown field" errors); falls back to locate(). */
  locateKey(path: readonly PathSegment[]): Position;
}

/**
 * Aliases let a small file expand into a huge value ("billion laughs"); a
 * config never needs many of them.
 */
const MAX_ALIAS_COUNT = 100;

/** Parses one YAML document; syntax errors throw a ConfigError with file:line:col and the parser's message. */
export function parseYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e): ConfigIssue => ({
      file, ...pos(e.pos[0]), path: '', message: `YAML: ${firstLine(e.message)}`,
    })));
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new ConfigError([{ file, line: 1, column: 1, path: '', message: `YAML: ${err instanceof Error ? err.message : String(err)}` }], { cause: err });
  }
  return {
    file,
    value,
    locate: (path) => pos(walk(doc, path).valueOffset),
    locateKey: (path) => pos(walk(doc, path).keyOffset),
  };
}

function walk(doc: Document, path: readonly PathSegment[]): { valueOffset: number; keyOffset: number } {
  let node: unknown = doc.contents;
  let valueOffset = rangeStart(node) ?? 0;
  let keyOffset = valueOffset;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let found = false;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || keyText(pair.key) !== String(seg)) continue;
        const k = rangeStart(pair.key);
        if (k !== undefined) keyOffset = k;
        // `risk:` with nothing after it has no value (or an empty one): point at the key.
        valueOffset = isEmpty(pair.value) ? keyOffset : rangeStart(pair.value) ?? keyOffset;
        next = pair.value;
        found = true;
        break;
      }
    } else if (isSeq(node) && typeof seg === 'number' && seg >= 0 && seg < node.items.length) {
      next = node.items[seg];
      const s = rangeStart(next);
      if (s !== undefined) valueOffset = keyOffset = s;
      found = true;
    }
    if (!found) return { valueOffset, keyOffset: valueOffset };
    node = next;
  }
  return { valueOffset, keyOffset };
}

function isEmpty(node: unknown): boolean {
  if (node === null || node === undefined) return true;
  return isScalar(node) && node.value === null && Array.isArray(node.range) && node.range[0] === node.range[1];
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
