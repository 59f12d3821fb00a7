import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../src/cli/demo.js';
import { calm, inject, type Demo } from '../support/demo.js';
import type { Incident } from '../../src/core/records.js';
import { startReceiver } from '../notify/receiver.js';

/**
 * One fault, one page: each fault of the real demo, under the shipped config,
 * opens exactly one incident and sends exactly one `detected` notification
 * (here to a webhook), however many rules its symptoms and its fix touch:
 * the restart is Medic's own doing (no incident while it runs and settles),
 * and symptoms of an open cause are noted on it (inhibited_by).
 */
describe('medic demo: one fault is one incident and one page', () => {
  let dir: string;
  let rt: Demo;
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  const opened: Incident[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medic-e2e-one-'));
    rx = await startReceiver();
    rt = await startDemo({
      port: 0, demoPort: 0, dataDir: join(dir, 'data'), traffic: true,
      configure: (doc) => {
        doc.setIn(['policy', 'rate_limits', 'global_per_minute'], 100);
        doc.setIn(['notify', 'channels'], [{ type: 'webhook', url: `${rx.url}/hook`, events: ['detected'], min_severity: 'P3' }]);
      },
    });
    rt.engine.events.on('incident:opened', (e) => opened.push(e.incident));
  });

  afterAll(async () => {
    await rt?.close();
    await rx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases = [
    { fault: 'crash', query: '', rules: ['demo-crashed'] },
    { fault: 'hang', query: '', rules: ['demo-unhealthy'] },
    { fault: 'errors', query: '?rate=0.6&duration=20', rules: ['demo-error-spike'] },
    { fault: 'latency', query: '?ms=800&duration=20', rules: ['demo-slow'] },
    // Two rules see a leak (its slope, then its size): either may carry the one incident.
    { fault: 'leak', query: '?mb_per_s=20', rules: ['demo-memory-growth', 'demo-memory-leak'] },
    { fault: 'cpu', query: '?duration=20', rules: ['demo-cpu-hot'] },
  ] as const;

  for (const c of cases) {
    it(`${c.fault}: one incident (${c.rules.join(' or ')}), one detected notification`, async () => {
      await calm(rt);
      const before = { incidents: opened.length, pages: rx.got.length };
      const fixed = rt.engine.events.waitFor('incident:resolved', (e) => (c.rules as readonly string[]).includes(e.incident.rule), 40_000);
      await inject(rt, c.fault, c.query);
      const { incident } = await fixed.catch((err: unknown) => {
        // The cpu fault needs the machine to give the demo's worker thread most of a core.
        const cpu = rt.engine.buffer.latest('demo', 'process_cpu_percent')?.value;
        throw new Error(`${String(err)}; opened meanwhile: ${opened.slice(before.incidents).map((i) => i.rule).join(', ') || 'none'}; cpu ${cpu ?? '?'} %`);
      });
      // The fix's watch, then a little more: a second incident would come from the restart or its aftermath.
      await rt.engine.idle();
      await new Promise((r) => setTimeout(r, 1_000));
      await rt.engine.idle();

      expect(opened.slice(before.incidents).map((i) => [i.rule, i.id])).toEqual([[incident.rule, incident.id]]);
      const pages = rx.got.slice(before.pages).map((g) => JSON.parse(g.body) as { event: string; incidentId: string });
      expect(pages.map((p) => [p.event, p.incidentId])).toEqual([['detected', incident.id]]);
    }, 60_000);
  }
});
