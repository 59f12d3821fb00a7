import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip, launchBrowser, SCREENSHOTS, type Browser } from '../support/browser.js';
import { startCli, stopChild } from '../support/cli.js';

/**
 * The dashboard in Debian's Chromium against a real `medic demo` (own ports,
 * own data directory): a crash shows up and resolves live, a P1 fix waits in
 * the approvals queue until it is approved there, and a viewer finds approve
 * disabled. Each main view is saved as a screenshot under test-artifacts/.
 * Real time: every wait is for something on the page, with a deadline.
 */
describe.skipIf(!chromiumOrSkip())('the dashboard against medic demo', () => {
  let dir: string;
  let demo: Awaited<ReturnType<typeof startCli>>;
  let api: string;
  let demoUrl: string;
  let token: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medic-e2e-web-'));
    const data = join(dir, 'data');
    demo = await startCli(['demo', '--port', '0', '--demo-port', '0', '--data-dir', data],
      /API (http:\/\/[\d.:]+)\s+·\s+demo service (http:\/\/[\d.:]+)/, { timeoutMs: 30_000 });
    api = demo.match[1]!;
    demoUrl = demo.match[2]!;
    // The demo writes its superadmin token to <data dir>/demo-token (and prints it once).
    const file = join(data, 'demo-token');
    token = existsSync(file) ? readFileSync(file, 'utf8').trim() : (demo.output().match(/\b(medic_[\w-]{20,})/)?.[1] ?? 'no-token');
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await logIn(page, token);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (demo) await stopChild(demo.child);
    rmSync(dir, { recursive: true, force: true });
  });

  async function logIn(p: Page, secret: string): Promise<void> {
    await p.goto(`${api}/`);
    await p.getByLabel('Token', { exact: true }).fill(secret);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.locator('#main').waitFor({ timeout: 10_000 });
  }

  async function apiGet<T>(path: string): Promise<T> {
    const res = await fetch(`${api}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
    return await res.json() as T;
  }

  /** Before the next fault: the service answers, nothing is open and nothing runs (the last fix's watch is over). */
  async function calm(): Promise<void> {
    const end = performance.now() + 30_000;
    for (;;) {
      const health = await fetch(`${demoUrl}/health`, { signal: AbortSignal.timeout(500) }).then((r) => r.status === 200, () => false);
      const open = await apiGet<{ total: number }>('/incidents?status=open,remediating,awaiting_approval,escalated');
      const busy = await apiGet<{ total: number }>('/executions?status=pending,running,verifying,rolling_back');
      if (health && open.total === 0 && busy.total === 0) return;
      if (performance.now() > end) throw new Error(`the demo did not calm down: healthy ${health}, ${open.total} open, ${busy.total} running`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function shot(p: Page, name: string): Promise<void> {
    await p.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: name !== 'overview' && !name.startsWith('overview-') });
  }

  it('renders the overview with data in under a second', async () => {
    // The token is in this tab's sessionStorage: a fresh navigation does not ask again.
    await page.goto(`${api}/`);
    // Runs in the page (a string: the tests are compiled without the DOM library).
    const ms = await page.waitForFunction(`(() => {
      const score = document.querySelector('[data-testid="health-score"]');
      const counts = document.querySelector('[data-testid="open-counts"]');
      return score && score.textContent && counts ? performance.now() : false;
    })()`, undefined, { timeout: 10_000, polling: 'raf' }).then((h) => h.jsonValue() as Promise<number>);
    console.log(`overview rendered with data in ${ms.toFixed(0)} ms from navigation start`);
    expect(ms).toBeLessThan(1_000);
    await expect(page.getByTestId('kill-switch').textContent()).resolves.toMatch(/Auto-remediation (on|off)/);
    await expect(page.getByTestId('mode').textContent()).resolves.toMatch(/active|shadow/);
    // A flat line has no height, so wait for it to be there rather than "visible".
    await page.locator('.health-trend polyline').waitFor({ state: 'attached', timeout: 5_000 });
    await shot(page, 'overview');
  }, 30_000);

  it('shows a crash as an incident and its resolution live, without a reload', async () => {
    await page.goto(`${api}/incidents`);
    await page.getByRole('heading', { name: 'Incidents' }).waitFor();
    // The event stream is connected (not the 10 s polling fallback).
    await page.locator('.live-live').waitFor({ timeout: 10_000 });
    // Marks this document: a reload would lose it.
    await page.evaluate('window.medicTestMark = true');
    const res = await fetch(`${demoUrl}/fault/crash`, { method: 'POST' }).catch(() => null);
    expect(res === null || res.status < 300).toBe(true);

    const row = page.locator('[data-testid="incident-row"][data-rule="demo-crashed"]');
    await row.first().waitFor({ timeout: 20_000 });
    await page.locator('[data-testid="incident-row"][data-rule="demo-crashed"][data-status="resolved"]').first().waitFor({ timeout: 20_000 });
    expect(await page.evaluate('window.medicTestMark === true')).toBe(true);
    await shot(page, 'incidents');

    // Filters live in the URL: a reload (or a shared link) shows the same filtered list.
    await page.getByLabel('Severity').selectOption('P1');
    await page.waitForURL(/[?&]severity=P1/);
    await page.getByLabel('Rule').fill('demo-crashed');
    await page.getByLabel('Rule').press('Enter');
    await page.waitForURL(/[?&]rule=demo-crashed/);
    await page.reload();
    await row.first().waitFor({ timeout: 10_000 });
    expect(await page.getByLabel('Severity').inputValue()).toBe('P1');
    expect(await page.getByLabel('Rule').inputValue()).toBe('demo-crashed');

    await row.first().getByRole('link').click();
    await page.getByTestId('timeline').waitFor();
    await page.locator('.tl-resolved').waitFor({ timeout: 10_000 });
    const timeline = await page.getByTestId('timeline').textContent();
    expect(timeline).toMatch(/detected/i);
    expect(timeline).toMatch(/restart/i);
    expect(timeline).toMatch(/fixed by restart-demo/);
    await shot(page, 'incident-detail');
  }, 60_000);

  it('holds a P1 fix for approval: a viewer cannot approve, an admin approves it there and it runs', async () => {
    await calm();
    await page.goto(`${api}/approvals`);
    await page.getByRole('heading', { name: 'Approvals' }).waitFor();
    await fetch(`${demoUrl}/fault/latency?ms=6000&duration=60`, { method: 'POST' });

    const card = page.locator('[data-testid="approval"]').filter({ hasText: 'restart-demo-slow' });
    await card.waitFor({ timeout: 40_000 }).catch(async (err: unknown) => {
      await shot(page, 'approvals-failed');
      const state = JSON.stringify({ incidents: await apiGet('/incidents?limit=5'), executions: await apiGet('/executions?limit=5') }).slice(0, 3000);
      throw new Error(`no approval card: ${(err as Error).message}\n${state}\n${demo.output().slice(-2000)}`);
    });
    await expect(card.textContent()).resolves.toMatch(/Why it needs approval/);
    await expect(card.getByTestId('time-left').textContent()).resolves.toMatch(/^escalates in (\d+ h )?\d+ min( \d+ s)?$/);
    await shot(page, 'approvals');

    // A viewer, in a tab of its own (sessionStorage is per tab): the buttons are there, disabled, and say why.
    const made = await fetch(`${api}/api/v1/tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'vera', role: 'viewer' }),
    });
    expect(made.ok).toBe(true);
    const viewer = (await made.json() as { token: string }).token;
    const vpage = await browser.context.newPage();
    await logIn(vpage, viewer);
    await vpage.goto(`${api}/approvals`);
    const vcard = vpage.locator('[data-testid="approval"]').filter({ hasText: 'restart-demo-slow' });
    await vcard.waitFor({ timeout: 10_000 });
    expect(await vcard.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    expect(await vcard.getByRole('button', { name: 'Reject' }).isDisabled()).toBe(true);
    await expect(vcard.getByTestId('denied').textContent()).resolves.toMatch(/admin/);
    await shot(vpage, 'approvals-viewer');
    await vpage.close();

    // The demo's own token is superadmin: approve with a comment.
    await card.getByLabel(/Comment/).fill('checked the latency graph');
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.waitFor({ state: 'detached', timeout: 15_000 });

    await page.getByRole('link', { name: 'Executions' }).click();
    const run = page.locator('[data-testid="execution-row"][data-runbook="restart-demo-slow"]');
    await run.first().waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="execution-row"][data-runbook="restart-demo-slow"][data-status="succeeded"]').first().waitFor({ timeout: 30_000 });
    await run.first().locator('.exec-head').click();
    await run.first().locator('.step-list').waitFor();
    await shot(page, 'executions');

    // A manual run starts with a dry run: it shows the plan and changes nothing; only then can it run for real.
    const form = page.getByRole('form', { name: 'Run a runbook' });
    await form.getByLabel('Runbook').selectOption('restart-demo');
    await form.getByLabel('Target').fill('demo');
    await form.getByLabel('Reason').fill('e2e check');
    expect(await form.getByRole('button', { name: 'Run for real' }).isDisabled()).toBe(true);
    await form.getByRole('button', { name: 'Dry run' }).click();
    await form.getByLabel('Dry run result').waitFor({ timeout: 10_000 });
    await expect(form.getByLabel('Dry run result').textContent()).resolves.toMatch(/Verdict:/);
    expect(await form.getByRole('button', { name: 'Run for real' }).isDisabled()).toBe(false);
    await shot(page, 'executions-dry-run');
  }, 120_000);

  it('shows operations: breakers, silences, runbooks, rules, settings and the audit chain', async () => {
    await page.goto(`${api}/operations?tab=rules`);
    // Rules with their current value per target against the thresholds.
    await page.getByText('demo-crashed').first().waitFor({ timeout: 10_000 });
    await page.getByText(/demo\s+1\s+· ok/).first().waitFor({ timeout: 10_000 });
    await shot(page, 'operations');
    await page.getByRole('tab', { name: 'Audit log' }).click();
    await page.getByTestId('chain').waitFor({ timeout: 10_000 });
    await expect(page.getByTestId('chain').textContent()).resolves.toMatch(/intact/);
    await expect(page.locator('table.audit tbody tr').count()).resolves.toBeGreaterThan(3);
    await shot(page, 'operations-audit');
    // A silence is created and expired from the page.
    await page.getByRole('tab', { name: 'Silences' }).click();
    const silence = page.getByRole('form', { name: 'New silence' });
    await silence.getByLabel('Value').fill('no-such-target');
    await silence.getByLabel('Comment').fill('e2e maintenance');
    await silence.getByRole('button', { name: 'Create silence' }).click();
    const srow = page.locator('tr', { hasText: 'no-such-target' });
    await srow.getByText('active').waitFor({ timeout: 10_000 });
    await srow.getByRole('button', { name: 'Expire' }).click();
    await srow.getByText('expired').waitFor({ timeout: 10_000 });

    // Keyboard: from the Rules tab, the right arrow goes to Settings.
    await page.getByRole('tab', { name: 'Rules' }).click();
    await page.getByRole('tab', { name: 'Rules' }).press('ArrowRight');
    await page.waitForURL(/[?&]tab=settings/);
    expect(await page.getByRole('tab', { name: 'Settings' }).getAttribute('aria-selected')).toBe('true');
    await page.getByRole('switch').waitFor({ timeout: 10_000 });
    await shot(page, 'operations-settings');
  }, 60_000);

  it('fits a phone and reads in dark mode', async () => {
    // The overview once something happened (the README's picture: docs/dashboard-overview.png).
    await page.goto(`${api}/`);
    await page.locator('.recent-card [data-testid="incident-row"], .recent-card li').first().waitFor({ timeout: 10_000 });
    await page.locator('.stats').waitFor({ timeout: 10_000 });
    await shot(page, 'overview-activity');

    const phone = await browser.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await logIn(phone, token);
    await phone.locator('[data-testid="health-score"]').waitFor({ timeout: 10_000 });
    const overflow = await phone.evaluate('document.documentElement.scrollWidth - window.innerWidth') as number;
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: join(SCREENSHOTS, 'overview-phone.png'), fullPage: true });
    await phone.close();

    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${api}/`);
    await page.locator('.health-trend polyline').waitFor({ state: 'attached', timeout: 10_000 });
    await shot(page, 'overview-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  }, 60_000);
});
