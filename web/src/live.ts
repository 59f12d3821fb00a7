/**
 * Live updates from the engine's SSE stream (/api/v1/events). EventSource
 * cannot send headers, so the token goes as ?access_token=. Views do not patch
 * records themselves: an event bumps a counter per kind, and the views that
 * show that kind fetch again, keeping what they show until the answer comes.
 * When the stream is not available the counters tick every 10 s instead.
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { API } from './api';

export const EVENT_KINDS = ['incident', 'execution', 'step', 'approval', 'setting', 'breaker'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'polling' | 'off';

const ticks: Record<EventKind, number> = { incident: 0, execution: 0, step: 0, approval: 0, setting: 0, breaker: 0 };
let state: LiveState = 'off';
const subs = new Set<() => void>();
const notify = () => {
  for (const s of subs) s();
};
const subscribe = (fn: () => void) => {
  subs.add(fn);
  return () => {
    subs.delete(fn);
  };
};

let source: EventSource | null = null;
let poller: ReturnType<typeof setInterval> | null = null;
let pending: ReturnType<typeof setTimeout> | null = null;
const dirty = new Set<EventKind>();

/** Events come in bursts (a step, its execution, its incident): one refetch per burst. */
function bump(kinds: readonly EventKind[]): void {
  for (const k of kinds) dirty.add(k);
  if (pending) return;
  pending = setTimeout(() => {
    pending = null;
    for (const k of dirty) ticks[k]++;
    dirty.clear();
    notify();
  }, 150);
}

function setState(s: LiveState): void {
  if (state === s) return;
  state = s;
  notify();
}

export function connectLive(token: string | null): void {
  disconnectLive();
  setState('connecting');
  const url = `${API}/events${token ? `?access_token=${encodeURIComponent(token)}` : ''}`;
  let opened = false;
  const es = new EventSource(url);
  source = es;
  es.onopen = () => {
    opened = true;
    setState('live');
    // Whatever happened while we were away: fetch everything once.
    bump(EVENT_KINDS);
  };
  es.onerror = () => {
    if (source !== es) return;
    if (es.readyState === EventSource.CLOSED || !opened) {
      // No stream here (older engine, or refused): fall back to polling.
      es.close();
      source = null;
      startPolling();
    } else setState('reconnecting');
  };
  for (const kind of EVENT_KINDS) es.addEventListener(kind, () => bump(kind === 'step' ? ['step', 'execution'] : kind === 'approval' ? ['approval', 'execution'] : [kind]));
  es.onmessage = () => bump(EVENT_KINDS);
}

function startPolling(): void {
  setState('polling');
  if (poller) return;
  poller = setInterval(() => bump(EVENT_KINDS), 10_000);
}

export function disconnectLive(): void {
  source?.close();
  source = null;
  if (poller) clearInterval(poller);
  poller = null;
  setState('off');
}

/** A number that changes whenever one of `kinds` changed on the server. */
export function useLiveTick(kinds: readonly EventKind[]): number {
  return useSyncExternalStore(subscribe, () => kinds.reduce((n, k) => n + ticks[k], 0));
}

export function useLiveState(): LiveState {
  return useSyncExternalStore(subscribe, () => state);
}

/** Re-renders every `ms`, for ages and countdowns. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
