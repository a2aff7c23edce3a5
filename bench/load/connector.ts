/**
 * Load *connector*: the real load path. The load handler's actions are invoked as the load state
 * machine invokes them — claim, then submit until every Bulk ingest job is uploaded and closed
 * (`UploadComplete`, the state's status turns to polling) — each invocation with the Lambda's time
 * budget. Salesforce's processing of the jobs is not part of the measurement: the emulator of the load
 * benchmark never starts it, and the jobs are deleted afterwards (calls not charged to the load).
 */
import { performance } from "node:perf_hooks";
import type { LoadState } from "../../functions/core/load/load-state";
import { loadHandler } from "../../functions/load/handler";
import { createRuntime, readRuntimeConfig } from "../../functions/runtime/runtime";
import { type MemoryPeaks, peakRssMb, readJsonArgument, runMain, sampleMemory } from "../process/child-io";

export interface LoadConnectorRequest {
  bucket: string;
  key: string;
  runId: string;
  invocationBudgetMs: number;
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
  cleanupCalls: number;
}

const RETRYABLE = new Set(["TransientError", "RateLimitError"]);

async function main(): Promise<LoadConnectorResult> {
  const request = readJsonArgument<LoadConnectorRequest>();
  const memory = sampleMemory();
  const runtime = createRuntime(readRuntimeConfig());
  let invocations = 0;
  // As the state machine's Retry on TransientError / RateLimitError: the same payload again.
  const invoke = async (payload: Record<string, unknown>): Promise<unknown> => {
    for (let attempt = 1; ; attempt++) {
      invocations += 1;
      const deadline = Date.now() + request.invocationBudgetMs;
      try {
        return await loadHandler.invoke(payload, runtime, () => deadline - Date.now());
      } catch (error) {
        if (attempt >= 5 || !RETRYABLE.has((error as Error).name)) throw error;
      }
    }
  };

  const started = performance.now();
  const cpu = process.cpuUsage();
  let state = (await invoke({
    action: "claim",
    request: { bucket: request.bucket, key: request.key },
    runId: request.runId,
  })) as LoadState;
  if (state.status === "duplicate") throw new Error(`${request.key} was loaded before`);
  while (state.status === "submitting" || state.status === "retrying") {
    state = (await invoke({ action: "submit", state })) as LoadState;
  }
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const peak = peakRssMb();
  const memoryPeaks = memory.stop();
  if (state.status !== "polling" || state.api !== "bulk") {
    throw new Error(`the load did not reach its Bulk jobs: status ${state.status}, api ${state.api}`);
  }

  // Not measured: the jobs would hold the whole file in the emulator's memory.
  const client = await runtime.salesforce();
  for (const job of state.jobs) {
    await client.json({ method: "DELETE", path: `jobs/ingest/${job.id}`, kind: "bulkIngestDelete" });
  }
  return {
    records: state.validRows ?? 0,
    jobs: state.jobs.length,
    uploadedRows: state.jobs.reduce((sum, job) => sum + job.rows, 0),
    apiCalls: state.apiCalls,
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    invocations,
    peakRssMb: peak,
    memory: memoryPeaks,
    cleanupCalls: state.jobs.length,
  };
}

runMain(main);
