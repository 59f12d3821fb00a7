import type { startDemo } from '../../src/cli/demo.js';

/** A running `medic demo`, as startDemo returns it. */
export type Demo = Awaited<ReturnType<typeof startDemo>>;

/** The previous case's fix and watch are over and the service answers. */
export async function calm(rt: Demo): Promise<void> {
  await rt.engine.idle();
  await fetch(`${rt.demoUrl}/fault/stop-all`, { method: 'POST' }).catch(() => undefined);
  const end = performance.now() + 10_000;
  while (!(await healthy(rt.demoUrl))) {
    if (performance.now() > end) throw new Error('demo service not healthy before the next fault');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `POST /fault/<fault><query>` on the demo service; a crash may take the answer with it. */
export async function inject(rt: Demo, fault: string, query: string): Promise<void> {
  await fetch(`${rt.demoUrl}/fault/${fault}${query}`, { method: 'POST', signal: AbortSignal.timeout(2_000) })
    .then((r) => r.arrayBuffer()).catch(() => undefined);
}

/** The demo service's /health answers 200 within `timeoutMs`. */
export async function healthy(url: string, timeoutMs = 500): Promise<boolean> {
  return fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) }).then((r) => r.status === 200, () => false);
}
