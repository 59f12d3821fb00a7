import type { Kysely } from 'kysely';
import type { LightMyRequestResponse } from 'fastify';
import { ROLES, type Role } from '../../src/api/auth.js';
import { buildServer, type ApiOptions, type MedicServer } from '../../src/api/server.js';
import type { DB } from '../../src/store/schema.js';
import { configYaml, startHarness, type Harness, type HarnessOptions } from './engine-harness.js';
import { engineApi } from '../../src/engine/api-port.js';

/**
 * A real engine (engine-harness) behind the real API server, with one token
 * per role. Requests go through Fastify's inject (no socket) unless a test
 * listens for real (SSE).
 */
export interface ApiHarness extends Harness {
  readonly server: MedicServer;
  readonly tokens: Record<Role, string>;
  request(method: string, url: string, opts?: { token?: string | null; body?: unknown; payload?: string; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  /** Every row of every table, for "nothing changed" checks. */
  snapshot(): Promise<Record<string, unknown[]>>;
}

export async function startApiHarness(opts: HarnessOptions & { api?: Partial<ApiOptions> }): Promise<ApiHarness> {
  const h = await startHarness(opts);
  const server = buildServer({ engine: engineApi(h.engine), ...(opts.log ? { log: opts.log } : {}), ...opts.api });
  await server.ready();
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) tokens[role] = (await server.medic.tokens.create({ name: `${role}-tok`, role }, 'test')).token;
  const db = (h.engine.store as unknown as { db: Kysely<DB> }).db;
  return {
    ...h,
    server,
    tokens,
    request: (method, url, o = {}) => server.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(o.token !== null ? { authorization: `Bearer ${o.token ?? tokens.superadmin}` } : {}),
        ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...o.headers,
      },
      ...(o.payload !== undefined ? { payload: o.payload } : o.body !== undefined ? { payload: JSON.stringify(o.body) } : {}),
    }),
    snapshot: async () => {
      const out: Record<string, unknown[]> = {};
      const tables = await db.introspection.getTables();
      for (const t of tables) {
        if (t.name === 'signals') continue; // the harness feeds signals all the time
        out[t.name] = await db.selectFrom(t.name as keyof DB).selectAll().execute();
      }
      return out;
    },
    close: async () => {
      await server.close();
      await h.close();
    },
  };
}

/**
 * The API tests' world: rule cpu-high on target web (signal `cpu`) with these
 * bands, e.g. `{ severity: P1, gt: 95 }`, and runbook cool-web that fixes it.
 */
export function cpuHighConfig(bands: readonly string[], opts: { cooldownZero?: boolean } = {}): string {
  return configYaml(`${opts.cooldownZero === false ? '' : 'policy:\n  cooldown: 0s\n'}rules:
  - name: cpu-high
    targets: [web]
    value: { signal: cpu, fn: last }
    bands:
${bands.map((b) => `      - ${b}`).join('\n')}
`);
}

export const COOL_WEB_RUNBOOK = `
name: cool-web
description: Cool the web tier.
match: { rules: [cpu-high] }
risk: low
impact: The web tier restarts.
rollback_plan: Nothing to undo.
steps:
  - { name: cool, action: record, params: { to: 10 } }
verify: { timeout: 2s, interval: 20ms }
watch: { duration: 0s }
`;
