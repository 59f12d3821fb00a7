import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { parseDocument, type Document } from 'yaml';
import { compileConfig, readText } from '../config/load.js';
import { createLogger } from '../drivers/log.js';
import { builtinProbes } from '../probes/index.js';
import { startTraffic } from './demo-traffic.js';
import { reportError, startRuntime, type Runtime } from './runtime.js';
import { auditKeyNotice, portOption, runUntilSignal } from './serve.js';

/** The package root, from dist/src/cli/ or src/cli/. */
export function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes(`${join('dist', 'src')}`) ? resolve(here, '..', '..', '..') : resolve(here, '..', '..');
}

export const DEMO_CONFIG = () => join(packageRoot(), 'examples', 'demo', 'medic.yaml');

export interface DemoOptions {
  readonly port: number;
  readonly demoPort: number;
  readonly dataDir: string;
  readonly traffic: boolean;
  readonly logLevel?: string;
  readonly narrate?: NodeJS.WritableStream;
  readonly bootstrapToken?: string;
  /** MEDIC_AUDIT_KEY, when set. */
  readonly auditKey?: string;
  /** Edits to the demo config before it is compiled (benchmarks, tests). */
  readonly configure?: (doc: Document) => void;
}

/** Starts the demo: engine, API, the demo service under supervision, and traffic. */
export async function startDemo(opts: DemoOptions): Promise<Runtime & { demoUrl: string; token: DemoToken }> {
  const file = DEMO_CONFIG();
  const doc = parseDocument(readText(file));
  const demoPort = opts.demoPort === 0 ? await freePorts(4) : opts.demoPort;
  doc.setIn(['targets', 0, 'process', 'port'], demoPort);
  opts.configure?.(doc);
  const config = compileConfig(String(doc), file, { probes: builtinProbes(), overrides: { port: opts.port, dataDir: opts.dataDir } });
  const log = createLogger({ level: opts.logLevel ?? 'error' });
  const rt = await startRuntime(config, {
    log, ...(opts.narrate ? { narrate: opts.narrate } : {}), ...(opts.bootstrapToken ? { bootstrapToken: opts.bootstrapToken } : {}),
    ...(opts.auditKey ? { auditKey: opts.auditKey } : {}),
  });
  let token: DemoToken;
  try {
    token = await demoToken(rt, config.storage.dataDir);
  } catch (err) {
    await rt.close();
    throw err;
  }
  const stopTraffic = opts.traffic ? startTraffic(rt.supervisor, 'demo') : () => {};
  return {
    ...rt,
    demoUrl: `http://127.0.0.1:${demoPort}`,
    token,
    close: async () => {
      stopTraffic();
      await rt.close();
    },
  };
}

export const DEMO_TOKEN_FILE = 'demo-token';

/** The demo's token: `secret` when it was made now or is still in the file, null when the store had other tokens. */
export interface DemoToken {
  readonly file: string;
  readonly secret: string | null;
}

/**
 * On a fresh data directory the demo makes a superadmin token, prints it and
 * keeps it in <dataDir>/demo-token (0600) for the CLI to find, so
 * `npx medic incidents` works without setup. A later run reuses the file.
 */
async function demoToken(rt: Runtime, dataDir: string): Promise<DemoToken> {
  const file = join(dataDir, DEMO_TOKEN_FILE);
  if ((await rt.api.tokens.count()) === 0) {
    const created = await rt.server.medic.tokens.create({ name: 'demo', role: 'superadmin' }, 'demo');
    writeFileSync(file, `${created.token}\n`, { mode: 0o600 });
    return { file, secret: created.token };
  }
  return { file, secret: existsSync(file) ? readFileSync(file, 'utf8').trim() || null : null };
}

/** A base port with `count` free consecutive ports after it (the demo's replicas). */
async function freePorts(count: number): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const base = await listenOnce(0);
    let ok = true;
    for (let i = 1; i < count && ok; i++) ok = (await listenOnce(base + i).catch(() => -1)) !== -1;
    if (ok) return base;
  }
  throw new Error('no block of free ports found for the demo service');
}

function listenOnce(port: number): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(port, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => res(p));
    });
  });
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the demo: engine, API and the bundled demo service under supervision, on 127.0.0.1')
    .option('-p, --port <port>', 'API port (env MEDIC_PORT)', portOption)
    .option('--demo-port <port>', 'demo service port (0 = any free one)', portOption, 7071)
    .option('-d, --data-dir <dir>', 'data directory (env MEDIC_DATA_DIR)')
    .option('--no-traffic', 'do not send the demo service steady traffic')
    .option('--log-level <level>', 'log level of the engine\'s own JSON log (stderr)', 'error')
    .action(async (opts: { port?: number; demoPort: number; dataDir?: string; traffic: boolean; logLevel: string }) => {
      try {
        const env = process.env;
        const rt = await startDemo({
          port: opts.port ?? (env['MEDIC_PORT'] ? portOption(env['MEDIC_PORT']) : 7070),
          demoPort: opts.demoPort,
          dataDir: opts.dataDir ?? env['MEDIC_DATA_DIR'] ?? '.medic',
          traffic: opts.traffic,
          logLevel: opts.logLevel,
          narrate: process.stdout,
          ...(env['MEDIC_BOOTSTRAP_TOKEN'] ? { bootstrapToken: env['MEDIC_BOOTSTRAP_TOKEN'] } : {}),
          ...(env['MEDIC_AUDIT_KEY'] ? { auditKey: env['MEDIC_AUDIT_KEY'] } : {}),
        });
        if (rt.auditKey.created) process.stdout.write(auditKeyNotice(rt.auditKey.source));
        process.stdout.write([
          '',
          `Medic demo is running. API ${rt.url}  ·  demo service ${rt.demoUrl}`,
          rt.token.secret
            ? `API token (superadmin; also in ${rt.token.file}, which the CLI reads): ${rt.token.secret}`
            : 'API token: use the one you were given (MEDIC_TOKEN or --token).',
          // The fragment never reaches the server or its logs; the dashboard keeps it in the tab's session only.
          `Dashboard: ${rt.url}/${rt.token.secret ? `#token=${rt.token.secret}` : ''}  (open it in a browser; it logs in with the token)`,
          'Break the demo service and watch Medic fix it, in another terminal:',
          '  npx medic fault crash        # also: hang, errors, latency, leak, cpu',
          '  npx medic fault latency --ms 6000   # P1: waits for `npx medic approve <id>`',
          '  npx medic incidents          # and: npx medic executions',
          'Ctrl-C stops everything.',
          '',
        ].join('\n') + '\n');
        await runUntilSignal(rt.close);
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
