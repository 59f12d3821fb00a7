import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { EventHub } from '../../src/api/sse.js';
import type { ExecutionStatus } from '../../src/core/records.js';
import { EventBus } from '../../src/core/events.js';
import { startApiHarness, type ApiHarness, COOL_WEB_RUNBOOK, cpuHighConfig } from '../support/api-harness.js';
import { FakeClock } from '../support/fake-clock.js';
import { openSse, type SseStream } from '../support/sse.js';

const config = cpuHighConfig(['{ severity: P2, gt: 85 }']);
const runbook = COOL_WEB_RUNBOOK;

describe('live events (SSE)', () => {
  let h: ApiHarness;
  let base: string;
  const streams: SseStream[] = [];

  beforeAll(async () => {
    h = await startApiHarness({ config, runbooks: [runbook], onRecord: (_p, world) => { world['cpu'] = 10; }, api: { events: { heartbeatMs: 50 } } });
    await h.server.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(h.server.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await h?.close();
  });

  async function open(headers: Record<string, string> = {}, query = ''): Promise<SseStream> {
    const s = await openSse(`${base}/api/v1/events${query}`, { authorization: `Bearer ${h.tokens.viewer}`, ...headers });
    streams.push(s);
    return s;
  }

  it('delivers every state change of an execution, in order, with increasing ids; resumes after Last-Event-ID', async () => {
    const a = await open();
    expect(a.status).toBe(200);
    const seen: ExecutionStatus[] = [];
    let id = '';
    const offCreated = h.engine.events.on('execution:created', (e) => { id = e.execution.id; seen.push(e.execution.status); });
    const offMoved = h.engine.events.on('execution:transition', (e) => { if (e.execution.id === id) seen.push(e.execution.status); });
    const done = h.next('execution:transition', (e) => e.execution.status === 'succeeded');
    h.world['cpu'] = 99;
    await done;
    offCreated();
    offMoved();

    await a.next((f) => f.event === 'execution' && f.data?.['status'] === 'succeeded');
    const mine = a.frames.filter((f) => f.event === 'execution' && f.data?.['id'] === id);
    expect(mine.map((f) => f.data?.['status'])).toEqual(seen);
    expect(seen.slice(-1)).toEqual(['succeeded']);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(mine.slice(1).map((f) => f.data?.['from'])).toEqual(seen.slice(0, -1));
    const ids = a.frames.map((f) => f.id!);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(ids.length);
    expect(a.frames.map((f) => f.event)).toEqual(expect.arrayContaining(['incident', 'execution', 'step']));

    // Drop the connection after the execution was created; a reconnect gets exactly what came after.
    a.close();
    const cut = mine[0]!.id!;
    const after = a.frames.filter((f) => f.id! > cut);
    const b = await open({ 'last-event-id': String(cut) });
    await b.next((f) => f.id === after[after.length - 1]!.id);
    expect(b.frames.slice(0, after.length)).toEqual(after);

    // And it stays live: a later change arrives with a higher id.
    const patch = await h.request('PATCH', '/api/v1/settings', { body: { mode: 'shadow' } });
    const setting = await b.next((f) => f.event === 'setting');
    expect(patch.statusCode).toBe(200);
    expect(setting.data).toMatchObject({ key: 'mode', value: 'shadow', actor: 'superadmin-tok' });
    expect(setting.id!).toBeGreaterThan(after[after.length - 1]!.id!);
  });

  it('sends reset when Last-Event-ID is older than the buffer, and heartbeats meanwhile', async () => {
    const s = await open({ 'last-event-id': '1' });
    const reset = await s.next((f) => f.event === 'reset');
    expect(reset.data?.['reason']).toMatch(/reload/);
    await expect.poll(() => s.text().includes(': ping'), { timeout: 5_000 }).toBe(true);
  });

  it('takes the token as ?access_token= (EventSource cannot send headers), and refuses without one', async () => {
    const ok = await openSse(`${base}/api/v1/events?access_token=${encodeURIComponent(h.tokens.viewer)}`);
    streams.push(ok);
    expect(ok.status).toBe(200);
    const none = await fetch(`${base}/api/v1/events`);
    expect(none.status).toBe(401);
    const elsewhere = await fetch(`${base}/api/v1/incidents?access_token=${encodeURIComponent(h.tokens.viewer)}`);
    expect(elsewhere.status).toBe(401);
  });

  it('ends a stream promptly once its token is revoked, and one whose token expires', async () => {
    // Heartbeats an hour apart: only the token re-check can end these streams.
    const clock = new FakeClock(Date.now());
    const other = buildServer({ engine: h.engine, clock, events: { heartbeatMs: 3_600_000, recheckMs: 20 } });
    await other.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(other.server.address() as AddressInfo).port}/api/v1/events`;
    try {
      const revoked = await other.medic.tokens.create({ name: 'sse-revoked', role: 'viewer' }, 'test');
      const kept = await other.medic.tokens.create({ name: 'sse-kept', role: 'viewer' }, 'test');
      const expiring = await other.medic.tokens.create({ name: 'sse-expiring', role: 'viewer', expiresAt: clock.now() + 60_000 }, 'test');
      const a = await openSse(url, { authorization: `Bearer ${revoked.token}` });
      const b = await openSse(url, { authorization: `Bearer ${kept.token}` });
      const c = await openSse(`${url}?access_token=${encodeURIComponent(expiring.token)}`);
      streams.push(a, b, c);
      expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);

      const del = await other.inject({ method: 'DELETE', url: `/api/v1/tokens/${revoked.id}`, headers: { authorization: `Bearer ${h.tokens.superadmin}` } });
      expect(del.statusCode).toBe(200);
      await a.ended;
      expect(a.text()).toContain('token revoked or expired');

      await clock.advance(60_001);
      await c.ended;

      // The valid token's stream is still live: it gets the next change.
      await h.request('PATCH', '/api/v1/settings', { body: { mode: 'active' } });
      await b.next((f) => f.event === 'setting');
      expect(a.frames.some((f) => f.event === 'setting')).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('ends open streams when the server stops, so stopping never hangs on them', async () => {
    const other = buildServer({ engine: h.engine });
    await other.listen({ host: '127.0.0.1', port: 0 });
    const tok = await other.medic.tokens.create({ name: 'sse-close', role: 'viewer' }, 'test');
    const s = await openSse(`http://127.0.0.1:${(other.server.address() as AddressInfo).port}/api/v1/events`, { authorization: `Bearer ${tok.token}` });
    expect(s.status).toBe(200);
    await other.close();
    await s.ended;
  });
});

describe('the event hub', () => {
  it('replays what is buffered, and says reset once an id has left the buffer', () => {
    const bus = new EventBus();
    const clock = new FakeClock(1_000);
    const hub = new EventHub(bus, clock, { capacity: 3 });
    const first = hub.lastId;
    for (let i = 0; i < 5; i++) bus.emit('setting:changed', { key: 'k', value: i, actor: 'a' });
    expect(hub.lastId).toBe(first + 5);
    expect(hub.since(first)).toBe('reset');
    expect(hub.since(first + 1)).toBe('reset');
    const kept = hub.since(first + 2);
    expect(kept).not.toBe('reset');
    expect((kept as { data: { value: number } }[]).map((e) => e.data.value)).toEqual([2, 3, 4]);
    expect(hub.since(first + 5)).toEqual([]);
    expect(hub.since(first + 6)).toBe('reset'); // an id this hub never gave
    hub.close();
    bus.emit('setting:changed', { key: 'k', value: 9, actor: 'a' });
    expect(hub.lastId).toBe(first + 5);
  });

  it('numbers events after the ids of an earlier run, so a stale id from before a restart resets', () => {
    const clock = new FakeClock(1_000);
    const before = new EventHub(new EventBus(), clock);
    clock.set(6_000);
    const after = new EventHub(new EventBus(), clock);
    expect(after.lastId).toBeGreaterThan(before.lastId);
    expect(after.since(before.lastId)).toBe('reset');
  });
});
