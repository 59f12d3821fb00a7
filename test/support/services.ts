import { createConnection } from 'node:net';

/**
 * Tests that need a real service (PostgreSQL, MariaDB, Redis) ask here first.
 * Locally, an absent service skips the suite with a message that says what is
 * missing; under CI=true it fails instead, so a CI machine without the
 * service can never pass by running nothing.
 */
export const SERVICES = {
  postgres: { host: '127.0.0.1', port: 5432, hint: 'PostgreSQL on 127.0.0.1:5432 (trust auth, database test)' },
  mysql: { host: '127.0.0.1', port: 3306, hint: 'MariaDB/MySQL on 127.0.0.1:3306 (root, no password, database test)' },
  redis: { host: '127.0.0.1', port: 6379, hint: 'Redis on 127.0.0.1:6379' },
} as const;

export type ServiceName = keyof typeof SERVICES;

/** Resolves true when the service accepts a TCP connection within a second. */
export function reachable(name: ServiceName): Promise<boolean> {
  const s = SERVICES[name];
  return new Promise((resolve) => {
    const sock = createConnection({ host: s.host, port: s.port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1_000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * For `describe.skipIf(!(await serviceOrSkip('postgres')))`: true when the
 * service is there; false (with a message) when it is not and we are not in
 * CI; throws under CI=true.
 */
export async function serviceOrSkip(name: ServiceName): Promise<boolean> {
  if (await reachable(name)) return true;
  const msg = `${SERVICES[name].hint} is not reachable`;
  if (process.env['CI'] === 'true' || process.env['CI'] === '1') throw new Error(`${msg}: CI must run these tests against the real service`);
  console.warn(`SKIPPED: ${msg}; start it to run these tests`);
  return false;
}
