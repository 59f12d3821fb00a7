import type { ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import { stepView } from './schemas.js';

/**
 * The live stream behind GET /api/v1/events. Every change the engine emits
 * gets the next id and goes to every open stream and into a bounded replay
 * buffer, so a client that reconnects with Last-Event-ID misses nothing —
 * or, when its id has left the buffer, is told to `reset` and reload.
 *
 * Ids start at the hub's start time × 1000, so they keep growing across
 * restarts and an id from an earlier run is recognisably too old.
 */
export const SSE_EVENTS = ['incident', 'execution', 'step', 'approval', 'setting', 'breaker'] as const;
export type SseEventName = (typeof SSE_EVENTS)[number] | 'reset';

export interface HubEvent {
  readonly id: number;
  readonly event: SseEventName;
  readonly data: unknown;
}

export interface EventHubOptions {
  readonly capacity?: number;
  readonly heartbeatMs?: number;
  /** How often an open stream checks that its token is still valid (also on every heartbeat); default 5 s. */
  readonly recheckMs?: number;
}

type Subscriber = (e: HubEvent) => void;

export class EventHub {
  readonly heartbeatMs: number;
  readonly recheckMs: number;
  private readonly capacity: number;
  private readonly buffer: HubEvent[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private readonly streams = new Set<ServerResponse>();
  private readonly offs: (() => void)[];
  private next: number;

  constructor(events: EventBus, clock: Clock, opts: EventHubOptions = {}) {
    this.capacity = opts.capacity ?? 2000;
    this.heartbeatMs = opts.heartbeatMs ?? 15_000;
    this.recheckMs = opts.recheckMs ?? 5_000;
    this.next = clock.now() * 1000 + 1;
    this.offs = [
      events.on('incident:opened', ({ incident, explain }) => this.push('incident', { ...incident, change: 'opened', why: explain })),
      events.on('incident:updated', ({ incident, from, why }) => this.push('incident', { ...incident, change: 'updated', from, why })),
      events.on('incident:resolved', ({ incident, why }) => this.push('incident', { ...incident, change: 'resolved', why })),
      events.on('execution:created', ({ execution }) => {
        this.push('execution', { ...execution, change: 'created', from: null });
        if (execution.status === 'awaiting_approval') this.push('approval', { ...execution, change: 'requested' });
      }),
      events.on('execution:transition', ({ execution, from }) => {
        this.push('execution', { ...execution, change: 'transition', from });
        if (from === 'awaiting_approval') this.push('approval', { ...execution, change: approvalChange(execution.status) });
        else if (execution.status === 'awaiting_approval') this.push('approval', { ...execution, change: 'requested' });
      }),
      events.on('step:started', ({ execution, step }) => this.push('step', { ...stepView(step), change: 'started', runbook: execution.runbook, target: execution.target })),
      events.on('step:finished', ({ execution, step }) => this.push('step', { ...stepView(step), change: 'finished', runbook: execution.runbook, target: execution.target })),
      events.on('setting:changed', (e) => this.push('setting', { ...e })),
      events.on('breaker:changed', (e) => this.push('breaker', { ...e })),
    ];
  }

  /** The last id handed out (0-based offset: nothing yet = start - 1). */
  get lastId(): number {
    return this.next - 1;
  }

  /**
   * Events after `lastId`, or 'reset' when some of them are no longer
   * buffered (or the id is not one of this hub's).
   */
  since(lastId: number): HubEvent[] | 'reset' {
    if (lastId > this.lastId) return 'reset';
    const oldest = this.buffer[0]?.id ?? this.next;
    if (lastId < oldest - 1) return 'reset';
    return this.buffer.filter((e) => e.id > lastId);
  }

  subscribe(fn: Subscriber): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** Streams register so close() can end them: a server cannot stop while a stream stays open. */
  track(res: ServerResponse): () => void {
    this.streams.add(res);
    return () => this.streams.delete(res);
  }

  close(): void {
    for (const off of this.offs) off();
    for (const res of this.streams) res.end();
    this.streams.clear();
    this.subscribers.clear();
  }

  private push(event: SseEventName, data: unknown): void {
    const e: HubEvent = { id: this.next++, event, data };
    this.buffer.push(e);
    if (this.buffer.length > this.capacity) this.buffer.splice(0, this.buffer.length - this.capacity);
    for (const s of this.subscribers) s(e);
  }
}

function approvalChange(status: string): string {
  if (status === 'rejected') return 'rejected';
  if (status === 'cancelled') return 'withdrawn';
  return 'approved';
}

export function formatSse(e: HubEvent): string {
  return `id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}
