#!/usr/bin/env node
import { Command } from 'commander';
import { registerAudit } from './audit.js';
import { registerBacktest } from './backtest.js';
import { registerDemo } from './demo.js';
import { registerExecutionControl } from './execution-control.js';
import { registerFault } from './fault.js';
import { registerLists } from './lists.js';
import { registerServe } from './serve.js';
import { registerSignals } from './signals.js';
import { registerValidate } from './validate.js';

const program = new Command('medic')
  .description('Medic: detect, decide, fix, verify, roll back and audit')
  .version('0.1.0');
registerServe(program);
registerDemo(program);
registerValidate(program);
registerFault(program);
registerLists(program);
registerExecutionControl(program);
registerAudit(program);
registerBacktest(program);
registerSignals(program);

await program.parseAsync(process.argv);
