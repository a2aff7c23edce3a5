import * as z from "zod";
import { claimLoad, collectLoad, failLoad, finishLoad, pollLoad, submitLoad } from "../core/load/load";
import type { LoadDeps } from "../core/load/load-deps";
import type { LoadState } from "../core/load/load-state";
import { defineHandler } from "../runtime/lambda";
import type { Runtime } from "../runtime/runtime";

// The load state is produced by this same function; its full shape is checked by TypeScript. At the
// boundary it is enough to know it is one.
const State = z
  .object({
    runId: z.string().min(1),
    status: z.string(),
    file: z.object({ bucket: z.string(), key: z.string() }).passthrough(),
    resultsFolder: z.string(),
  })
  .passthrough();

/** Step Functions' Catch output: `{ Error, Cause }`, where Cause is the Lambda's JSON error report. */
const CaughtError = z.object({ Error: z.string(), Cause: z.string().optional() }).passthrough();

const LoadInput = z.discriminatedUnion("action", [
  z.object({ action: z.literal("claim"), request: z.unknown(), runId: z.string().min(1).optional() }),
  z.object({ action: z.literal("submit"), state: State }),
  z.object({ action: z.literal("poll"), state: State }),
  z.object({ action: z.literal("results"), state: State }),
  z.object({ action: z.literal("finish"), state: State }),
  // A failure of the claim itself leaves the execution input (the event) where the state would be.
  z.object({
    action: z.literal("fail"),
    state: z.unknown(),
    error: CaughtError,
    runId: z.string().min(1).optional(),
  }),
]);

function depsOf(runtime: Runtime): LoadDeps {
  const { settings } = runtime.config;
  return {
    salesforce: async () => (await runtime.salesforce()).withOwnCounter(),
    store: runtime.store,
    storeFor: (bucket) => (bucket === runtime.config.bucket ? runtime.store : runtime.storeFor(bucket)),
    state: runtime.state,
    layout: runtime.layout,
    settings: settings.load,
    reserve: {
      dailyApiRequests: settings.reserve.dailyApiRequests,
      dailyBulkBatches: settings.reserve.dailyBulkBatches,
    },
    log: runtime.log,
  };
}

/** Load: one handler, one action per task of the load state machine. */
export const loadHandler = defineHandler("load", LoadInput, async (input, { runtime, remainingMs }) => {
  const deps = depsOf(runtime);
  switch (input.action) {
    case "claim":
      return claimLoad(deps, { request: input.request, runId: input.runId });
    case "submit":
      return submitLoad(deps, input.state as unknown as LoadState, remainingMs);
    case "poll":
      return pollLoad(deps, input.state as unknown as LoadState);
    case "results":
      return collectLoad(deps, input.state as unknown as LoadState, remainingMs);
    case "finish":
      return finishLoad(deps, input.state as unknown as LoadState);
    case "fail":
      return failLoad(deps, input.state, input.error, input.runId);
  }
});

export const handler = loadHandler.handler;
