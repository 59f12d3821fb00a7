import { describe, expect, it } from 'vitest';
import { histogramQuantile, parseLe, parsePrometheusText, PromParseError, seriesKey } from '../../src/probes/prom-parse.js';

describe('parsePrometheusText', () => {
  it('parses the format documentation example', () => {
    const text = [
      '# HELP http_requests_total The total number of HTTP requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400"}    3 1395066363000',
      '',
      '# Escaping in label values:',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      '',
      '# Minimalistic line:',
      'metric_without_timestamp_and_labels 12.47',
      '',
      '# A weird metric from before the epoch:',
      'something_weird{problem="division by zero"} +Inf -3982045',
      '',
      '# TYPE http_request_duration_seconds histogram',
      'http_request_duration_seconds_bucket{le="0.05"} 24054',
      'http_request_duration_seconds_bucket{le="+Inf"} 144320',
      'http_request_duration_seconds_sum 53423',
      'http_request_duration_seconds_count 144320',
    ].join('\n');
    const exp = parsePrometheusText(text);
    expect(exp.types.get('http_requests_total')).toBe('counter');
    expect(exp.types.get('http_request_duration_seconds')).toBe('histogram');
    expect(exp.help.get('http_requests_total')).toBe('The total number of HTTP requests.');
    expect(exp.samples).toHaveLength(9);
    expect(exp.samples[0]).toEqual({ name: 'http_requests_total', labels: { method: 'post', code: '200' }, value: 1027, timestampMs: 1395066363000 });
    expect(exp.samples[1]!.value).toBe(3);
    expect(exp.samples[2]!.labels).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    expect(exp.samples[2]!.value).toBe(1.458255915e9);
    expect(exp.samples[3]).toEqual({ name: 'metric_without_timestamp_and_labels', labels: {}, value: 12.47, timestampMs: null });
    expect(exp.samples[4]).toMatchObject({ value: Number.POSITIVE_INFINITY, timestampMs: -3982045 });
    expect(exp.samples[6]!.labels).toEqual({ le: '+Inf' });
  });

  it('keeps separators and quotes inside label values as text', () => {
    const exp = parsePrometheusText('m{a="x,y}=z # not a comment",b="\\"q\\""} 1\n');
    expect(exp.samples[0]!.labels).toEqual({ a: 'x,y}=z # not a comment', b: '"q"' });
  });

  it('accepts NaN, -Inf, tabs, CRLF, blanks around labels, a trailing comma and an empty label set', () => {
    const exp = parsePrometheusText('a NaN\r\nb\t-Inf\n  c { x = "1" , } 2\nd{} 3\ne 1e-3\nf -0.5 \n');
    expect(Number.isNaN(exp.samples[0]!.value)).toBe(true);
    expect(exp.samples[1]!.value).toBe(Number.NEGATIVE_INFINITY);
    expect(exp.samples[2]).toMatchObject({ name: 'c', labels: { x: '1' }, value: 2 });
    expect(exp.samples[3]).toMatchObject({ name: 'd', labels: {}, value: 3 });
    expect(exp.samples[4]!.value).toBe(0.001);
    expect(exp.samples[5]!.value).toBe(-0.5);
  });

  it('unescapes HELP text and ignores ordinary comments', () => {
    const exp = parsePrometheusText('# HELP m line one\\nline two \\\\ done\n# just a comment with {braces} 1\n#no space either\nm 1\n');
    expect(exp.help.get('m')).toBe('line one\nline two \\ done');
    expect(exp.samples).toHaveLength(1);
  });

  it('reads OpenMetrics extras: exemplars, float-second timestamps, # EOF, quoted names', () => {
    const exp = parsePrometheusText(
      'a_total 5 # {trace_id="abc"} 1.0\nb 1 1520879607.789\n{"my.metric",x="1"} 7\n# EOF\nthis is not parsed\n',
    );
    expect(exp.samples).toHaveLength(3);
    expect(exp.samples[0]!.value).toBe(5);
    expect(exp.samples[1]!.timestampMs).toBe(1520879607789);
    expect(exp.samples[2]).toMatchObject({ name: 'my.metric', labels: { x: '1' }, value: 7 });
  });

  it.each([
    ['m{a="1} 1', /unterminated/],
    ['m{a="\\t"} 1', /invalid escape/],
    ['m{a="1",a="2"} 1', /duplicate label a/],
    ['m{a=1} 1', /quoted value/],
    ['m', /whitespace before the value/],
    ['m one', /invalid value "one"/],
    ['m 1 2 3', /unexpected "3"/],
    ['m 1 later', /invalid timestamp/],
    ['m-x 1', /whitespace before the value/],
    ['1m 1', /metric name/],
    ['# TYPE m banana', /unknown metric type/],
    ['m{a="1" b="2"} 1', /"," or "}"/],
  ])('rejects %j', (line, message) => {
    expect(() => parsePrometheusText(`ok 1\n${line}\n`)).toThrow(message);
    try {
      parsePrometheusText(`ok 1\n${line}\n`);
    } catch (err) {
      expect(err).toBeInstanceOf(PromParseError);
      expect((err as PromParseError).line).toBe(2);
    }
  });
});

describe('histogramQuantile', () => {
  const buckets = [
    { le: 0.1, count: 50 },
    { le: 0.5, count: 90 },
    { le: 1, count: 100 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];

  it('interpolates linearly inside the bucket holding the rank', () => {
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.75); // 0.5 + 0.5 × (95-90)/10
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1); // 0 + 0.1 × 50/50
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(0.3); // 0.1 + 0.4 × 20/40
  });

  it('does not care about bucket order', () => {
    expect(histogramQuantile(0.95, [...buckets].reverse())).toBeCloseTo(0.75);
  });

  it('answers the highest finite bound when the rank falls in +Inf', () => {
    expect(histogramQuantile(0.99, [{ le: 0.1, count: 10 }, { le: Number.POSITIVE_INFINITY, count: 100 }])).toBe(0.1);
  });

  it('is NaN without observations, without +Inf, or with one bucket', () => {
    expect(histogramQuantile(0.5, buckets.map((b) => ({ ...b, count: 0 })))).toBeNaN();
    expect(histogramQuantile(0.5, buckets.slice(0, 3))).toBeNaN();
    expect(histogramQuantile(0.5, [{ le: Number.POSITIVE_INFINITY, count: 5 }])).toBeNaN();
  });

  it('mends cumulative counts that fall, as Prometheus does', () => {
    const broken = [{ le: 1, count: 10 }, { le: 2, count: 8 }, { le: Number.POSITIVE_INFINITY, count: 10 }];
    expect(histogramQuantile(0.5, broken)).toBeCloseTo(0.5);
  });
});

describe('helpers', () => {
  it('parses le bounds', () => {
    expect(parseLe('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parseLe('0.25')).toBe(0.25);
    expect(parseLe('x')).toBeNaN();
    expect(parseLe(undefined)).toBeNaN();
  });

  it('gives a series the same key whatever the label order', () => {
    expect(seriesKey('m', { a: '1', b: '2' })).toBe(seriesKey('m', { b: '2', a: '1' }));
    expect(seriesKey('m', { a: '1' })).not.toBe(seriesKey('m', { a: '2' }));
  });
});
