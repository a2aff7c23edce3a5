/**
 * The child side of the benchmark's process protocol: the request arrives as one JSON argument, and
 * the answer leaves as one stdout line starting with `RESULT_MARKER` (the connector's own JSON logs go
 * to stdout too, so the marker tells the answer apart).
 */

import { isMainThread } from "node:worker_threads";

export const RESULT_MARKER = "@@saddledata-bench ";

export function readJsonArgument<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error("The benchmark child needs its request as a JSON argument.");
  return JSON.parse(raw) as T;
}

/** Writes the answer line (a ready notice for services, a result for measurements). */
export function writeReady(value: unknown): void {
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(value)}\n`);
}

export const writeResult = writeReady;

/** Peak resident set size of this process so far, in MB (maxRSS is in KiB). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export interface MemoryPeaks {
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
  arrayBuffersMb: number;
}

/**
 * Samples process.memoryUsage() every 50 ms and keeps each component's peak, to tell what a peak RSS
 * is made of: V8's heap, or buffers outside it (ArrayBuffers waiting for a garbage collection).
 */
export function sampleMemory(): { stop(): MemoryPeaks } {
  const peaks: MemoryPeaks = { rssMb: 0, heapUsedMb: 0, externalMb: 0, arrayBuffersMb: 0 };
  const sample = () => {
    const usage = process.memoryUsage();
    peaks.rssMb = Math.max(peaks.rssMb, usage.rss / 2 ** 20);
    peaks.heapUsedMb = Math.max(peaks.heapUsedMb, usage.heapUsed / 2 ** 20);
    peaks.externalMb = Math.max(peaks.externalMb, usage.external / 2 ** 20);
    peaks.arrayBuffersMb = Math.max(peaks.arrayBuffersMb, usage.arrayBuffers / 2 ** 20);
  };
  const timer = setInterval(sample, 50);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return Object.fromEntries(
        Object.entries(peaks).map(([key, value]) => [key, Math.round(value)]),
      ) as unknown as MemoryPeaks;
    },
  };
}

/** Resolves when the parent closes our stdin (it exited or is done with us) or sends SIGTERM/SIGINT. */
export function waitForShutdown(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off("SIGTERM", done);
      process.off("SIGINT", done);
      resolve();
    };
    process.stdin.on("end", done);
    process.stdin.on("close", done);
    process.stdin.resume();
    process.on("SIGTERM", done);
    process.on("SIGINT", done);
  });
}

/** Runs a measurement's main function and exits non-zero with its stack on failure. */
export function runMain(main: () => Promise<unknown>): void {
  // A worker thread loading the bundle (the Parquet encoder thread) is not the measurement.
  if (!isMainThread) return;
  main().then(
    (result) => {
      writeResult(result);
      // Open sockets (keep-alive agents) must not keep a finished measurement alive.
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
