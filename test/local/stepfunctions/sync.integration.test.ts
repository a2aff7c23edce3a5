import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index";
import type { Manifest } from "../../../functions/core/extract/manifest";
import type { SyncRunReport, SyncSummary } from "../../../functions/core/extract/sync-summary";
import { clearSessionCache } from "../../../functions/salesforce/client";
import { type LocalEnvironment, startLocalEnvironment } from "../../../local/environment";
import {
  createLocalRunner,
  type LocalExecution,
  type LocalRunner,
} from "../../../local/stepfunctions/state-machine";
import { memoryLog } from "../../support/memory-log";

/** Bulk objects, and Attachment, which the catalog sends through REST (its Body is base64). */
const OBJECTS = ["Account", "Contact", "Invoice__c", "Attachment"];

/**
 * The synthesized sync state machine, run in-process against the Salesforce emulator and the embedded
 * AWS services, with the demo credentials in the local Secrets Manager.
 */
describe("sync through the synthesized state machine", () => {
  let emulator: Emulator;
  let env: LocalEnvironment;
  let runner: LocalRunner;
  const log = memoryLog();

  beforeAll(async () => {
    clearSessionCache();
    emulator = await startEmulator({ bulk: { queuedMs: 5, processingMsPer10k: 5 } });
    env = await startLocalEnvironment({
      connection: "e2e",
      credentials: { ...emulator.credentials, loginUrl: emulator.url },
      // Always Bulk for Bulk objects (no small-window REST shortcut), in small pages, so an object takes
      // several parts and invocations.
      settings: {
        lagSeconds: 0,
        lookbackSeconds: 0,
        restMaxRecords: 0,
        bulkPageRecords: 60,
        restPartRecords: 10,
      },
      prefix: "salesforce/e2e",
      log,
    });
    runner = await createLocalRunner({
      runtime: env.runtime,
      mapConcurrency: 4,
      waitMs: 5,
      retryIntervalMs: 5,
      // Each fetch gets no spare time: one page per invocation, the rest in continuations.
      invocationBudgetMs: { extract: 1 },
    });
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
    await emulator?.stop();
    clearSessionCache();
  });

  async function manifestOf(key: string | undefined): Promise<Manifest> {
    if (!key) throw new Error("no manifest key");
    const bytes = await env.runtime.store.get(key);
    if (!bytes) throw new Error(`no manifest at ${key}`);
    return JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
  }

  /** The run summary (a failed execution has no output to point to it). */
  async function reportOf(execution: LocalExecution): Promise<SyncRunReport> {
    const key = env.runtime.layout.runSummary(execution.name);
    const bytes = await env.runtime.store.get(key);
    if (!bytes) throw new Error(`no run summary at ${key}`);
    return JSON.parse(new TextDecoder().decode(bytes)) as SyncRunReport;
  }

  let firstRun: LocalExecution;
  const cursorsAfterFirstRun = new Map<string, string | undefined>();

  it("extracts every object in full, each across several invocations, and commits its cursor", async () => {
    // Act
    firstRun = await runner.runSync({ objects: OBJECTS, mode: "full_refresh" }, { name: "full-1" });

    // Assess
    expect(firstRun.status, `${firstRun.error}: ${firstRun.cause}`).toBe("SUCCEEDED");
    const output = firstRun.output as SyncSummary;
    expect(output).toMatchObject({
      runId: "full-1",
      objects: 4,
      succeeded: 4,
      failed: 0,
      summaryKey: "salesforce/e2e/runs/full-1/summary.json",
    });
    const report = await reportOf(firstRun);
    expect(report.manifests).toHaveLength(4);
    const resultOf = (object: string) => report.outcomes.find((outcome) => outcome.object === object);
    for (const object of OBJECTS) {
      const result = resultOf(object);
      expect(result).toMatchObject({ status: "succeeded", records: emulator.org.count(object) });
      const manifest = await manifestOf(result?.manifestKey);
      expect(manifest.totals.records, object).toBe(emulator.org.count(object));
      expect(manifest.mode).toBe("full_refresh");
      const state = await env.runtime.state.get({ connection: "e2e", object });
      expect(state).toMatchObject({
        lastRunId: "full-1",
        lastStatus: "succeeded",
        cursor: manifest.cursorAfter,
      });
      expect(state?.leaseHolder).toBeUndefined();
      cursorsAfterFirstRun.set(object, state?.cursor);
    }
    const accounts = await manifestOf(resultOf("Account")?.manifestKey);
    expect(accounts.api).toBe("bulk");
    expect(accounts.parts.length).toBe(Math.ceil(emulator.org.count("Account") / 60));
    expect((await manifestOf(resultOf("Attachment")?.manifestKey)).api).toBe("rest");
    // Each object ran as a child execution of the Distributed Map, with a history of its own.
    expect(firstRun.states).toEqual([
      "Discover objects",
      "Extract each object",
      "Summarize run",
      "Any object failed?",
      "Sync succeeded",
    ]);
    expect(firstRun.children).toHaveLength(OBJECTS.length);
    const childStates = firstRun.children.flatMap((child) => child.states);
    // One "Download pages" per part at least: the fetches really continued across invocations.
    const downloads = childStates.filter((state) => state === "Download pages").length;
    expect(downloads).toBeGreaterThanOrEqual(accounts.parts.length);
    // Each committed object is merged into its current-state table, in the same child.
    expect(childStates.filter((state) => state === "Merge into lake")).toHaveLength(OBJECTS.length);
    expect(childStates.filter((state) => state === "Object done")).toHaveLength(OBJECTS.length);
    // Histories: the parent's does not grow with objects or pages; a child's grows with its own pages.
    expect(firstRun.historyEvents).toBe(22);
    for (const child of firstRun.children) {
      const ownStates = child.states.length;
      expect(child.historyEvents, child.name).toBeGreaterThanOrEqual(2 + 2 * ownStates);
      expect(child.historyEvents, child.name).toBeLessThan(25_000);
    }
    // Every line the run's invocations logged names the run, and every extract line its object.
    const extractLines = log.lines.filter((line) => line.message.startsWith("extract"));
    expect(extractLines.length).toBeGreaterThan(OBJECTS.length);
    for (const line of log.lines) expect(line.extra?.runId, line.message).toBe("full-1");
    for (const line of extractLines) expect(OBJECTS, line.message).toContain(line.extra?.object);
  }, 120_000);

  it("syncs incrementally; an object that keeps failing is reported while the others commit", async () => {
    // Prepare: a few changed rows, and Attachment's REST query refused for the org's API limit.
    expect(firstRun?.status).toBe("SUCCEEDED");
    const touched = [
      ...emulator.org.query("SELECT Id FROM Account LIMIT 3", { includeDeleted: false }).rows(),
    ].map((row) => row.id);
    emulator.org.touch("Account", touched);
    emulator.org.clock.advance(2000);
    emulator.faults.clearFired();
    emulator.faults.add({
      id: "limit",
      kind: "query",
      times: 1000,
      action: { type: "requestLimitExceeded" },
    });

    try {
      // Act
      const run = await runner.runSync({ objects: OBJECTS }, { name: "incremental-2" });

      // Assess: the execution fails with SyncFailed naming Attachment and why.
      expect(run.status).toBe("FAILED");
      expect(run.error).toBe("SyncFailed");
      expect(run.cause).toMatch(/1 of 4 objects failed: Attachment \(RateLimitError: /);
      // The run summary has every outcome, the failure's message read back from the run's folder.
      const report = await reportOf(run);
      expect(report).toMatchObject({ runId: "incremental-2", objects: 4, succeeded: 3, failed: 1 });
      expect(report.manifests).toHaveLength(3);
      expect(report.outcomes.find((outcome) => outcome.object === "Attachment")).toMatchObject({
        status: "failed",
        error: expect.stringMatching(
          /^RateLimitError: Salesforce refused query \(Attachment\): TotalRequests Limit exceeded/,
        ),
      });
      // The first attempt and the three retries the state machine allows RateLimitError.
      expect(emulator.faults.fired().filter((fault) => fault.ruleId === "limit")).toHaveLength(4);

      const summary = run.events.find((event) => event.type === "ExecutionFailed");
      expect(summary?.error).toBe("SyncFailed");
      const changed = await manifestOf(
        (await env.runtime.state.get({ connection: "e2e", object: "Account" }))?.lastManifestKey,
      );
      expect(changed).toMatchObject({ runId: "incremental-2", mode: "incremental", totals: { records: 3 } });
      expect(changed.cursorBefore).toBe(cursorsAfterFirstRun.get("Account"));
      for (const object of ["Contact", "Invoice__c"]) {
        const state = await env.runtime.state.get({ connection: "e2e", object });
        expect(state, object).toMatchObject({ lastRunId: "incremental-2", lastStatus: "succeeded" });
        expect((await manifestOf(state?.lastManifestKey)).totals.records, object).toBe(0);
      }
      const failed = await env.runtime.state.get({ connection: "e2e", object: "Attachment" });
      expect(failed).toMatchObject({ lastRunId: "incremental-2", lastStatus: "failed" });
      expect(failed?.cursor).toBe(cursorsAfterFirstRun.get("Attachment"));
      expect(failed?.leaseHolder).toBeUndefined();
    } finally {
      emulator.faults.remove("limit");
    }
  }, 120_000);

  it("refuses a second execution with a name already used, as Step Functions does", async () => {
    // Act
    const again = runner.runSync({ objects: ["Account"] }, { name: "full-1" });

    // Assess
    await expect(again).rejects.toMatchObject({ name: "ExecutionAlreadyExists" });
  });
});
