import { z } from 'zod';
import { RUNBOOK_DEFAULTS as D } from '../config/defaults.js';
import { conditionSchema, duration, flapSchema, labels, name } from '../config/primitives.js';

/**
 * The raw shape of a runbook file (RunbookSpec). ./compile.ts turns it into
 * a CompiledRunbook; this schema also generates schemas/runbook.schema.json.
 * Every object is strict: a misspelt key is an error.
 */

const stepOutcome = z.enum(['succeeded', 'failed', 'skipped']);

const params = z.record(z.string(), z.unknown())
  .meta({ description: 'The action\'s params; strings may use {{ incident.target }}, {{ labels.x }}, {{ target.port }}, {{ params.x }}.' });

/** A step's `when` may also ask how an earlier step of the same runbook ended. */
const stepResultSchema = z.strictObject({
  step: name.meta({ description: 'An earlier step of the same strategy.' }),
  is: z.union([stepOutcome, z.array(stepOutcome).min(1)]).meta({ description: 'The outcome(s) that make this hold.' }),
}).meta({ id: 'StepResult', description: 'Holds when the named earlier step ended in one of these outcomes.' });

const whenSchema = z.union([
  stepResultSchema,
  conditionSchema,
  z.strictObject({ all: z.array(z.union([stepResultSchema, conditionSchema])).min(1) }),
]).meta({ description: 'Run the step only when this holds: a condition on live signals, an earlier step\'s outcome ({step, is}), or all of several.' });

const stepSchema = z.strictObject({
  name,
  action: name.optional().meta({ description: 'An action plugin: process.restart, process.scale, exec, notify, ... (or give `runbook`).' }),
  runbook: name.optional().meta({ description: 'Run another runbook as this step (a chain); its params become {{ params.x }} there.' }),
  params: params.optional(),
  timeout: duration({ default: D.step.timeout }).optional()
    .meta({ description: 'For an action: each attempt. For a runbook step: all of its steps together.' }),
  retries: z.number().int().min(0).optional().meta({ default: D.step.retries }),
  backoff: z.strictObject({
    initial: duration({ default: D.step.backoff.initial }).optional(),
    factor: z.number().min(1).optional().meta({ default: D.step.backoff.factor }),
    max: duration({ default: D.step.backoff.max }).optional(),
  }).optional().meta({ description: 'Delay between retries.' }),
  on_failure: z.enum(['abort', 'skip', 'continue']).optional().meta({
    default: D.step.onFailure,
    description: 'abort: the strategy (or chain) fails; skip: skip the remaining steps; continue: go on with the next step. In a chain the default follows chain.strategy.',
  }),
  when: whenSchema.optional(),
  idempotent: z.boolean().optional().meta({
    description: 'Declare that running this step twice is safe (for exec and other actions whose idempotency depends on what they run). Default: the action\'s own declaration.',
  }),
  rollback: z.strictObject({ action: name, params: params.optional() }).optional()
    .meta({ description: 'An explicit undo; without it the action\'s own rollback (if any) is used.' }),
}).meta({ id: 'Step', description: 'Either an action (`action`) or another runbook (`runbook`).' });

const chainSchema = z.strictObject({
  strategy: z.enum(['continue-on-error', 'stop-on-failure', 'rollback-on-failure']).meta({
    description: 'continue-on-error: every step runs whatever failed; stop-on-failure: the first failure ends the chain, nothing undone; rollback-on-failure: a failure undoes every completed step of the whole chain, last first.',
  }),
  max_duration: duration({ description: 'After this the chain stops (a running step is aborted) and rolls back as its strategy says.' }).optional(),
}).meta({ description: 'Makes the runbook a chain: how a failure of one of its steps (or of a runbook it runs) ends it.' });

const strategySchema = z.strictObject({
  name,
  steps: z.array(stepSchema).min(1),
});

const watchGuard = <T extends z.ZodRawShape>(shape: T, description: string) =>
  z.union([z.literal(false), z.strictObject(shape)]).optional().meta({ description: `${description} false turns it off.` });

export const runbookSchema = z
  .strictObject({
    name: name.meta({ description: 'Unique across all runbooks.' }),
    description: z.string(),
    match: z.strictObject({
      rules: z.array(name).meta({ description: 'Rule (or alert) names this runbook fixes.' }),
      targets: z.array(name).optional().meta({ description: 'Default: any target.' }),
      labels: labels.optional().meta({ description: 'Target labels that must all be equal.' }),
    }),
    risk: z.enum(['low', 'medium', 'high']),
    impact: z.string().meta({ description: 'What the fix does to the service, in plain words (shown in approvals).' }),
    rollback_plan: z.string().meta({ description: 'How it is undone, in plain words.' }),
    approval: z.enum(['auto', 'required', 'by_severity']).optional().meta({
      default: D.approval,
      description: 'by_severity: P0/P1 wait for a person, P2/P3 run at once.',
    }),
    settle: duration({ description: 'Wait after the last step before verifying. Default: policy.settle.' }).optional(),
    flap: flapSchema().optional().meta({
      description: 'Restart-loop guard for this runbook on each target: more than max fixes within the window open its circuit. Default: policy.flap.',
    }),
    inputs: z.record(z.string(), z.strictObject({
      pattern: z.string().min(1).meta({ description: 'A regular expression the whole value must match.' }),
    })).optional().meta({ description: 'Template variables (e.g. labels.service) that must match a pattern before use.' }),
    strategies: z.array(strategySchema).min(1).optional().meta({ description: 'Tried in order until one verifies.' }),
    steps: z.array(stepSchema).min(1).optional().meta({ description: 'Shorthand for one strategy named "default".' }),
    chain: chainSchema.optional(),
    verify: z.strictObject({
      rule_cleared: z.boolean().optional().meta({ default: D.verify.ruleCleared }),
      checks: z.array(conditionSchema).optional(),
      timeout: duration({ default: D.verify.timeout }).optional(),
      interval: duration({ default: D.verify.interval }).optional(),
    }).optional(),
    watch: z.strictObject({
      duration: duration({ default: D.watch.duration, description: 'Guard window after success; 0 turns it off.' }).optional(),
      error_rate: watchGuard({
        signal: name.optional().meta({ default: D.watch.errorRate.signal }),
        factor: z.number().min(1).optional().meta({ default: D.watch.errorRate.factor }),
      }, 'Roll back if the error rate rises above factor × its value before the fix.'),
      latency: watchGuard({
        signal: name.optional().meta({ default: D.watch.latency.signal }),
        factor: z.number().min(1).optional().meta({ default: D.watch.latency.factor }),
      }, 'Roll back if latency rises above factor × its value before the fix.'),
      health: watchGuard({
        signal: name.optional().meta({ default: D.watch.health.signal }),
        failures: z.number().int().min(1).optional().meta({ default: D.watch.health.failures }),
      }, 'Roll back if the health signal reads 0 this many times in a row.'),
    }).optional(),
  })
  .meta({ title: 'Medic runbook' });

export type RunbookSpec = z.infer<typeof runbookSchema>;
export type StepSpec = z.infer<typeof stepSchema>;
export type WhenSpec = z.infer<typeof whenSchema>;
export type StepResultSpec = z.infer<typeof stepResultSchema>;
