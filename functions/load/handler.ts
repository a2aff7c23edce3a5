// functions/load/: the load Lambda: one action per task of the load state machine
import * as z from "zod";
import { claimLoad, collectLoad, failLoad, finishLoad, pollLoad, submitLoad } from "../core/load/load";
import type { LoadDeps } from "../core/load/load-deps";
import { requestedFileKey } from "../core/load/load-request";
import type { LoadState } from "../core/load/load-state";
import { defineHandler } from "../runtime/lambda";
import type { InvocationKeys } from "../runtime/log";
import type { Runtime } from "../runtime/runtime";
import { CaughtErrorSchema, caughtErrorSummary, continuation } from "../runtime/step-functions";

// The load state is produced by this same function: the fields that say it is one are checked here.
const State = continuation<LoadState>(
  z.object({
    runId: z.string().min(1),
    status: z.string(),
    file: z.object({ bucket: z.string(), key: z.string() }).passthrough(),
    resultsFolder: z.string(),
  }),
);

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
    error: CaughtErrorSchema,
    runId: z.string().min(1).optional(),
  }),
]);

type LoadInput = z.infer<typeof LoadInput>;

/** Every log line of an invocation names the run and the inbound file. */
function keysOf(input: LoadInput): InvocationKeys {
  switch (input.action) {
    case "claim":
      return { runId: input.runId, fileKey: requestedFileKey(input.request) };
    case "fail": {
      const state = input.state as Partial<LoadState> | undefined;
      return {
        runId: input.runId ?? state?.runId,
        fileKey: state?.file?.key ?? requestedFileKey(input.state),
      };
    }
    default:
      return { runId: input.state.runId, fileKey: input.state.file.key };
  }
}

function depsOf(runtime: Runtime): LoadDeps {
  const { settings } = runtime.config;
  return {
    salesforce: async () => (await runtime.salesforce()).withOwnCounter(),
    store: runtime.store,
    storeFor: (bucket) => (bucket === runtime.config.bucket ? runtime.store : runtime.storeFor(bucket)),
    state: runtime.state,
    layout: runtime.layout,
    settings: settings.load,
    blockFields: settings.blockFields,
    reserve: {
      dailyApiRequests: settings.reserve.dailyApiRequests,
      dailyBulkBatches: settings.reserve.dailyBulkBatches,
    },
    log: runtime.log,
    metrics: runtime.metrics,
    lake: { connection: runtime.config.connection, engine: () => runtime.lake() },
  };
}

/** Load: one handler, one action per task of the load state machine. */
export const loadHandler = defineHandler(
  "load",
  LoadInput,
  async (input, { runtime, remainingMs }) => {
    const deps = depsOf(runtime);
    switch (input.action) {
      case "claim":
        return claimLoad(deps, { request: input.request, runId: input.runId });
      case "submit":
        return submitLoad(deps, input.state, remainingMs);
      case "poll":
        return pollLoad(deps, input.state);
      case "results":
        return collectLoad(deps, input.state, remainingMs);
      case "finish":
        return finishLoad(deps, input.state);
      case "fail":
        return failLoad(deps, input.state, caughtErrorSummary(input.error), input.runId);
    }
  },
  keysOf,
);

export const handler = loadHandler.handler;
