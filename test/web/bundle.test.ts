import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

/** The dashboard must stay light: at most 500 KB of gzipped JavaScript in the build (global setup builds it). */
const LIMIT = 500 * 1024;

describe('the built dashboard', () => {
  it('ships no more than 500 KB of gzipped JavaScript', () => {
    const dir = join(ROOT, 'dist', 'web', 'assets');
    const js = readdirSync(dir).filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    const sizes = js.map((f) => gzipSync(readFileSync(join(dir, f)), { level: 9 }).length);
    const total = sizes.reduce((a, b) => a + b, 0);
    console.log(`dashboard JavaScript: ${js.length} file(s), ${(total / 1024).toFixed(1)} KB gzipped (limit ${LIMIT / 1024} KB)`);
    expect(total).toBeLessThanOrEqual(LIMIT);
  });

  it('its page loads the built assets from /assets/', () => {
    const html = readFileSync(join(ROOT, 'dist', 'web', 'index.html'), 'utf8');
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/);
  });
});
