import { describe, expect, it } from 'vitest';
import { builtinActions } from '../../src/actions/index.js';
import { flatten, shapeOfFlat } from '../../src/executor/chain.js';
import { compileRunbookText } from '../../src/runbooks/compile.js';

const runbook = compileRunbookText(`
name: undos
description: undos that are and are not safe to repeat
match: { rules: [] }
risk: low
impact: test
rollback_plan: each step's undo
steps:
  - { name: exec-own, action: exec, idempotent: true, params: { argv: [/bin/true], rollback_argv: [/bin/false] } }
  - { name: http-own, action: http.request, params: { url: "http://127.0.0.1:1/x", rollback: { method: POST } } }
  - { name: restart-own, action: process.restart, params: { target: web } }
  - { name: signal-own, action: process.signal, params: { target: web, signal: SIGSTOP } }
  - { name: restart-explicit-exec, action: process.restart, params: { target: web }, rollback: { action: exec, params: { argv: [/bin/true] } } }
  - { name: exec-explicit-restart, action: exec, params: { argv: [/bin/true] }, rollback: { action: process.restart, params: { target: web } } }
`, { file: '/virtual/undos.yaml', actions: builtinActions, settleMs: 0 });

describe('shapeOfFlat: may an undo left running by a crash be run again?', () => {
  const steps = shapeOfFlat(flatten(runbook, () => undefined), runbook, builtinActions).strategies[0]!.steps;
  const undoSafe = Object.fromEntries(runbook.strategies[0]!.steps.map((s, i) => [s.name, steps[i]!.undoIdempotent]));

  it('asks the undo\'s own action, not the step\'s `idempotent:` declaration', () => {
    expect(undoSafe).toEqual({
      'exec-own': false,
      'http-own': false,
      'restart-own': true,
      // process.signal is not safe to repeat, its undo (SIGCONT, start what is not running) is.
      'signal-own': true,
      'restart-explicit-exec': false,
      'exec-explicit-restart': true,
    });
  });
});
