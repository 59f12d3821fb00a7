import type { ProbePlugin } from './types.js';
import { driftProbe } from './drift.js';
import { createHostProbe } from './host.js';
import { httpProbe } from './http.js';
import { createMysqlProbe } from './mysql.js';
import { createPostgresProbe } from './postgres.js';
import { createProcessProbe } from './process.js';
import { redisProbe } from './redis.js';
import { prometheusProbe } from './prometheus.js';
import { createPrometheusTextProbe } from './prometheus-text.js';
import { tlsProbe } from './tls.js';

/**
 * Every built-in probe, by type, built anew on each call: one set per engine, since some keep
 * connections or baselines between checks, and the engine closes its own set when it stops. The
 * config compiler reads only their schemas (nothing is opened before the first check). A new probe
 * is one file and one line here.
 */
export function builtinProbes(): ReadonlyMap<string, ProbePlugin> {
  const plugins = [
    httpProbe, createProcessProbe(), createHostProbe(), createPrometheusTextProbe(), tlsProbe, driftProbe,
    createPostgresProbe(), createMysqlProbe(), redisProbe, prometheusProbe,
  ] as ProbePlugin[];
  return new Map(plugins.map((p) => [p.type, p]));
}
