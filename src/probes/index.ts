import type { ProbePlugin } from './types.js';
import { driftProbe } from './drift.js';
import { hostProbe } from './host.js';
import { httpProbe } from './http.js';
import { mysqlProbe } from './mysql.js';
import { postgresProbe } from './postgres.js';
import { processProbe } from './process.js';
import { redisProbe } from './redis.js';
import { prometheusProbe } from './prometheus.js';
import { prometheusTextProbe } from './prometheus-text.js';
import { tlsProbe } from './tls.js';

/** Every built-in probe, by type. A new probe is one file and one line here. */
export const builtinProbes: ReadonlyMap<string, ProbePlugin> = new Map<string, ProbePlugin>(
  ([
    httpProbe, processProbe, hostProbe, prometheusTextProbe, tlsProbe, driftProbe, postgresProbe, mysqlProbe, redisProbe, prometheusProbe,
  ] as ProbePlugin[]).map((p) => [p.type, p]),
);
