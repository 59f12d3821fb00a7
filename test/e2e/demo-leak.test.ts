import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../src/cli/demo.js';

/**
 * A slow leak (5 MB/s) against the real demo service: the slope rule sees it
 * while memory is still far below the 250 MB the threshold rule waits for,
 * and the restart brings memory back down.
 */
describe('the demo catches a leak by its slope', () => {
  let dir: string;
  let rt: Awaited<ReturnType<typeof startDemo>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medic-e2e-leak-'));
    rt = await startDemo({ port: 0, demoPort: 0, dataDir: join(dir, 'data'), traffic: true });
  });

  afterAll(async () => {
    await rt?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('detects the leak before memory is high, and the restart fixes it', async () => {
    const opened = rt.engine.events.waitFor('incident:opened', (e) => e.incident.rule.startsWith('demo-memory'), 45_000);
    const resolved = rt.engine.events.waitFor('incident:resolved', (e) => e.incident.rule === 'demo-memory-growth', 60_000);
    await fetch(`${rt.demoUrl}/fault/leak?mb_per_s=5`, { method: 'POST' });

    const { incident, explain } = await opened;
    const rssAtDetection = rt.engine.buffer.latest('demo', 'process_rss_mb')?.value;
    expect(incident.rule).toBe('demo-memory-growth');
    expect(explain).toMatch(/^slope_per_hour\(process_rss_mb, 20s\) = \d+\/h > 9000 \(R² (1|0\.9\d*)\)$/);
    expect(rssAtDetection).toBeLessThan(250);

    const { why } = await resolved;
    expect(why).toMatch(/^fixed by restart-demo-leak/);
    expect(rt.engine.buffer.latest('demo', 'process_rss_mb')!.value).toBeLessThan(150);
  }, 90_000);
});
