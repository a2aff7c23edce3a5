import * as z from "zod";
import { abortExtract } from "../core/extract/abort";
import { commitExtract } from "../core/extract/commit";
import type { ExtractDeps } from "../core/extract/extract-deps";
import type { ExtractState } from "../core/extract/extract-state";
import { fetchExtract } from "../core/extract/fetch";
import { pollExtract } from "../core/extract/poll";
import { startExtract } from "../core/extract/start";
import { type ObjectOutcome, summarizeSync } from "../core/extract/sync-summary";
import { extractSettingsOf } from "../core/settings";
import { defineHandler } from "../runtime/lambda";
import type { Runtime } from "../runtime/runtime";

const Task = z.object({
  runId: z.string().min(1),
  object: z.string().min(1),
  mode: z.enum(["full_refresh", "incremental"]),
  catalogKey: z.string().min(1),
});

// The continuation is produced by this same function; its full shape is checked by TypeScript.
// At the boundary it is enough to know it is one and which object it is for.
const State = Task.extend({ status: z.enum(["polling", "fetching", "ready"]) }).passthrough();

/** Step Functions' Catch output: `{ Error, Cause }`, where Cause is the Lambda's JSON error report. */
const CaughtError = z.object({ Error: z.string(), Cause: z.string().optional() }).passthrough();

const ExtractInput = z.discriminatedUnion("action", [
  z.object({ action: z.literal("start"), task: Task }),
  z.object({ action: z.literal("poll"), state: State }),
  z.object({ action: z.literal("fetch"), state: State }),
  z.object({ action: z.literal("commit"), state: State }),
  z.object({ action: z.literal("abort"), state: Task.passthrough(), error: CaughtError }),
  z.object({
    action: z.literal("summarize"),
    runId: z.string(),
    results: z.array(z.object({ object: z.string(), status: z.enum(["succeeded", "failed"]) }).passthrough()),
    failed: z.array(z.object({ object: z.string(), status: z.literal("failed") }).passthrough()).default([]),
  }),
]);

/** The error Step Functions caught, reduced to name and message (the Cause carries the message). */
export function caughtErrorSummary(caught: { Error: string; Cause?: string }): Record<string, string> {
  let message = caught.Cause ?? "";
  try {
    const cause = JSON.parse(caught.Cause ?? "") as { errorMessage?: string };
    if (typeof cause.errorMessage === "string") message = cause.errorMessage;
  } catch {
    // Not JSON (a States.* error): keep the Cause text as it is.
  }
  return { name: caught.Error, message: message.slice(0, 1000) };
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
        return pollExtract(await depsOf(runtime), input.state as unknown as ExtractState);
      case "fetch":
        return fetchExtract(await depsOf(runtime), input.state as unknown as ExtractState, remainingMs);
      case "commit":
        return commitExtract(await depsOf(runtime), input.state as unknown as ExtractState);
      case "abort":
        return abortExtract(
          await depsOf(runtime),
          input.state as unknown as ExtractState,
          caughtErrorSummary(input.error),
        );
      case "summarize":
        return summarizeSync({ store: runtime.store, layout: runtime.layout }, input.runId, [
          ...(input.results as ObjectOutcome[]),
          ...(input.failed as ObjectOutcome[]),
        ]);
    }
  },
);

export const handler = extractHandler.handler;
