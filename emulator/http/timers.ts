/**
 * Timers of asynchronous work (Bulk job state changes) that `stop()` cancels, so a stopped emulator
 * leaves nothing running.
 */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  private stopped = false;

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Runs `fn` after `ms`; errors it throws go to `onError`. */
  after(ms: number, fn: () => void | Promise<void>, onError: (error: unknown) => void): void {
    if (this.stopped) return;
    const handle = setTimeout(() => {
      this.pending.delete(handle);
      if (this.stopped) return;
      Promise.resolve().then(fn).catch(onError);
    }, ms);
    this.pending.add(handle);
  }

  /** Resolves after `ms` unless stopped first (then it never resolves and the work is abandoned). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return;
      const handle = setTimeout(() => {
        this.pending.delete(handle);
        if (!this.stopped) resolve();
      }, ms);
      this.pending.add(handle);
    });
  }

  stopAll(): void {
    this.stopped = true;
    for (const handle of this.pending) clearTimeout(handle);
    this.pending.clear();
  }
}
