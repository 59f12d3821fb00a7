import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { ROOT } from './cli.js';

/**
 * Debian's Chromium driven by playwright-core (no downloaded browsers). Tests
 * ask chromiumOrSkip() first: locally an absent browser skips with a message,
 * under CI=true it fails, so CI cannot pass by running nothing.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test-artifacts', 'screenshots');

export function chromiumOrSkip(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const msg = `${CHROMIUM} is absent`;
  if (process.env['CI'] === 'true' || process.env['CI'] === '1') throw new Error(`${msg}: CI must run the dashboard tests (apt-get install chromium)`);
  console.warn(`SKIPPED: ${msg}; install Debian's chromium to run the dashboard end-to-end tests`);
  return false;
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile in a temp directory, nothing shared with a person's browser, no network but 127.0.0.1. */
export async function launchBrowser(viewport = { width: 1280, height: 800 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'medic-chromium-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30_000,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
