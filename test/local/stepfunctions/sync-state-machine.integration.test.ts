import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_OBJECTS_PER_SYNC } from "../../../functions/core/discover";
import type { SyncRunReport, SyncSummary } from "../../../functions/core/extract/sync-summary";
import { JobFailedError, TransientError } from "../../../functions/errors";
import { extractHandler } from "../../../functions/extract/handler";
import { type LocalEnvironment, startLocalEnvironment } from "../../../local/environment";
import { createLocalRunner, type LocalHandler } from "../../../local/stepfunctions/state-machine";

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
      const planned = objects.map((object) => {
        const { runId: _dropped, ...rest } = task(object);
        return rest;
      });
      return { runId, catalogVersion: 1, changes: {}, apiCalls: 1, failed, objects: planned };
    },
  };
}

interface ExtractEvent {
  action: string;
  task?: { object: string; runId?: string };
  state?: { object: string };
}

/**
 * Extract's actions scripted per object; "summarize" goes to the real extract handler (which reads the
 * state table and writes the run summary to the embedded S3), so the run's verdict is the one a
 * deployment would reach.
 */
function extracting(
  behaviour: (action: string, object: string, event: ExtractEvent) => unknown,
): LocalHandler & { calls: Array<[string, string]> } {
  const calls: Array<[string, string]> = [];
  return {
    calls,
    async invoke(event, runtime, remainingMs) {
      const payload = event as ExtractEvent;
      const object = payload.task?.object ?? payload.state?.object ?? "";
      calls.push([payload.action, object]);
      if (payload.action === "summarize") return extractHandler.invoke(event, runtime, remainingMs);
      return behaviour(payload.action, object, payload);
    },
  };
}

const summary = (object: string, status: "succeeded" | "failed", extra: Record<string, unknown> = {}) => ({
  object,
  status,
  mode: "incremental",
  records: 0,
  deletes: 0,
  reconciled: [0, 0, 0],
  parts: 0,
  bytes: 0,
  apiCalls: 0,
  ...(status === "succeeded" ? { runDate: "2026-11-29" } : {}),
  ...extra,
});

describe("sync state machine, run locally from the synthesized definition", () => {
  let env: LocalEnvironment;
  let runtime: LocalEnvironment["runtime"];

  beforeAll(async () => {
    env = await startLocalEnvironment({ connection: "acme", prefix: "lake" });
    runtime = env.runtime;
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
  });

  async function reportOf(summary: SyncSummary): Promise<SyncRunReport> {
    const bytes = await runtime.store.get(summary.summaryKey);
    if (!bytes) throw new Error(`no run summary at ${summary.summaryKey}`);
    return JSON.parse(new TextDecoder().decode(bytes)) as SyncRunReport;
  }

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
      /^2 of 4 objects failed: Broken \(JobFailedError: no message recorded \(recording the failure failed too\): see the execution's history\); Secret__c \(DescribeFailed: 403: no access\)$/,
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

  it(`runs ${MAX_OBJECTS_PER_SYNC} objects with long names under a long run id within Step Functions' 256 KiB state`, async () => {
    // Prepare: the widest selection discover lets through, each object answering as the real extract
    // does (and more: a note the state machine must not keep), names and run id near their limits.
    const runId = `scheduled-sync-${"x".repeat(80 - "scheduled-sync-".length)}`;
    const objects = Array.from(
      { length: MAX_OBJECTS_PER_SYNC },
      (_, index) => `Managed_Package_Custom_Object_${String(index).padStart(4, "0")}__c`,
    );
    const startedWith = new Set<string | undefined>();
    const extract = extracting((action, object, event) => {
      if (action === "start") {
        startedWith.add(event.task?.runId);
        return { ...task(object), status: "ready" };
      }
      return summary(object, "succeeded", {
        records: 123_456,
        parts: 2,
        bytes: 9_876_543,
        apiCalls: 4,
        cursor: "2026-11-29T02:59:00.000Z",
        manifestKey: `lake/data/${object}/dt=2026-11-29/run=${runId}/_manifest.json`,
        note: "x".repeat(1000),
      });
    });
    const runner = await createLocalRunner({
      runtime,
      mapConcurrency: 40,
      handlers: { discover: discovering(objects), extract },
    });

    // Act
    const run = await runner.runSync({}, { name: runId });

    // Assess
    expect(run.status, `${run.error}: ${run.cause}`).toBe("SUCCEEDED");
    expect([...startedWith]).toEqual([runId]);
    const output = run.output as SyncSummary;
    expect(output).toMatchObject({
      objects: MAX_OBJECTS_PER_SYNC,
      succeeded: MAX_OBJECTS_PER_SYNC,
      failed: 0,
    });
    expect(output.records).toBe(MAX_OBJECTS_PER_SYNC * 123_456);
    const report = await reportOf(output);
    expect(report.manifests).toHaveLength(MAX_OBJECTS_PER_SYNC);
    expect(report.manifests[7]).toBe(
      `lake/data/Managed_Package_Custom_Object_0007__c/dt=2026-11-29/run=${runId}/_manifest.json`,
    );
  });

  it(`reports ${MAX_OBJECTS_PER_SYNC} objects that all fail with long errors as SyncFailed, within the 256 KiB state`, async () => {
    // Prepare: every object fails and its error is as long as abort reports (1,000 characters).
    const objects = Array.from({ length: MAX_OBJECTS_PER_SYNC }, (_, index) => `Failing_Object_${index}__c`);
    const extract = extracting((action, object) => {
      if (action === "start") throw new JobFailedError(`Bulk job failed: ${"x".repeat(2000)}`);
      return summary(object, "failed", { error: { name: "JobFailedError", message: "y".repeat(1000) } });
    });
    const runner = await createLocalRunner({
      runtime,
      mapConcurrency: 40,
      retryIntervalMs: 0,
      handlers: { discover: discovering(objects), extract },
    });

    // Act
    const run = await runner.runSync({}, { name: "all-failing" });

    // Assess: the run's own verdict, not States.DataLimitExceeded.
    expect(run.error, run.cause).toBe("SyncFailed");
    expect(run.cause).toMatch(
      new RegExp(`^${MAX_OBJECTS_PER_SYNC} of ${MAX_OBJECTS_PER_SYNC} objects failed: `),
    );
    const summaryState = run.events.filter((event) => event.state === "Summarize run");
    expect(summaryState.length).toBeGreaterThan(0);
    const report = await reportOf({
      summaryKey: runtime.layout.runSummary("all-failing"),
    } as SyncSummary);
    expect(report).toMatchObject({
      objects: MAX_OBJECTS_PER_SYNC,
      succeeded: 0,
      failed: MAX_OBJECTS_PER_SYNC,
    });
    expect(report.outcomes[0]?.error).toMatch(/^JobFailedError: /);
  });

  it("fails with States.DataLimitExceeded when the objects' outcomes outgrow 256 KiB", async () => {
    // Prepare: 300 objects whose kept outcome each carry about 1 KB (a run date no real run has).
    const objects = Array.from({ length: 300 }, (_, index) => `Object${index}__c`);
    const extract = extracting((action, object) =>
      action === "start"
        ? { ...task(object), status: "ready" }
        : summary(object, "succeeded", { runDate: "x".repeat(1000) }),
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
