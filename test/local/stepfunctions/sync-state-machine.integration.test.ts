import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writePlannedObjects } from "../../../functions/core/discover";
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

/** Objects well past the 1,000 one execution used to take. */
const WIDE = 5_000;

/** Discover as the real one answers: the plan written to the bucket, its key in the answer. */
function discovering(objects: string[], failed: unknown[] = []): LocalHandler {
  return {
    async invoke(event, runtime) {
      const { runId } = event as { runId: string };
      const planned = objects.map((object) => {
        const { runId: _dropped, mode: _mode, ...rest } = task(object);
        return { ...rest, mode: "incremental" as const };
      });
      const objectsKey = await writePlannedObjects(runtime.store, runtime.layout, runId, planned);
      return {
        runId,
        catalogVersion: 1,
        changes: {},
        apiCalls: 1,
        failed,
        objectsKey,
        objectCount: objects.length,
      };
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

/** The lake's merge, done at once: the wide runs test the fan-out, not the merge. */
const merged: LocalHandler = {
  async invoke(event) {
    const { task: merging } = event as { task: { object: string } };
    return { status: "done", object: merging.object, mergedSeq: 0, runs: 0 };
  },
};

const summary = (object: string, status: "succeeded" | "failed", extra: Record<string, unknown> = {}) => ({
  object,
  status,
  mode: "incremental",
  records: 0,
  deletes: 0,
  reconciled: [0, 0, 0],
  partial: [0, 0, 0, 0, 0],
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
    // The last resort ran in Broken's own child execution.
    expect(run.children.flatMap((child) => child.states)).toContain("Summarize object failure");
    expect(
      extract.calls
        .filter(([action]) => action === "commit")
        .map(([, object]) => object)
        .sort(),
    ).toEqual(["Account", "Contact"]);
  });

  it(`runs ${WIDE} objects with long names under a long run id, each a child execution, within 256 KiB and 25,000 events`, async () => {
    // Prepare: a selection five times what one execution used to take, each object answering as the real
    // extract does (and more: a note the state machine must not keep), names and run id near their limits.
    const runId = `scheduled-sync-${"x".repeat(80 - "scheduled-sync-".length)}`;
    const objects = Array.from(
      { length: WIDE },
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
      handlers: { discover: discovering(objects), extract, lake: merged },
    });

    // Act
    const run = await runner.runSync({}, { name: runId });

    // Assess
    expect(run.status, `${run.error}: ${run.cause}`).toBe("SUCCEEDED");
    // The parent's history does not grow with the objects: started, Discover (Task 5), the Distributed
    // Map (6), Summarize (Task 5), the Choice (2), Succeed (2), succeeded. Each object's child: started,
    // Start extract (5), Next step (2), Commit (5), Merge (5), Merge done? (2), Object done (2), succeeded.
    expect(run.historyEvents).toBe(22);
    expect(run.children).toHaveLength(WIDE);
    expect(new Set(run.children.map((child) => child.historyEvents))).toEqual(new Set([23]));
    expect(run.children.every((child) => child.status === "SUCCEEDED")).toBe(true);
    expect([...startedWith]).toEqual([runId]);
    const output = run.output as SyncSummary;
    expect(output).toMatchObject({
      objects: WIDE,
      succeeded: WIDE,
      failed: 0,
    });
    expect(output.records).toBe(WIDE * 123_456);
    const report = await reportOf(output);
    expect(report.manifests).toHaveLength(WIDE);
    expect(report.manifests[7]).toBe(
      `lake/data/Managed_Package_Custom_Object_0007__c/dt=2026-11-29/run=${runId}/_manifest.json`,
    );
  });

  it("reports 1,000 objects that all fail with long errors as SyncFailed, within the 256 KiB state", async () => {
    // Prepare: every object fails and its error is as long as abort reports (1,000 characters).
    const failing = 1_000;
    const objects = Array.from({ length: failing }, (_, index) => `Failing_Object_${index}__c`);
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
    expect(run.cause).toMatch(new RegExp(`^${failing} of ${failing} objects failed: `));
    const summaryState = run.events.filter((event) => event.state === "Summarize run");
    expect(summaryState.length).toBeGreaterThan(0);
    const report = await reportOf({
      summaryKey: runtime.layout.runSummary("all-failing"),
    } as SyncSummary);
    expect(report).toMatchObject({
      objects: failing,
      succeeded: 0,
      failed: failing,
    });
    expect(report.outcomes[0]?.error).toMatch(/^JobFailedError: /);
  });

  it("fails only the child whose outcome outgrows 256 KiB; 300 outcomes of 1 KB no longer weigh on the run", async () => {
    // Prepare: 300 objects whose kept outcome each carry about 1 KB (a run date no real run has), which
    // overflowed the single execution's state before the Distributed Map, and one of 300 KB.
    const objects = [...Array.from({ length: 300 }, (_, index) => `Object${index}__c`), "Huge__c"];
    const extract = extracting((action, object) =>
      action === "start"
        ? { ...task(object), status: "ready" }
        : summary(object, "succeeded", { runDate: "x".repeat(object === "Huge__c" ? 300_000 : 1000) }),
    );
    const runner = await createLocalRunner({
      runtime,
      mapConcurrency: 40,
      handlers: { discover: discovering(objects), extract, lake: merged },
    });

    // Act
    const run = await runner.runSync({}, { name: "big" });

    // Assess: the huge child failed as Step Functions fails it, and the run says so; the others succeeded.
    expect(run.error, run.cause).toBe("SyncFailed");
    expect(run.cause).toMatch(
      /^1 of 301 objects failed: Huge__c \(States\.DataLimitExceeded: The state\/task 'Commit object' returned a result with a size exceeding/,
    );
    const huge = run.children.filter((child) => child.status === "FAILED");
    expect(huge).toHaveLength(1);
    expect(huge[0]?.error).toBe("States.DataLimitExceeded");
    // Nothing ran in that child after the oversized state: it never merged.
    expect(huge[0]?.states.at(-1)).toBe("Commit object");
    const report = await reportOf(run.output as SyncSummary).catch(() =>
      reportOf({ summaryKey: runtime.layout.runSummary("big") } as SyncSummary),
    );
    expect(report).toMatchObject({ objects: 301, succeeded: 300, failed: 1 });
  });

  it("keeps a child that polls its Bulk job 200 times within its history; one that never ends fails at 25,000 events", async () => {
    // Prepare: Slow__c's job is done after 200 checks, Stuck__c's never is, Quick__c needs none.
    const checks = new Map<string, number>();
    const extract = extracting((action, object) => {
      if (action === "start")
        return { ...task(object), status: object === "Quick__c" ? "ready" : "polling", waitSeconds: 30 };
      if (action === "poll") {
        const done = (checks.get(object) ?? 0) + 1;
        checks.set(object, done);
        const ready = object === "Slow__c" && done >= 200;
        return { ...task(object), status: ready ? "ready" : "polling", waitSeconds: 30 };
      }
      return summary(object, "succeeded", { records: 1 });
    });
    const runner = await createLocalRunner({
      runtime,
      waitMs: 0,
      handlers: { discover: discovering(["Quick__c", "Slow__c", "Stuck__c"]), extract, lake: merged },
    });

    // Act
    const run = await runner.runSync({}, { name: "polling" });

    // Assess
    const child = (object: string) => {
      const index = ["Quick__c", "Slow__c", "Stuck__c"].indexOf(object);
      return run.children[index];
    };
    // 23 events without a poll, and 9 a poll (Wait 2, Check Bulk job 5, Next step 2).
    expect(child("Quick__c")?.historyEvents).toBe(23);
    expect(checks.get("Slow__c")).toBe(200);
    expect(child("Slow__c")).toMatchObject({ status: "SUCCEEDED", historyEvents: 23 + 200 * 9 });
    expect(child("Stuck__c")).toMatchObject({
      status: "FAILED",
      error: "States.Runtime",
      cause: "The execution reached the maximum number of history events (25000).",
      historyEvents: 25_000,
    });
    // About (25,000 − 9) / 9 checks fit before the history is full; none ran after it.
    expect(checks.get("Stuck__c")).toBeGreaterThan(2_700);
    expect(checks.get("Stuck__c")).toBeLessThan(2_780);
    expect(run.error).toBe("SyncFailed");
    expect(run.cause).toBe(
      "1 of 3 objects failed: Stuck__c (States.Runtime: The execution reached the maximum number of history events (25000).)",
    );
    // The parent ends in its Fail state: FailStateEntered and ExecutionFailed instead of Succeed's 2 and 1.
    expect(run.historyEvents).toBe(21);
  }, 60_000);
});
