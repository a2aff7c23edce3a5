// functions/lake/: the lake Lambda: merge an object's committed runs into its current-state table
import * as z from "zod";
import type { ExtractState } from "../core/extract/extract-state";
import {
  checkLakeMerge,
  type LakeDeps,
  type MergeState,
  type MergeTask,
  startLakeMerge,
} from "../core/lake/merge";
import { compareReconcile } from "../core/lake/reconcile";
import { extractSettingsOf } from "../core/settings";
import { defineHandler } from "../runtime/lambda";
import type { InvocationKeys } from "../runtime/log";
import type { Runtime } from "../runtime/runtime";
import { continuation } from "../runtime/step-functions";

const Task = z.object({
  runId: z.string().min(1),
  object: z.string().min(1),
  catalogKey: z.string().min(1),
});

const State = continuation<MergeState>(Task.extend({ status: z.enum(["running", "done"]) }));

/** A reconciling run's extract continuation, its Id snapshot in: the lake compares it with the table. */
const Comparing = continuation<ExtractState>(
  Task.extend({ mode: z.enum(["full_refresh", "incremental"]), status: z.literal("comparing") }),
);

const LakeInput = z.discriminatedUnion("action", [
  z.object({ action: z.literal("merge"), task: Task }),
  z.object({ action: z.literal("check"), state: State }),
  z.object({ action: z.literal("compare"), state: Comparing }),
]);

type LakeInput = z.infer<typeof LakeInput>;

function keysOf(input: LakeInput): InvocationKeys {
  const { runId, object } = input.action === "merge" ? input.task : input.state;
  return { runId, object };
}

async function depsOf(runtime: Runtime): Promise<LakeDeps> {
  return {
    engine: await runtime.lake(),
    store: runtime.store,
    state: runtime.state,
    layout: runtime.layout,
    connection: runtime.config.connection,
    log: runtime.log,
  };
}

/**
 * Lake: `merge` starts bringing the object's current-state table up to date after its commit; `check`
 * polls the statement (the state machine waits `waitSeconds` between) until `status` is `done`;
 * `compare` compares a reconciling run's Id snapshot with the table, before that run commits.
 */
export const lakeHandler = defineHandler(
  "lake",
  LakeInput,
  async (input, { runtime }): Promise<MergeState | ExtractState> => {
    switch (input.action) {
      case "merge":
        return startLakeMerge(await depsOf(runtime), input.task as MergeTask);
      case "check":
        return checkLakeMerge(await depsOf(runtime), input.state);
      case "compare":
        return compareReconcile(
          await depsOf(runtime),
          input.state,
          extractSettingsOf(runtime.config.settings).leaseMs,
        );
    }
  },
  keysOf,
);

export const handler = lakeHandler.handler;
