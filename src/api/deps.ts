import type { Clock } from '../core/clock.js';
import type { Engine } from '../engine/engine.js';
import type { EngineOps } from './engine-ops.js';
import type { EventHub } from './sse.js';
import type { Tokens } from './tokens.js';

/** What route files are built from. */
export interface ApiDeps {
  readonly engine: Engine;
  readonly ops: EngineOps;
  readonly tokens: Tokens;
  readonly hub: EventHub;
  readonly clock: Clock;
}
