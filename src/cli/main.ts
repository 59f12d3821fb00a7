#!/usr/bin/env node
import { Command } from 'commander';
import { registerApprove } from './approve.js';
import { registerAudit } from './audit.js';
import { registerDemo } from './demo.js';
import { registerExecutions } from './executions.js';
import { registerFault } from './fault.js';
import { registerIncidents } from './incidents.js';
import { registerPlan } from './plan.js';
import { registerReject } from './reject.js';
import { registerRollback } from './rollback.js';
import { registerRun } from './run.js';
import { registerServe } from './serve.js';
import { registerSettings } from './settings.js';
import { registerSilence } from './silence.js';
import { registerToken } from './token.js';
import { registerValidate } from './validate.js';

const program = new Command('medic')
  .description('Medic: detect, decide, fix, verify, roll back and audit')
  .version('0.1.0');
registerServe(program);
registerDemo(program);
registerValidate(program);
registerFault(program);
registerIncidents(program);
registerExecutions(program);
registerPlan(program);
registerRun(program);
registerApprove(program);
registerReject(program);
registerRollback(program);
registerSilence(program);
registerToken(program);
registerSettings(program);
registerAudit(program);

await program.parseAsync(process.argv);
