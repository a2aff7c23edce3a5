/**
 * Extract *connector*: the real extract path. The extract handler's actions are invoked as the sync
 * state machine invokes them — start, Wait `waitSeconds` then poll until the job is done, fetch until
 * the continuation says ready (each invocation with the Lambda's time budget, so a long extract
 * continues in a new invocation), commit — against the emulator and the AWS services of the other
 * processes. The runtime is built from the environment exactly as the Lambda builds it. Throughput is timed over the data path (fetch and commit invocations); the job's
 * processing in Salesforce and the Wait states are reported apart.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { ExtractState, ExtractSummary, ExtractTask } from "../../functions/core/extract/extract-state";
import { extractHandler } from "../../functions/extract/handler";
import { createRuntime, readRuntimeConfig } from "../../functions/runtime/runtime";
import { type MemoryPeaks, peakRssMb, readJsonArgument, runMain, sampleMemory } from "../process/child-io";

/** The connection (bucket, table, secret, settings) comes in the environment, as a Lambda's does. */
export interface ExtractConnectorRequest {
  task: ExtractTask;
  /** Each invocation's time budget (the extract Lambda's timeout). */
  invocationBudgetMs: number;
  /** Multiplies the Wait state's seconds (1 in the benchmark; tests shorten it). */
  waitScale: number;
}

export type Action = "start" | "poll" | "fetch" | "commit";

export interface ExtractConnectorResult {
  records: number;
  parts: number;
  /** Compressed bytes written to S3. */
  bytes: number;
  /** API calls the connector counted itself (the manifest's figure). */
  apiCalls: number;
  /** Fetch and commit invocations: the data path. */
  wallMs: number;
  /** Start to commit, Wait states included. */
  totalMs: number;
  waitMs: number;
  /** CPU time (user + system, every thread) of the fetch and commit invocations. */
  cpuMs: number;
  invocations: Record<Action, number>;
  actionMs: Record<Action, number>;
  manifestKey: string;
  peakRssMb: number;
  /** Peaks of the memory components, sampled every 50 ms. */
  memory: MemoryPeaks;
}

async function main(): Promise<ExtractConnectorResult> {
  const request = readJsonArgument<ExtractConnectorRequest>();
  const memory = sampleMemory();
  const runtime = createRuntime(readRuntimeConfig());
  const invocations: Record<Action, number> = { start: 0, poll: 0, fetch: 0, commit: 0 };
  const actionMs: Record<Action, number> = { start: 0, poll: 0, fetch: 0, commit: 0 };
  let cpuMs = 0;
  let waitMs = 0;
  const invoke = async (action: Action, event: Record<string, unknown>): Promise<unknown> => {
    const deadline = Date.now() + request.invocationBudgetMs;
    const started = performance.now();
    const cpu = process.cpuUsage();
    try {
      return await extractHandler.invoke({ action, ...event }, runtime, () => deadline - Date.now());
    } finally {
      actionMs[action] += performance.now() - started;
      if (action === "fetch" || action === "commit") {
        const used = process.cpuUsage(cpu);
        cpuMs += (used.user + used.system) / 1000;
      }
      invocations[action] += 1;
    }
  };

  const began = performance.now();
  let state = (await invoke("start", { task: request.task })) as ExtractState;
  let summary: ExtractSummary | undefined;
  while (summary === undefined) {
    if (state.status === "polling") {
      const wait = state.waitSeconds * 1000 * request.waitScale;
      await sleep(wait);
      waitMs += wait;
      state = (await invoke("poll", { state })) as ExtractState;
    } else if (state.status === "fetching") {
      state = (await invoke("fetch", { state })) as ExtractState;
    } else {
      summary = (await invoke("commit", { state })) as ExtractSummary;
    }
  }
  const totalMs = performance.now() - began;
  if (summary.status !== "succeeded" || summary.manifestKey === undefined) {
    throw new Error(`extract did not succeed: ${JSON.stringify(summary)}`);
  }
  return {
    records: summary.records,
    parts: summary.parts,
    bytes: summary.bytes,
    apiCalls: summary.apiCalls,
    wallMs: actionMs.fetch + actionMs.commit,
    cpuMs,
    totalMs,
    waitMs,
    invocations,
    actionMs,
    manifestKey: summary.manifestKey,
    peakRssMb: peakRssMb(),
    memory: memory.stop(),
  };
}

runMain(main);
