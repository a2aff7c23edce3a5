import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataError, TransientError } from "../../../functions/errors";
import type { Runtime } from "../../../functions/runtime/runtime";
import {
  createLocalRunner,
  type LocalHandler,
  MAX_PAYLOAD_BYTES,
} from "../../../local/stepfunctions/state-machine";
import { offlineRuntime } from "./offline-runtime";

type Step = (event: Record<string, unknown>) => unknown;

/**
 * A load handler that answers from a script, one reply per action call in order, and records what the
 * state machine sent it: the routing of the synthesized load definition, checked without Salesforce.
 */
function scripted(script: Record<string, Step[]>) {
  const calls: Array<Record<string, unknown>> = [];
  const budgets: number[] = [];
  const handler: LocalHandler = {
    async invoke(event, _runtime, remainingMs) {
      const payload = event as Record<string, unknown>;
      calls.push(payload);
      budgets.push(remainingMs());
      const action = String(payload.action);
      const step = script[action]?.shift();
      if (!step) throw new Error(`no scripted reply left for ${action}`);
      return step(payload);
    },
  };
  return { handler, calls, budgets };
}

const state =
  (status: string, extra: Record<string, unknown> = {}) =>
  () => ({ runId: "r", status, ...extra });

describe("load state machine, run locally from the synthesized definition", () => {
  let offline: ReturnType<typeof offlineRuntime>;
  let runtime: Runtime;

  beforeAll(() => {
    offline = offlineRuntime();
    runtime = offline.runtime;
  });

  afterAll(() => offline.stop());

  it("routes claim, submit, the poll loop, collection, a retry round and finish to success", async () => {
    // Prepare
    const load = scripted({
      claim: [state("submitting")],
      submit: [state("polling", { waitSeconds: 3 }), state("finishing")],
      poll: [state("polling", { waitSeconds: 6 }), state("collecting")],
      results: [state("collecting"), state("retrying", { waitSeconds: 30 })],
      finish: [() => ({ outcome: "succeeded", message: "10 rows loaded." })],
    });
    const runner = await createLocalRunner({ runtime, waitMs: 0, handlers: { load: load.handler } });
    const input = { bucket: "acme-data", key: "lake/inbound/Account/insert/a.csv" };

    // Act
    const execution = await runner.runLoad(input, { name: "manual-load-1" });

    // Assess
    expect(execution.status).toBe("SUCCEEDED");
    expect(execution.output).toEqual({ outcome: "succeeded", message: "10 rows loaded." });
    expect(execution.states).toEqual([
      "Claim file",
      "Next step",
      "Validate and submit",
      "Next step",
      "Wait for load job",
      "Check load job",
      "Next step",
      "Wait for load job",
      "Check load job",
      "Next step",
      "Collect results",
      "Next step",
      "Collect results",
      "Next step",
      "Wait before retry",
      "Validate and submit",
      "Next step",
      "Finish load",
      "Every row loaded?",
      "Load succeeded",
    ]);
    expect(load.calls[0]).toEqual({ action: "claim", runId: "manual-load-1", request: input });
    expect(load.calls[1]).toEqual({ action: "submit", state: { runId: "r", status: "submitting" } });
  });

  it("fails with RowsNotLoaded and the handler's message when rows did not load", async () => {
    // Prepare
    const load = scripted({
      claim: [state("finishing")],
      finish: [() => ({ outcome: "partial", message: "2 of 10 rows failed: see results/." })],
    });
    const runner = await createLocalRunner({ runtime, handlers: { load: load.handler } });

    // Act
    const execution = await runner.runLoad({ bucket: "acme-data", key: "k" });

    // Assess
    expect(execution).toMatchObject({
      status: "FAILED",
      error: "RowsNotLoaded",
      cause: "2 of 10 rows failed: see results/.",
    });
  });

  it("ends a duplicate delivery as 'Already loaded' without loading again", async () => {
    // Prepare
    const load = scripted({ claim: [state("duplicate", { firstRunId: "earlier" })] });
    const runner = await createLocalRunner({ runtime, handlers: { load: load.handler } });

    // Act
    const execution = await runner.runLoad({ bucket: "acme-data", key: "k" });

    // Assess
    expect(execution.status).toBe("SUCCEEDED");
    expect(execution.states).toEqual(["Claim file", "Next step", "Already loaded"]);
    expect(load.calls).toHaveLength(1);
  });

  it("records a failure with the error as Step Functions catches it, then fails with the original error", async () => {
    // Prepare
    const load = scripted({
      claim: [state("submitting")],
      submit: [
        () => {
          throw new DataError("inbound/Account/insert/a.csv line 3: unterminated quote", { line: 3 });
        },
      ],
      fail: [() => ({ outcome: "failed" })],
    });
    const runner = await createLocalRunner({ runtime, handlers: { load: load.handler } });

    // Act
    const execution = await runner.runLoad({ bucket: "acme-data", key: "k" }, { name: "failing-load" });

    // Assess
    const recorded = load.calls.find((call) => call.action === "fail");
    const cause = JSON.stringify({
      errorType: "DataError",
      errorMessage: "inbound/Account/insert/a.csv line 3: unterminated quote",
      trace: [],
    });
    expect(recorded).toEqual({
      action: "fail",
      runId: "failing-load",
      state: { runId: "r", status: "submitting", caught: { Error: "DataError", Cause: cause } },
      error: { Error: "DataError", Cause: cause },
    });
    expect(execution).toMatchObject({ status: "FAILED", error: "DataError", cause });
    expect(execution.states.slice(-2)).toEqual(["Record load failure", "Load failed"]);
  });

  it("retries a transient error by its name and goes on", async () => {
    // Prepare
    const transient = () => {
      throw new TransientError("Salesforce poll failed with HTTP 503");
    };
    const load = scripted({
      claim: [state("polling", { waitSeconds: 1 })],
      poll: [transient, transient, state("finishing")],
      finish: [() => ({ outcome: "succeeded", message: "ok" })],
    });
    const runner = await createLocalRunner({
      runtime,
      waitMs: 0,
      retryIntervalMs: 1,
      handlers: { load: load.handler },
    });

    // Act
    const execution = await runner.runLoad({ bucket: "acme-data", key: "k" });

    // Assess
    expect(execution.status).toBe("SUCCEEDED");
    const retried = execution.events.filter((event) => event.type === "StateRetried");
    expect(retried.map((event) => event.state)).toEqual(["Check load job", "Check load job"]);
  });

  it("sends a status the machine does not know to the failure recording", async () => {
    // Prepare
    const load = scripted({ claim: [state("confused")], fail: [() => ({})] });
    const runner = await createLocalRunner({ runtime, handlers: { load: load.handler } });

    // Act
    const execution = await runner.runLoad({ bucket: "acme-data", key: "k" });

    // Assess
    expect(execution).toMatchObject({ status: "FAILED", error: "UnexpectedStatus" });
    expect(load.calls.at(-1)).toMatchObject({ action: "fail", error: { Error: "UnexpectedStatus" } });
  });

  it("fails on a payload over Step Functions' 256 KiB, which no Catch may swallow", async () => {
    // Prepare
    const load = scripted({
      claim: [state("submitting", { rows: "x".repeat(MAX_PAYLOAD_BYTES) })],
      fail: [() => ({})],
    });
    const runner = await createLocalRunner({ runtime, handlers: { load: load.handler } });

    // Act
    const execution = await runner.runLoad({ bucket: "acme-data", key: "k" });

    // Assess
    expect(execution).toMatchObject({ status: "FAILED", error: "States.DataLimitExceeded" });
    expect(load.calls.map((call) => call.action)).toEqual(["claim"]);
  });

  it("gives each invocation the configured time budget through remainingMs", async () => {
    // Prepare
    const load = scripted({
      claim: [state("finishing")],
      finish: [() => ({ outcome: "succeeded", message: "ok" })],
    });
    const runner = await createLocalRunner({
      runtime,
      invocationBudgetMs: { load: 5000 },
      handlers: { load: load.handler },
    });

    // Act
    await runner.runLoad({ bucket: "acme-data", key: "k" });

    // Assess
    expect(load.budgets).toHaveLength(2);
    for (const budget of load.budgets) {
      expect(budget).toBeGreaterThan(0);
      expect(budget).toBeLessThanOrEqual(5000);
    }
  });

  it("starts loads only for events the inbound rule matches, named after the file, once per version", async () => {
    // Prepare
    const load = scripted({
      claim: [state("finishing"), state("finishing")],
      finish: [
        () => ({ outcome: "succeeded", message: "ok" }),
        () => ({ outcome: "succeeded", message: "ok" }),
      ],
    });
    const runner = await createLocalRunner({ runtime, handlers: { load: load.handler } });
    const event = (bucket: string, key: string, etag = "e1") => ({
      source: "aws.s3",
      "detail-type": "Object Created",
      detail: { bucket: { name: bucket }, object: { key, size: 1, etag, sequencer: "01" } },
    });

    // Act
    const elsewhere = await runner.triggerLoad(
      event("acme-data", "lake/results/Account/insert/a.csv/summary.json"),
    );
    const otherBucket = await runner.triggerLoad(event("other", "lake/inbound/Account/insert/a.csv"));
    const first = await runner.triggerLoad(event("acme-data", "lake/inbound/Account/insert/a.csv"));
    const again = await runner.triggerLoad(event("acme-data", "lake/inbound/Account/insert/a.csv"));
    const newVersion = await runner.triggerLoad(
      event("acme-data", "lake/inbound/Account/insert/a.csv", "e2"),
    );

    // Assess
    expect(elsewhere).toEqual({ status: "ignored" });
    expect(otherBucket).toEqual({ status: "ignored" });
    expect(first).toMatchObject({
      status: "started",
      executionName: expect.stringMatching(/^Account-insert-a-csv-/),
    });
    expect(again).toEqual({
      status: "duplicate",
      executionName: first.status === "started" ? first.executionName : "",
    });
    expect(newVersion.status).toBe("started");
    expect(load.calls.filter((call) => call.action === "claim").map((call) => call.runId)).toEqual([
      first.status === "started" ? first.executionName : "",
      newVersion.status === "started" ? newVersion.executionName : "",
    ]);
  });
});
