import { createHmac } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/actions/types.js';
import type { ChannelConfig } from '../../src/config/types.js';
import { silentLogger } from '../../src/drivers/log.js';
import { createNotifier, redactChannel, type Notifier } from '../../src/notify/notifier.js';
import { FakeClock } from '../support/fake-clock.js';
import { startReceiver } from './receiver.js';

const AT = Date.UTC(2026, 10, 29, 18, 0, 0);
const common = { events: null, minSeverity: 'P3' as const, retries: 0, timeoutMs: 2_000 };
const fixed: Notification = {
  event: 'fixed', severity: 'P1', title: 'Fixed: restart-demo on demo', text: 'verified in 312 ms: demo-unhealthy cleared <ok> & done',
  target: 'demo', incidentId: 'inc_abc123', executionId: 'exe_def456',
};

describe('notification channels against local receivers', () => {
  const closers: (() => Promise<unknown>)[] = [];
  let notifier: Notifier | undefined;
  afterEach(async () => {
    await notifier?.close();
    for (const c of closers.splice(0)) await c();
  });

  const start = (channels: ChannelConfig[], clock = new FakeClock(AT)) => (notifier = createNotifier(channels, silentLogger, { clock }));

  it('slack: a Block Kit message with severity, target, what was done and a link to the incident', async () => {
    const rx = await startReceiver();
    closers.push(rx.close);
    start([{ type: 'slack', name: 'ops-slack', ...common, url: `${rx.url}/services/T000/B000/XXXXSECRET`, dashboardUrl: 'http://medic.example:7070/' }]);
    notifier!.notify(fixed);
    await notifier!.flush();
    expect(rx.got).toHaveLength(1);
    expect(rx.got[0]).toMatchObject({ method: 'POST', path: '/services/T000/B000/XXXXSECRET' });
    expect(rx.got[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(rx.got[0]!.body)).toEqual({
      text: 'P1 Fixed: restart-demo on demo (demo)',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'P1 Fixed: restart-demo on demo', emoji: true } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Severity*\n:large_orange_circle: P1' },
            { type: 'mrkdwn', text: '*Target*\ndemo' },
            { type: 'mrkdwn', text: '*Event*\nfixed' },
          ],
        },
        { type: 'section', text: { type: 'mrkdwn', text: 'verified in 312 ms: demo-unhealthy cleared &lt;ok&gt; &amp; done' } },
        { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Medic' }, url: 'http://medic.example:7070/incidents/inc_abc123' }] },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'incident inc_abc123 · execution exe_def456 · 2026-11-29T18:00:00.000Z' }] },
      ],
    });
  });

  it('pagerduty: trigger, acknowledge and resolve one alert per incident (Events API v2)', async () => {
    const rx = await startReceiver({ answer: () => 202 });
    closers.push(rx.close);
    start([{ type: 'pagerduty', name: 'pd', ...common, url: `${rx.url}/v2/enqueue`, routingKey: 'R0UT1NGKEY0123456789', dashboardUrl: null }]);
    notifier!.notify({ ...fixed, event: 'detected', title: 'Detected: demo-unhealthy on demo', text: '3 failed health checks' });
    notifier!.notify({ ...fixed, event: 'remediating', title: 'Remediating', text: 'auto: P2' });
    notifier!.notify(fixed);
    await notifier!.flush();
    expect(rx.got.map((r) => r.path)).toEqual(['/v2/enqueue', '/v2/enqueue', '/v2/enqueue']);
    const [trigger, ack, resolve] = rx.got.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(trigger).toEqual({
      routing_key: 'R0UT1NGKEY0123456789', event_action: 'trigger', dedup_key: 'medic-inc_abc123',
      payload: {
        summary: 'P1 Detected: demo-unhealthy on demo', source: 'demo', severity: 'error', timestamp: '2026-11-29T18:00:00.000Z',
        component: 'demo', class: 'detected',
        custom_details: { event: 'detected', text: '3 failed health checks', incident: 'inc_abc123', execution: 'exe_def456' },
      },
      client: 'Medic',
    });
    expect(ack).toEqual({ routing_key: 'R0UT1NGKEY0123456789', event_action: 'acknowledge', dedup_key: 'medic-inc_abc123' });
    expect(resolve).toEqual({ routing_key: 'R0UT1NGKEY0123456789', event_action: 'resolve', dedup_key: 'medic-inc_abc123' });
  });

  it('webhook: the JSON body, signed with HMAC-SHA256 over the exact bytes', async () => {
    const rx = await startReceiver();
    closers.push(rx.close);
    const secret = 'whsec-0123456789abcdef';
    start([{ type: 'webhook', name: 'hook', ...common, url: `${rx.url}/medic`, secret, headers: { 'x-team': 'sre' } }]);
    notifier!.notify(fixed);
    await notifier!.flush();
    const r = rx.got[0]!;
    expect(JSON.parse(r.body)).toEqual({
      version: 1, event: 'fixed', severity: 'P1', title: 'Fixed: restart-demo on demo', text: fixed.text,
      target: 'demo', incidentId: 'inc_abc123', executionId: 'exe_def456', at: '2026-11-29T18:00:00.000Z',
    });
    expect(r.headers['x-medic-signature']).toBe(`sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`);
    expect(r.headers['x-team']).toBe('sre');
  });

  it('email: over SMTP with a login, subject and body naming severity, target and the incident', async () => {
    const mails: { from: string; to: string[]; data: string; user: string | undefined }[] = [];
    const smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'], allowInsecureAuth: true, logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'medic' && auth.password === 'smtp-pass-123') cb(null, { user: auth.username });
        else cb(new Error('bad login'));
      },
      onData(stream, session, cb) {
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString('utf8')));
        stream.on('end', () => {
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data, user: session.user as string | undefined });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    closers.push(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
    const port = (smtp.server.address() as { port: number }).port;
    start([{
      type: 'email', name: 'mail', ...common, from: 'medic@example.org', to: ['oncall@example.org', 'sre@example.org'], dashboardUrl: 'http://medic.example:7070',
      smtp: { host: '127.0.0.1', port, secure: false, user: 'medic', password: 'smtp-pass-123' },
    }]);
    notifier!.notify(fixed);
    await notifier!.flush();
    expect(notifier!.deliveries()[0]).toMatchObject({ channel: 'mail', ok: true, attempts: 1 });
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ from: 'medic@example.org', to: ['oncall@example.org', 'sre@example.org'], user: 'medic' });
    const data = mails[0]!.data.replace(/=\r\n/g, '');
    expect(data).toMatch(/^Subject: \[Medic P1\] Fixed: restart-demo on demo\r$/m);
    for (const line of ['Severity:  P1', 'Target:    demo', 'Event:     fixed', 'Incident:  inc_abc123', 'http://medic.example:7070/incidents/inc_abc123']) expect(data).toContain(line);
  });

  it('retries a failing receiver with backoff on the injected clock, and counts and shows failures without the secret URL', async () => {
    const rx = await startReceiver({ answer: (n) => (n <= 2 ? 500 : 200) });
    closers.push(rx.close);
    const clock = new FakeClock(AT);
    const url = `${rx.url}/services/T000/B000/XXXXSECRET`;
    start([{ type: 'slack', name: 'ops-slack', ...common, retries: 3, url, dashboardUrl: null }], clock);
    notifier!.notify(fixed);
    await until(() => rx.got.length === 1);
    // Nothing is tried again before its backoff (1 s, then 2 s) has passed on the clock.
    await clock.advance(999);
    expect(rx.got).toHaveLength(1);
    await clock.advance(1);
    await until(() => rx.got.length === 2);
    await clock.advance(2_000);
    await notifier!.flush();
    expect(rx.got).toHaveLength(3);
    expect(notifier!.stats()['ops-slack']).toEqual({ sent: 1, failed: 0, retried: 2, dropped: 0 });

    const down = await startReceiver({ answer: () => 503 });
    closers.push(down.close);
    await notifier!.close();
    start([{ type: 'slack', name: 'ops-slack', ...common, retries: 0, url: `${down.url}/services/T000/B000/XXXXSECRET`, dashboardUrl: null }], clock);
    notifier!.notify(fixed);
    await notifier!.flush();
    const [failure] = notifier!.deliveries({ failedOnly: true });
    expect(failure).toMatchObject({ channel: 'ops-slack', ok: false, attempts: 1, error: 'slack ops-slack: HTTP 503' });
    expect(JSON.stringify(notifier!.deliveries())).not.toContain('XXXXSECRET');
    expect(JSON.stringify(redactChannel({ type: 'slack', name: 's', ...common, url, dashboardUrl: null }))).not.toContain('XXXXSECRET');
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error('condition not reached');
}
