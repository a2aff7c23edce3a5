import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobFailedError, TransientError } from "../../functions/core/errors";
import { extractHandler } from "../../functions/extract/handler";
import type { Runtime } from "../../functions/runtime/runtime";
import { createLocalRunner, type LocalHandler } from "../../local/state-machine";
import { offlineRuntime } from "./offline-runtime";

const task = (object: string) => ({
  runId: "run",
  object,
  mode: "incremental",
  catalogKey: `catalog/${object}/v1.json`,
});

function discovering(objects: string[], failed: unknown[] = []): LocalHandler {
  return {
    async invoke(event) {
      const { runId } = event as { runId: string };
      return { runId, catalogVersion: 1, changes: {}, apiCalls: 1, failed, tasks: objects.map(task) };
    },
  };
}

/**
 * Extract's actions scripted per object; "summarize" goes to the real extract handler, which needs no
 * AWS for it, so the run's verdict is the one a deployment would reach.
 */
function extracting(
  behaviour: (action: string, object: string) => unknown,
): LocalHandler & { calls: Array<[string, string]> } {
  const calls: Array<[string, string]> = [];
  return {
    calls,
    async invoke(event, runtime, remainingMs) {
      const payload = event as { action: string; task?: { object: string }; state?: { object: string } };
      const object = payload.task?.object ?? payload.state?.object ?? "";
      calls.push([payload.action, object]);
      if (payload.action === "summarize") return extractHandler.invoke(event, runtime, remainingMs);
      return behaviour(payload.action, object);
    },
  };
}

const summary = (object: string, status: "succeeded" | "failed", extra: Record<string, unknown> = {}) => ({
  object,
  status,
  mode: "incremental",
  records: 0,
  parts: 0,
  bytes: 0,
  apiCalls: 0,
  ...extra,
});

describe("sync state machine, run locally from the synthesized definition", () => {
  let offline: ReturnType<typeof offlineRuntime>;
  let runtime: Runtime;

  beforeAll(() => {
    offline = offlineRuntime();
    runtime = offline.runtime;
  });

  afterAll(() => offline.stop());

  it("reports an object whose failure could not even be recorded, and the objects discover could not describe", async () => {
    // Prepare
    const extract = extracting((action, object) => {
      if (object === "Broken" && action === "start")
        throw new JobFailedError("Bulk job 750x failed: InternalError");
      if (object === "Broken" && action === "abort") throw new TransientError("Salesforce unreachable");
      if (action === "start") return { ...task(object), status: "ready" };
      return summary(object, "succeeded", { records: 5 });
    });
    const describeFailure = {
      object: "Secret__c",
      status: "failed",
      error: { name: "DescribeFailed", message: "403: no access" },
    };
    const runner = await createLocalRunner({
      runtime,
      retryIntervalMs: 0,
      handlers: { discover: discovering(["Account", "Broken", "Contact"], [describeFailure]), extract },
    });

    // Act
    const run = await runner.runSync({}, { name: "run" });

    // Assess
    expect(run.status).toBe("FAILED");
    expect(run.error).toBe("SyncFailed");
    expect(run.cause).toMatch(
      /^2 of 4 objects failed: Broken \(JobFailedError: .*Bulk job 750x failed.*\); Secret__c \(DescribeFailed: 403: no access\)$/,
    );
    // The abort was retried as a TransientError (5 attempts after the first) before the last resort.
    expect(
      extract.calls.filter(([action, object]) => action === "abort" && object === "Broken"),
    ).toHaveLength(6);
    expect(run.states).toContain("Summarize object failure");
    expect(
      extract.calls
        .filter(([action]) => action === "commit")
        .map(([, object]) => object)
        .sort(),
    ).toEqual(["Account", "Contact"]);
  });

  it("fails with States.DataLimitExceeded when the Map's merged results outgrow 256 KiB", async () => {
    // Prepare: 300 objects whose summaries each carry about 1 KB.
    const objects = Array.from({ length: 300 }, (_, index) => `Object${index}__c`);
    const extract = extracting((action, object) =>
      action === "start"
        ? { ...task(object), status: "ready" }
        : summary(object, "succeeded", { note: "x".repeat(1000) }),
    );
    const runner = await createLocalRunner({
      runtime,
      mapConcurrency: 40,
      handlers: { discover: discovering(objects), extract },
    });

    // Act
    const run = await runner.runSync({}, { name: "big" });

    // Assess
    expect(run.status).toBe("FAILED");
    expect(run.error).toBe("States.DataLimitExceeded");
    expect(run.cause).toMatch(/'Extract each object'/);
    // Nothing ran after the oversized state: the summary was never asked for.
    expect(extract.calls.filter(([action]) => action === "commit")).toHaveLength(300);
    expect(extract.calls.some(([action]) => action === "summarize")).toBe(false);
  });
});
