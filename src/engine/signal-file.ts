import { z } from 'zod';
import type { Signal } from '../core/signal.js';

/**
 * The recorded-signals file that `medic backtest` replays and `medic signals
 * export` writes: JSON lines, one signal per line, in any order:
 *
 *   {"at":"2026-03-01T10:00:00.000Z","target":"web","name":"cpu_percent","value":97.5}
 *   {"at":1772359200000,"target":"db","name":"disk_used_percent","value":91,"labels":{"mount":"/"},"source":"host"}
 *
 * `at` is epoch milliseconds or an ISO 8601 time; `labels` (string values)
 * and `source` are optional. Blank lines and lines starting with # are skipped.
 */
const line = z.strictObject({
  at: z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })]),
  target: z.string().min(1),
  name: z.string().min(1),
  value: z.number(),
  labels: z.record(z.string(), z.string()).optional(),
  source: z.string().min(1).optional(),
});

export class SignalFileError extends Error {
  override readonly name = 'SignalFileError';
}

/** Parses a signal file; throws SignalFileError naming the file, line and field. Sorted by time. */
export function parseSignalFile(text: string, file: string): Signal[] {
  const out: Signal[] = [];
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) return;
    let json: unknown;
    try {
      json = JSON.parse(l);
    } catch (err) {
      throw new SignalFileError(`${file}:${i + 1}: not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    const r = line.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new SignalFileError(`${file}:${i + 1}: ${issue.path.join('.') || 'line'}: ${issue.message}`);
    }
    const d = r.data;
    out.push({ at: typeof d.at === 'number' ? d.at : Date.parse(d.at), target: d.target, name: d.name, value: d.value, labels: d.labels ?? {}, source: d.source ?? 'file' });
  });
  // Stable: samples of one instant keep their file order.
  return out.map((s, i) => [s, i] as const).sort((a, b) => a[0].at - b[0].at || a[1] - b[1]).map(([s]) => s);
}

export function toSignalLine(s: Signal): string {
  return JSON.stringify({ at: new Date(s.at).toISOString(), target: s.target, name: s.name, value: s.value, labels: s.labels, source: s.source });
}
