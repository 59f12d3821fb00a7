import type { Clock } from '../core/clock.js';
import type { EngineApi } from '../engine/api-port.js';
import type { EventHub } from './sse.js';
import type { Tokens } from './tokens.js';

/** What route files are built from. */
export interface ApiDeps {
  readonly engine: EngineApi;
  readonly tokens: Tokens;
  readonly hub: EventHub;
  readonly clock: Clock;
}
