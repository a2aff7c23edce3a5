/**
 * Load *connector*: the real load path. The load handler's actions are invoked as the load state
 * machine invokes them — claim, then submit until every Bulk ingest job is uploaded and closed
 * (`UploadComplete`, the state's status turns to polling) — each invocation with the Lambda's time
 * budget. Salesforce's processing of the jobs is not part of the measurement: the emulator of the load
 * benchmark never starts it, and the jobs are deleted afterwards (calls not charged to the load).
 *
 * Each phase (validation, then sending) reports its own memory peaks. To measure the phases in
 * processes of their own, `stopAfterValidation` ends the submit invocation once the file is validated
 * (its time budget runs out there) and answers the state, which a second child passes as `state`.
 */
import { performance } from "node:perf_hooks";
import type { LoadState } from "../../functions/core/load/load-state";
import type { Log } from "../../functions/core/ports";
import { loadHandler } from "../../functions/load/handler";
import { createLogger } from "../../functions/runtime/log";
import { createRuntime, readRuntimeConfig } from "../../functions/runtime/runtime";
import { type MemoryPeaks, peakRssMb, readJsonArgument, runMain, sampleMemory } from "../process/child-io";

export interface LoadConnectorRequest {
  bucket: string;
  key: string;
  runId: string;
  invocationBudgetMs: number;
  /** End after validation, answering the state (no jobs are sent). */
  stopAfterValidation?: boolean;
  /** Continue a load validated by another child, instead of claiming the file. */
  state?: LoadState;
  /**
   * Also sample what stays after a full garbage collection (the child must run with --expose-gc):
   * tells live buffers from ones waiting to be collected. Slows the run; not for timings.
   */
  liveMemory?: boolean;
}

export interface PhaseFigures {
  phase: "validate" | "send";
  wallMs: number;
  cpuMs: number;
  /** Peaks of the memory components while the phase ran, sampled every 50 ms. */
  memory: MemoryPeaks;
  /** With `liveMemory`: peaks right after full collections, every 250 ms. */
  live?: MemoryPeaks;
}

/** Peaks of what a full collection leaves, every 250 ms. */
function sampleLiveMemory(): { stop(): MemoryPeaks } {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error("liveMemory needs the child to run with --expose-gc");
  const peaks: MemoryPeaks = { rssMb: 0, heapUsedMb: 0, externalMb: 0, arrayBuffersMb: 0 };
  const sample = () => {
    collect();
    const usage = process.memoryUsage();
    peaks.rssMb = Math.max(peaks.rssMb, Math.round(usage.rss / 2 ** 20));
    peaks.heapUsedMb = Math.max(peaks.heapUsedMb, Math.round(usage.heapUsed / 2 ** 20));
    peaks.externalMb = Math.max(peaks.externalMb, Math.round(usage.external / 2 ** 20));
    peaks.arrayBuffersMb = Math.max(peaks.arrayBuffersMb, Math.round(usage.arrayBuffers / 2 ** 20));
  };
  const timer = setInterval(sample, 250);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      return peaks;
    },
  };
}

export interface LoadConnectorResult {
  /** Rows the load read and found valid. */
  records: number;
  jobs: number;
  /** Rows uploaded into the jobs. */
  uploadedRows: number;
  /** API calls the load counted itself. */
  apiCalls: number;
  wallMs: number;
  cpuMs: number;
  invocations: number;
  peakRssMb: number;
  /** Peaks of the memory components, sampled every 50 ms. */
  memory: MemoryPeaks;
  phases: PhaseFigures[];
  cleanupCalls: number;
  /** The state after validation, when asked to stop there. */
  state?: LoadState;
}

const RETRYABLE = new Set(["TransientError", "RateLimitError"]);
const VALIDATED = "load: file validated";

/** Splits the run into phases at the load's "file validated" log line. */
class PhaseClock {
  readonly phases: PhaseFigures[] = [];
  private started = performance.now();
  private cpu = process.cpuUsage();
  private memory = sampleMemory();
  private live: { stop(): MemoryPeaks } | undefined;
  validated: boolean;

  constructor(
    private phase: PhaseFigures["phase"],
    private readonly liveMemory: boolean,
  ) {
    this.validated = phase === "send";
    if (liveMemory) this.live = sampleLiveMemory();
  }

  next(): void {
    this.end();
    this.phase = "send";
    this.validated = true;
    this.started = performance.now();
    this.cpu = process.cpuUsage();
    this.memory = sampleMemory();
    if (this.liveMemory) this.live = sampleLiveMemory();
  }

  end(): void {
    const used = process.cpuUsage(this.cpu);
    const figures: PhaseFigures = {
      phase: this.phase,
      wallMs: Math.round(performance.now() - this.started),
      cpuMs: Math.round((used.user + used.system) / 1000),
      memory: this.memory.stop(),
    };
    if (this.live !== undefined) figures.live = this.live.stop();
    this.phases.push(figures);
  }
}

function watchingLog(inner: Log, onValidated: () => void): Log {
  return {
    debug: (message, extra) => inner.debug(message, extra),
    info: (message, extra) => {
      inner.info(message, extra);
      if (message === VALIDATED) onValidated();
    },
    warn: (message, extra) => inner.warn(message, extra),
    error: (message, extra) => inner.error(message, extra),
  };
}

async function main(): Promise<LoadConnectorResult> {
  const request = readJsonArgument<LoadConnectorRequest>();
  const memory = sampleMemory();
  let clock: PhaseClock | undefined;
  const log = watchingLog(createLogger(), () => clock?.next());
  const runtime = createRuntime(readRuntimeConfig(), { log });
  let invocations = 0;
  // As the state machine's Retry on TransientError / RateLimitError: the same payload again.
  const invoke = async (payload: Record<string, unknown>): Promise<unknown> => {
    for (let attempt = 1; ; attempt++) {
      invocations += 1;
      const deadline = Date.now() + request.invocationBudgetMs;
      const remaining = () => (request.stopAfterValidation && clock?.validated ? 0 : deadline - Date.now());
      try {
        return await loadHandler.invoke(payload, runtime, remaining);
      } catch (error) {
        if (attempt >= 5 || !RETRYABLE.has((error as Error).name)) throw error;
      }
    }
  };

  const started = performance.now();
  const cpu = process.cpuUsage();
  clock = new PhaseClock(request.state === undefined ? "validate" : "send", request.liveMemory === true);
  let state =
    request.state ??
    ((await invoke({
      action: "claim",
      request: { bucket: request.bucket, key: request.key },
      runId: request.runId,
    })) as LoadState);
  if (state.status === "duplicate") throw new Error(`${request.key} was loaded before`);
  while (state.status === "submitting" || state.status === "retrying") {
    if (request.stopAfterValidation && clock.validated) break;
    state = (await invoke({ action: "submit", state })) as LoadState;
  }
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  clock.end();
  const peak = peakRssMb();
  const memoryPeaks = memory.stop();
  const common = {
    records: state.validRows ?? 0,
    apiCalls: state.apiCalls,
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    invocations,
    peakRssMb: peak,
    memory: memoryPeaks,
    phases: clock.phases,
  };
  if (request.stopAfterValidation) {
    if (state.phase !== "send") throw new Error(`validation did not end: phase ${state.phase}`);
    return { ...common, jobs: 0, uploadedRows: 0, cleanupCalls: 0, state };
  }
  if (state.status !== "polling" || state.api !== "bulk") {
    throw new Error(`the load did not reach its Bulk jobs: status ${state.status}, api ${state.api}`);
  }

  // Not measured: the jobs would hold the whole file in the emulator's memory.
  const client = await runtime.salesforce();
  for (const job of state.jobs) {
    await client.json({ method: "DELETE", path: `jobs/ingest/${job.id}`, kind: "bulkIngestDelete" });
  }
  return {
    ...common,
    jobs: state.jobs.length,
    uploadedRows: state.jobs.reduce((sum, job) => sum + job.rows, 0),
    cleanupCalls: state.jobs.length,
  };
}

runMain(main);
