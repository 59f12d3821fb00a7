/** A small Server-Sent Events client for tests: frames as they arrive, awaitable. */
export interface SseFrame {
  readonly id: number | null;
  readonly event: string;
  readonly data: Record<string, unknown> | null;
}

export interface SseStream {
  readonly status: number;
  readonly frames: SseFrame[];
  /** Raw text received so far (comments included). */
  text(): string;
  next(pred: (f: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ac.signal });
  const frames: SseFrame[] = [];
  const waiters: { pred: (f: SseFrame) => boolean; resolve: (f: SseFrame) => void }[] = [];
  let raw = '';
  let buf = '';
  const ended = (async () => {
    if (!res.body || res.status !== 200) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const s = decoder.decode(chunk, { stream: true });
        raw += s;
        buf += s;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const f = parse(block);
          if (!f) continue;
          frames.push(f);
          for (const w of [...waiters]) if (w.pred(f)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(f);
          }
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: res.status,
    frames,
    text: () => raw,
    ended,
    next: (pred, timeoutMs = 10_000) => {
      const found = frames.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching SSE frame within ${timeoutMs} ms; got ${frames.map((f) => f.event).join(',')}`)), timeoutMs);
        waiters.push({ pred, resolve: (f) => { clearTimeout(timer); resolve(f); } });
      });
    },
    close: () => ac.abort(),
  };
}

function parse(block: string): SseFrame | null {
  let id: number | null = null;
  let event = 'message';
  let data: string | null = null;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const [k, ...rest] = line.split(': ');
    const v = rest.join(': ');
    if (k === 'id') id = Number(v);
    else if (k === 'event') event = v;
    else if (k === 'data') data = v;
  }
  if (data === null) return null;
  return { id, event, data: JSON.parse(data) as Record<string, unknown> };
}
