import type { ChildProcess } from 'node:child_process';
import type { Run } from './replica.js';

// Each supervised process leads its own process group (spawned detached): what it starts
// joins that group, so one signal to the group reaches the whole service.

/** To the run's whole process group; to the child alone if it has none (a platform without groups). */
export function signalRun(run: Run, signal: NodeJS.Signals): void {
  if (run.pid < 0 || !signalGroup(run.pid, signal)) sendSignal(run.child, signal);
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    // ESRCH: nobody is left in the group.
    return false;
  }
}

export function sendSignal(child: ChildProcess, signal: NodeJS.Signals): boolean {
  try {
    return child.kill(signal);
  } catch {
    // ESRCH: it is already gone, which is what every caller wants anyway.
    return false;
  }
}

