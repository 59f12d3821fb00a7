import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue, formatPath } from '../../src/config/errors.js';
import { parseYaml } from '../../src/config/yaml.js';

const TEXT = [
  'server:',           // 1
  '  port: 7070',      // 2
  'rules:',            // 3
  '  - name: a',       // 4
  '  - name: b',       // 5
  '    condition:',    // 6
  '      signal: x',   // 7
  '      gt: 1',       // 8
  '    severity:',     // 9
].join('\n');

describe('parseYaml', () => {
  const src = parseYaml(TEXT, 'c.yaml');

  it('maps a path to the line and column of its value', () => {
    expect(src.locate(['server', 'port'])).toEqual({ line: 2, column: 9 });
    expect(src.locate(['rules', 1, 'condition', 'gt'])).toEqual({ line: 8, column: 11 });
    expect(src.locate(['rules', 1])).toEqual({ line: 5, column: 5 });
  });

  it('maps a path to its key for errors about the field itself', () => {
    expect(src.locateKey(['rules', 1, 'condition', 'gt'])).toEqual({ line: 8, column: 7 });
  });

  it('points at the key of a field that has no value', () => {
    expect(src.locate(['rules', 1, 'severity'])).toEqual({ line: 9, column: 5 });
  });

  it('falls back to the deepest existing part of a path that does not exist', () => {
    expect(src.locate(['rules', 0, 'condition', 'gt'])).toEqual({ line: 4, column: 5 });
    expect(src.locate(['rules', 7])).toEqual({ line: 4, column: 3 });
    expect(src.locate([])).toEqual({ line: 1, column: 1 });
  });

  it('gives plain data', () => {
    expect(src.value).toEqual({ server: { port: 7070 }, rules: [{ name: 'a' }, { name: 'b', condition: { signal: 'x', gt: 1 }, severity: null }] });
  });

  it('reports syntax errors with file:line:col and the parser\'s message', () => {
    let err: unknown;
    try {
      parseYaml('a: 1\nb: [1, 2\nc: 3\n', 'bad.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const [issue] = (err as ConfigError).issues;
    expect(issue!.file).toBe('bad.yaml');
    expect(issue!.line).toBeGreaterThanOrEqual(2);
    expect(issue!.message).toMatch(/^YAML: /);
  });

  it('refuses alias bombs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((k, i) => {
      const prev = String.fromCharCode('a'.charCodeAt(0) + i);
      return `${k}: &${k} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`;
    })].join('\n');
    expect(() => parseYaml(bomb, 'bomb.yaml')).toThrow(ConfigError);
  });
});

describe('formatting', () => {
  it('writes paths the way a person reads them', () => {
    expect(formatPath(['rules', 2, 'condition', 'gt'])).toBe('rules[2].condition.gt');
    expect(formatPath(['inputs', 'labels.service', 'pattern'])).toBe('inputs["labels.service"].pattern');
    expect(formatPath([])).toBe('');
  });

  it('prints one line per issue', () => {
    const err = new ConfigError([
      { file: 'examples/bad.yaml', line: 12, column: 5, path: 'rules[2].condition', message: "unknown field 'gtt'" },
      { file: 'x.yaml', line: 0, column: 0, path: '', message: 'cannot read: no such file' },
    ]);
    expect(err.format()).toBe("examples/bad.yaml:12:5 rules[2].condition: unknown field 'gtt'\nx.yaml cannot read: no such file");
    expect(err.message).toBe("examples/bad.yaml:12:5 rules[2].condition: unknown field 'gtt' (and 1 more)");
    expect(formatIssue(err.issues[0]!)).toBe(err.lines()[0]);
  });

  it('merges errors and gives null for none', () => {
    expect(ConfigError.merge([null, undefined])).toBeNull();
    const a = new ConfigError([{ file: 'a', line: 1, column: 1, path: '', message: 'x' }]);
    expect(ConfigError.merge([a, null, a])!.issues).toHaveLength(2);
  });
});
