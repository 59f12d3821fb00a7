import { Cron } from 'croner';

/**
 * Cron patterns through croner: it computes the run times (in the schedule's
 * time zone, daylight-saving changes included); waiting for them is the
 * engine clock's job, so schedules can be tested with a fake clock.
 */
export function cronProblem(pattern: string, timezone: string): string | null {
  try {
    const c = new Cron(pattern, { timezone, paused: true });
    c.stop();
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** The first run time strictly after `after` (epoch ms), or null when the pattern never runs again. */
export function nextRunAfter(pattern: string, timezone: string, after: number): number | null {
  const c = new Cron(pattern, { timezone, paused: true });
  try {
    return c.nextRun(new Date(after))?.getTime() ?? null;
  } finally {
    c.stop();
  }
}
