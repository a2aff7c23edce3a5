// functions/extract/: the extract Lambda: one action per state of an object's extract loop
import * as z from "zod";
import { abortExtract } from "../core/extract/abort";
import { commitExtract } from "../core/extract/commit";
import type { ExtractDeps } from "../core/extract/extract-deps";
import type { ExtractState, ExtractTask } from "../core/extract/extract-state";
import { fetchExtract } from "../core/extract/fetch";
import { pollExtract } from "../core/extract/poll";
import { startExtract } from "../core/extract/start";
import { type ObjectOutcome, readMapOutcomes, summarizeSync } from "../core/extract/sync-summary";
import { extractSettingsOf } from "../core/settings";
import { defineHandler } from "../runtime/lambda";
import type { InvocationKeys } from "../runtime/log";
import type { Runtime } from "../runtime/runtime";
import { CaughtErrorSchema, caughtErrorSummary, continuation } from "../runtime/step-functions";

const Task = z.object({
  runId: z.string().min(1),
  object: z.string().min(1),
  mode: z.enum(["full_refresh", "incremental"]),
  catalogKey: z.string().min(1),
});

const State = continuation<ExtractState>(Task.extend({ status: z.enum(["polling", "fetching", "ready"]) }));
/** What the abort step gets: the task at least, and as much of the continuation as there was. */
const Failed = continuation<ExtractTask & Partial<ExtractState>>(Task);

const ExtractInput = z.discriminatedUnion("action", [
  z.object({ action: z.literal("start"), task: Task }),
  z.object({ action: z.literal("poll"), state: State }),
  z.object({ action: z.literal("fetch"), state: State }),
  z.object({ action: z.literal("commit"), state: State }),
  z.object({ action: z.literal("abort"), state: Failed, error: CaughtErrorSchema }),
  z.object({
    action: z.literal("summarize"),
    runId: z.string(),
    /** Where the Distributed Map wrote every object's outcome (its ResultWriter's manifest). */
    resultWriter: z.object({ Bucket: z.string(), Key: z.string() }).optional(),
    /** The outcomes themselves, when they come inline. */
    results: z
      .array(z.object({ object: z.string(), status: z.enum(["succeeded", "failed"]) }).passthrough())
      .default([]),
    failed: z.array(z.object({ object: z.string(), status: z.literal("failed") }).passthrough()).default([]),
  }),
]);

type ExtractInput = z.infer<typeof ExtractInput>;

/** Every log line of an invocation names the run and, but for the summary, the object. */
function keysOf(input: ExtractInput): InvocationKeys {
  switch (input.action) {
    case "start":
      return { runId: input.task.runId, object: input.task.object };
    case "summarize":
      return { runId: input.runId };
    default:
      return { runId: input.state.runId, object: input.state.object };
  }
}

async function depsOf(runtime: Runtime): Promise<ExtractDeps> {
  return {
    // Its own counter: objects extracted side by side each count exactly their calls.
    salesforce: (await runtime.salesforce()).withOwnCounter(),
    store: runtime.store,
    state: runtime.state,
    layout: runtime.layout,
    connection: runtime.config.connection,
    settings: extractSettingsOf(runtime.config.settings),
    log: runtime.log,
    metrics: runtime.metrics,
    hashKey: await runtime.hashKey(),
  };
}

/** Extract: one handler, one action per state of the sync state machine's per-object loop. */
export const extractHandler = defineHandler(
  "extract",
  ExtractInput,
  async (input, { runtime, remainingMs }) => {
    switch (input.action) {
      case "start":
        return startExtract(await depsOf(runtime), input.task, remainingMs);
      case "poll":
        return pollExtract(await depsOf(runtime), input.state);
      case "fetch":
        return fetchExtract(await depsOf(runtime), input.state, remainingMs);
      case "commit":
        return commitExtract(await depsOf(runtime), input.state);
      case "abort":
        return abortExtract(await depsOf(runtime), input.state, caughtErrorSummary(input.error));
      case "summarize": {
        const deps = { store: runtime.store, layout: runtime.layout };
        const mapped = input.resultWriter ? await readMapOutcomes(deps, input.runId, input.resultWriter) : [];
        return summarizeSync(deps, input.runId, [
          ...mapped,
          ...(input.results as ObjectOutcome[]),
          ...(input.failed as ObjectOutcome[]),
        ]);
      }
    }
  },
  keysOf,
);

export const handler = extractHandler.handler;
