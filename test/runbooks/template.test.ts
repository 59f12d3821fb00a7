import { describe, expect, it } from 'vitest';
import { ActionError } from '../../src/core/errors.js';
import { renderParams, templateProblem, templateRefs } from '../../src/runbooks/template.js';

const vars = {
  incident: { id: 'inc-1', target: 'demo', rule: 'demo-slow', severity: 'P2', value: 812.5 },
  target: { name: 'demo', labels: { tier: 'web' }, port: 7071 },
  labels: { service: 'x; touch pwned.txt', pod: 'web-1', nested: '{{ incident.id }}', empty: '' },
  params: { by: 2, dry: false, list: ['a', 'b'] },
};

function thrown(fn: () => unknown): ActionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ActionError) return err;
    throw err;
  }
  throw new Error('expected an ActionError');
}

describe('renderParams', () => {
  it('renders an alert label with shell syntax literally into one argv element', () => {
    const out = renderParams({ argv: ['./restart.sh', '{{ labels.service }}', '--name={{labels.service}}'] }, vars);
    expect(out).toEqual({ argv: ['./restart.sh', 'x; touch pwned.txt', '--name=x; touch pwned.txt'] });
  });

  it('keeps the type of a value that is the whole string', () => {
    expect(renderParams({ by: '{{ params.by }}', dry: '{{params.dry}}', port: '{{ target.port }}', v: '{{ incident.value }}' }, vars))
      .toEqual({ by: 2, dry: false, port: 7071, v: 812.5 });
  });

  it('inserts values as text inside longer strings, whitespace in braces optional', () => {
    expect(renderParams({ m: 'p95 of {{incident.target}} is {{ incident.value }} ms' }, vars)).toEqual({ m: 'p95 of demo is 812.5 ms' });
  });

  it('renders deeply, leaves non-strings and keys alone, and does not change its input', () => {
    const params = Object.freeze({ '{{ labels.pod }}': 1, deep: Object.freeze([{ x: '{{ labels.pod }}' }, 3, null]) });
    expect(renderParams(params, vars)).toEqual({ '{{ labels.pod }}': 1, deep: [{ x: 'web-1' }, 3, null] });
  });

  it('copies object values so rendered params never alias the vars', () => {
    const out = renderParams({ list: '{{ params.list }}' }, vars);
    expect(out.list).toEqual(['a', 'b']);
    expect(out.list).not.toBe(vars.params.list);
  });

  it('does not expand a template that arrives inside a value', () => {
    expect(renderParams({ m: 'label: {{ labels.nested }}', whole: '{{ labels.nested }}' }, vars))
      .toEqual({ m: 'label: {{ incident.id }}', whole: '{{ incident.id }}' });
  });

  it('fails naming a missing variable', () => {
    const err = thrown(() => renderParams({ m: 'hi {{ labels.team }}' }, vars));
    expect(err.code).toBe('invalid_params');
    expect(err.retryable).toBe(false);
    expect(err.message).toBe("template variable 'labels.team' is not defined");
  });

  it('never reads through the prototype', () => {
    expect(thrown(() => renderParams({ m: '{{ labels.constructor }}' }, vars)).message).toMatch(/'labels.constructor' is not defined/);
    expect(thrown(() => renderParams({ m: '{{ labels.__proto__ }}' }, vars)).code).toBe('invalid_params');
  });

  it('rejects a value that does not fully match its input pattern as unsafe', () => {
    const inputs = { 'labels.service': { pattern: /[a-z0-9-]+/ } };
    const err = thrown(() => renderParams({ argv: ['restart', '{{ labels.service }}'] }, vars, inputs));
    expect(err.code).toBe('unsafe');
    expect(err.message).toBe('template variable \'labels.service\' = "x; touch pwned.txt" does not match its pattern /[a-z0-9-]+/');
    expect(renderParams({ argv: ['{{ labels.pod }}'] }, vars, { 'labels.pod': { pattern: /[a-z0-9-]+/ } })).toEqual({ argv: ['web-1'] });
  });

  it('anchors patterns itself: a match inside the value is not enough', () => {
    const inputs = { 'labels.service': { pattern: /touch/ } };
    expect(thrown(() => renderParams({ a: '{{ labels.service }}' }, vars, inputs)).code).toBe('unsafe');
    // The whole alternation is anchored (not just its first branch), and a /g pattern holds no state between calls.
    const pod = { 'labels.pod': { pattern: /web|web-1/g } };
    expect(renderParams({ a: '{{ labels.pod }}' }, vars, pod)).toEqual({ a: 'web-1' });
    expect(renderParams({ a: '{{ labels.pod }}' }, vars, pod)).toEqual({ a: 'web-1' });
  });

  it('checks the pattern of a number as its text', () => {
    expect(renderParams({ n: '{{ params.by }}' }, vars, { 'params.by': { pattern: /[0-9]/ } })).toEqual({ n: 2 });
  });

  it('refuses an object inside text and a malformed template', () => {
    expect(thrown(() => renderParams({ m: 'x {{ params.list }}' }, vars)).message).toMatch(/is a list: it can only stand alone/);
    expect(thrown(() => renderParams({ m: 'x {{ incident.id' }, vars)).code).toBe('invalid_params');
  });

  it('renders an empty string value as empty', () => {
    expect(renderParams({ m: '[{{ labels.empty }}]' }, vars)).toEqual({ m: '[]' });
  });
});

describe('template syntax helpers', () => {
  it('lists the variables a params tree reads', () => {
    expect(templateRefs({ a: ['{{ x.y }} {{z}}'], b: { c: '{{ labels.service }}' }, d: 3 })).toEqual(['x.y', 'z', 'labels.service']);
  });

  it('says what is malformed', () => {
    expect(templateProblem('{{ a.b }} and {{c}}')).toBeNull();
    expect(templateProblem('{{ a.b')).toMatch(/unbalanced/);
    expect(templateProblem('{{ a b }}')).toMatch(/not a variable path/);
  });
});
