/** Runs async work one at a time, in call order; a failure does not stop what comes after. */
export class Serial {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.last.then(fn);
    this.last = run.catch(() => undefined);
    return run;
  }
}
