import { z } from 'zod';
import { DEFAULT_ALPHA, DEFAULT_WARMUP, MIN_WARMUP } from '../core/anomaly.js';
import { DIRECTIONS, OP_SYMBOL, OPS, WINDOW_FNS, type Direction, type Op, type WindowFn } from '../core/condition.js';
import { parseDuration } from '../core/duration.js';
import { SEVERITIES, type Severity } from '../core/severity.js';
import { describe } from './issues.js';

/**
 * Schema pieces shared by medic.yaml and runbooks. They describe the raw YAML
 * (no defaults, no transforms: ./compile-*.ts apply those) so that the same
 * schemas validate files and generate the published JSON Schemas.
 */

const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?|(\\d+(\\.\\d+)?(ms|s|m|h|d))+)\\s*$';

/** "250ms", "30s", "1m", "1h30m", "7d", or a number of milliseconds. */
export function duration(meta: { description?: string; default?: string } = {}) {
  const error = (iss: { input?: unknown }) => `invalid duration ${describe(iss.input)} (use e.g. 250ms, 30s, 1m, 1h30m, 7d or a number of ms)`;
  return z
    .union([z.string().regex(new RegExp(DURATION_PATTERN), { error }), z.number().min(0, { error })], { error })
    .meta({ ...meta, description: meta.description ?? 'A duration: 250ms, 30s, 1m, 1h30m, 7d, or a number of milliseconds.' });
}

/** Parses a duration the schema already accepted. */
export function ms(v: string | number | undefined, fallback: string | number): number {
  return parseDuration(v ?? fallback) ?? 0;
}

export const severity = z.enum(SEVERITIES).meta({ description: 'P0 critical, P1 high, P2 medium, P3 low.' });

const scalar = z.union([z.string(), z.number(), z.boolean()], {
  error: (iss) => `expected a string, got ${describe(iss.input)}`,
});

/** Label values may be written as numbers or booleans (`version: 2`); they are compared as text. */
export const labels = z.record(z.string(), scalar).meta({ description: 'Label names and values (compared as text).' });

export function labelsOf(raw: Readonly<Record<string, string | number | boolean>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(raw ?? {}).map(([k, v]) => [k, String(v)]));
}

export const name = z.string().min(1);

const threshold = z.number();

export type OpFields = { [K in Op]?: number };

const opShape = Object.fromEntries(
  OPS.map((op) => [op, threshold.optional().meta({ description: `Holds when the value is ${OP_SYMBOL[op]} this number.` })]),
) as { [K in Op]: z.ZodOptional<z.ZodNumber> };

const valueShape = {
  signal: name.meta({ description: 'The signal name, e.g. http_up, error_ratio, latency_p95_ms.' }),
  fn: z.enum(WINDOW_FNS).optional().meta({ description: 'How the window is reduced to one number (default: last).' }),
  window: duration({ description: 'Time window the function reads.' }).optional(),
  samples: z.number().int().min(1).optional().meta({ description: 'Count window: the last N samples; holds only once N exist.' }),
  labels: labels.optional(),
  threshold_value: z.number().optional().meta({
    description: 'time_to_threshold: the level whose crossing is forecast, e.g. 95 for disk_used_percent.',
  }),
  direction: z.enum(DIRECTIONS).optional().meta({
    description: 'time_to_threshold: rising (default) towards an upper limit, or falling towards a lower one (free bytes).',
  }),
  min_confidence: z.number().min(0).max(1).optional().meta({
    description: 'slope_per_hour, growth_percent_per_hour, time_to_threshold: unknown (never holds) while the fit\'s R² is below this.',
  }),
  alpha: z.number().gt(0).max(1).optional().meta({
    description: `anomaly_score: EWMA smoothing factor of the baseline, 0 < alpha <= 1 (default ${DEFAULT_ALPHA}).`,
  }),
  warmup: z.number().int().min(MIN_WARMUP).optional().meta({
    description: `anomaly_score: unknown until the window holds this many samples (default ${DEFAULT_WARMUP}).`,
  }),
};

/** The fields of a leaf beyond signal, fn and the window: parameters of particular functions. */
interface RawFnParams {
  threshold_value?: number | undefined;
  direction?: Direction | undefined;
  min_confidence?: number | undefined;
  alpha?: number | undefined;
  warmup?: number | undefined;
}

export interface RawValue extends RawFnParams {
  signal: string;
  fn?: WindowFn | undefined;
  window?: string | number | undefined;
  samples?: number | undefined;
  labels?: Record<string, string | number | boolean> | undefined;
}

/** A rule's `value`: a signal reduced over a window, without a comparison. */
export const valueSchema = z.strictObject(valueShape).meta({ id: 'Value', description: 'A signal reduced over a window.' });

/**
 * One object shape for leaves and for `all`/`any`: a union would turn a typo
 * (`gtt: 1`) into "matches none of 3 alternatives"; one strict object says
 * "unknown field 'gtt'", and ./condition.ts checks which form was meant.
 */
export interface RawCondition extends OpFields, RawFnParams {
  signal?: string | undefined;
  fn?: WindowFn | undefined;
  window?: string | number | undefined;
  samples?: number | undefined;
  labels?: Record<string, string | number | boolean> | undefined;
  all?: RawCondition[] | undefined;
  any?: RawCondition[] | undefined;
}

export const conditionSchema: z.ZodType<RawCondition> = z
  .strictObject({
    ...valueShape,
    signal: valueShape.signal.optional(),
    ...opShape,
    get all(): z.ZodOptional<z.ZodArray<z.ZodType<RawCondition>>> {
      return z.array(conditionSchema).min(1).optional().meta({ description: 'Holds when every condition holds.' });
    },
    get any(): z.ZodOptional<z.ZodArray<z.ZodType<RawCondition>>> {
      return z.array(conditionSchema).min(1).optional().meta({ description: 'Holds when at least one condition holds.' });
    },
  })
  .meta({
    id: 'Condition',
    description: 'Either a leaf {signal, fn, window|samples, labels, the function\'s parameters, and exactly one of gt gte lt lte eq ne} or {all: [...]} / {any: [...]}.',
  });

export interface RawBand extends OpFields {
  severity: Severity;
}

export const bandSchema = z
  .strictObject({ severity, ...opShape })
  .meta({ description: 'A severity and exactly one comparison of the rule\'s value.' });

export { OPS };

/** `flap: {max, within}`: shared by policy.flap and a runbook's own (src/runbooks/schema.ts). */
export function flapSchema(defaults?: { readonly max: number; readonly within: string }) {
  return z.strictObject({
    max: z.number().int().min(1).optional().meta(defaults ? { default: defaults.max } : { description: 'Default: policy.flap.max.' }),
    within: duration(defaults ? { default: defaults.within } : { description: 'Default: policy.flap.within.' }).optional(),
  });
}
