import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../emulator/index";
import { createDemoOrg } from "../../emulator/org/demo";
import type { Org } from "../../emulator/org/types";
import { LOCAL_REGION } from "../../functions/aws/clients";
import type { SyncRunReport } from "../../functions/core/extract/sync-summary";
import { extractHandler } from "../../functions/extract/handler";
import { loadHandler } from "../../functions/load/handler";
import { clearSessionCache } from "../../functions/salesforce/client";
import type { ObjectCreatedEvent } from "../../local/aws/s3";
import { toEventBridgeEvent } from "../../local/aws/s3-event";
import { type LocalEnvironment, startLocalEnvironment } from "../../local/environment";
import {
  createLocalRunner,
  type LocalExecution,
  type LocalHandler,
} from "../../local/stepfunctions/state-machine";
import { LOCAL_ACCOUNT } from "../../local/stepfunctions/synthesized-stack";
import { checkLoadedFile } from "./campaign-load-checks";
import type { PlannedFile } from "./campaign-load-files";
import { RunObserver } from "./campaign-observe";
import { SyncChecker } from "./campaign-sync-checks";

const T0 = Date.parse("2026-06-01T12:00:00.000Z");
const silentLog = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Holds an action back until `parties` invocations of it (for the same key) have arrived, then lets
 * them all go at once, so that they really race (a timer releases them if fewer ever come).
 */
function barrier(
  inner: LocalHandler,
  action: string,
  keyOf: (event: Record<string, unknown>) => string,
  parties: number,
): LocalHandler {
  const waiting = new Map<string, { arrived: number; release: () => void; gate: Promise<void> }>();
  return {
    async invoke(event, runtime, remainingMs) {
      const payload = event as Record<string, unknown>;
      if (payload.action === action) {
        const key = keyOf(payload);
        let entry = waiting.get(key);
        if (!entry) {
          let release = () => {};
          const gate = new Promise<void>((resolve) => {
            release = resolve;
          });
          entry = { arrived: 0, release, gate };
          waiting.set(key, entry);
          setTimeout(release, 10_000).unref();
        }
        entry.arrived += 1;
        if (entry.arrived >= parties) entry.release();
        await entry.gate;
      }
      return inner.invoke(event, runtime, remainingMs);
    },
  };
}

describe("overlapping syncs of the same objects", () => {
  const OBJECTS = ["Account", "Case", "Invoice__c", "Attachment"];
  let emulator: Emulator;
  let env: LocalEnvironment;
  let org: Org;

  beforeAll(async () => {
    clearSessionCache();
    org = createDemoOrg({ seed: 21, now: T0 });
    org.clock.set(T0, { frozen: true });
    emulator = await startEmulator({ org, bulk: { queuedMs: 2, processingMsPer10k: 1 } });
    env = await startLocalEnvironment({
      connection: "overlap",
      prefix: "overlap",
      credentials: { ...emulator.credentials, loginUrl: emulator.url },
      settings: { lagSeconds: 0, lookbackSeconds: 60, bulkPageRecords: 50, restMaxRecords: 20 },
      log: silentLog,
    });
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
    await emulator?.stop();
    clearSessionCache();
  });

  it("lets one run extract each object, fails the other with a lease error, and loses or doubles nothing", async () => {
    // Prepare: every object's start waits until both executions reach it.
    const observer = new RunObserver();
    const raced = barrier(
      extractHandler,
      "start",
      (event) => String((event.task as { object: string }).object),
      2,
    );
    const runner = await createLocalRunner({
      runtime: env.runtime,
      waitMs: 1,
      retryIntervalMs: 1,
      handlers: { extract: observer.wrap(raced) },
    });
    const checker = new SyncChecker({
      org,
      store: env.runtime.store,
      state: env.runtime.state,
      layout: env.runtime.layout,
      connection: "overlap",
      objects: OBJECTS,
    });

    // Act
    const [first, second] = await Promise.all([
      runner.runSync({ objects: OBJECTS }, { name: "overlap-a" }),
      runner.runSync({ objects: OBJECTS }, { name: "overlap-b" }),
    ]);
    const checks = await Promise.all(
      [first, second].map((execution) =>
        checker.afterRun(execution as LocalExecution, {
          label: execution?.name ?? "",
          mustSucceed: false,
          // The other execution moves the cursors of the objects this one lost.
          strictFailures: false,
          cursorsBefore: new Map(),
          reported: observer.resultsOf(execution?.name ?? ""),
        }),
      ),
    );
    org.clock.set(T0 + 3_600_000, { frozen: true });
    const repair = await runner.runSync({ objects: OBJECTS }, { name: "overlap-c" });
    const afterRepair = await checker.afterRun(repair, {
      label: "overlap-c",
      mustSucceed: true,
      strictFailures: true,
      cursorsBefore: new Map(),
      reported: observer.resultsOf("overlap-c"),
    });

    // Assess: per object, one winner and one LeaseConflictError; the winner's state stands.
    // An execution that lost any object fails loudly, naming it; it may have won the others.
    expect([first, second].filter((execution) => execution?.status === "FAILED").length).toBeGreaterThan(0);
    for (const object of OBJECTS) {
      const a = observer.resultsOf("overlap-a").get(object);
      const b = observer.resultsOf("overlap-b").get(object);
      const statuses = [a?.status, b?.status].sort();
      expect(statuses, object).toEqual(["failed", "succeeded"]);
      const loser = a?.status === "failed" ? a : b;
      const winner = a?.status === "failed" ? "overlap-b" : "overlap-a";
      expect(loser?.errorName, object).toBe("LeaseConflictError");
      // The message, in the losing run's summary.
      const loserRun = winner === "overlap-a" ? "overlap-b" : "overlap-a";
      const summary = await env.runtime.store.get(env.runtime.layout.runSummary(loserRun));
      const outcome = (JSON.parse(new TextDecoder().decode(summary)) as SyncRunReport).outcomes.find(
        (candidate) => candidate.object === object,
      );
      expect(outcome?.error, object).toMatch(
        new RegExp(`^LeaseConflictError: .*being synced by run ${winner}`),
      );
      const state = await env.runtime.state.get({ connection: "overlap", object });
      expect(state, object).toMatchObject({ lastRunId: "overlap-c", lastStatus: "succeeded" });
    }
    expect(checks.flatMap((check) => check.violations)).toEqual([]);
    expect(repair.status).toBe("SUCCEEDED");
    expect(afterRepair.violations).toEqual([]);
    expect(afterRepair.recordsChecked).toBeGreaterThan(300);
  });
});

describe("one inbound file announced several times at once", () => {
  let emulator: Emulator;
  let env: LocalEnvironment;
  let org: Org;
  const created: ObjectCreatedEvent[] = [];

  beforeAll(async () => {
    clearSessionCache();
    org = createDemoOrg({ seed: 22, now: T0 });
    org.clock.set(T0, { frozen: true });
    emulator = await startEmulator({ org, bulk: { queuedMs: 2, processingMsPer10k: 1 } });
    env = await startLocalEnvironment({
      connection: "announce",
      prefix: "announce",
      credentials: { ...emulator.credentials, loginUrl: emulator.url },
      log: silentLog,
    });
    env.aws?.s3.onObjectCreated((event) => created.push(event));
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
    await emulator?.stop();
    clearSessionCache();
  });

  for (const [api, collectionsMaxRows] of [
    ["sObject Collections", 2000],
    ["Bulk API 2.0", 0],
  ] as const) {
    it(`loads it once through ${api}: concurrent triggers and direct starts end as duplicates`, async () => {
      // Prepare
      const rows = 25;
      const tag = collectionsMaxRows === 0 ? "B" : "C";
      const key = `announce/inbound/Account/insert/twice-${tag}.csv`;
      const tokens = Array.from({ length: rows }, (_, index) => `ANN${tag}-${index}`);
      const body = ["Name,ERP_Id__c", ...tokens.map((token) => `Announced ${token},${token}`)].join("\n");
      const before = created.length;
      await env.clients.s3.send(
        new PutObjectCommand({ Bucket: env.runtime.config.bucket, Key: key, Body: body }),
      );
      const put = created.slice(before).find((event) => event.key === key) as ObjectCreatedEvent;
      const event = toEventBridgeEvent(put, { account: LOCAL_ACCOUNT, region: LOCAL_REGION });
      const runtime = {
        ...env.runtime,
        config: {
          ...env.runtime.config,
          settings: {
            ...env.runtime.config.settings,
            load: {
              ...env.runtime.config.settings.load,
              collectionsMaxRows,
              pollFirstSeconds: 1,
              pollMaxSeconds: 1,
            },
          },
        },
      };
      // Every claim waits until all four executions that start have reached theirs.
      const raced = barrier(loadHandler, "claim", () => key, 4);
      const runner = await createLocalRunner({
        runtime,
        waitMs: 1,
        retryIntervalMs: 1,
        handlers: { load: raced },
      });

      // Act
      const started = await Promise.all([
        runner.triggerLoad(event),
        runner.triggerLoad(event),
        runner.triggerLoad(event),
        runner.runLoad(event, { name: `direct-event-${tag}` }),
        runner.runLoad({ bucket: env.runtime.config.bucket, key }, { name: `direct-manual-${tag}` }),
        runner.runLoad({ bucket: env.runtime.config.bucket, key }, { name: `direct-manual-again-${tag}` }),
      ]);
      const executions = started.flatMap((result) =>
        "executionArn" in result ? [result] : result.status === "started" ? [result.execution] : [],
      );
      const plan: PlannedFile = {
        key,
        operation: "insert",
        format: "csv",
        body: new Uint8Array(),
        rows: tokens.map((token, index) => ({
          line: index + 2,
          token,
          kind: "valid",
          name: `Announced ${token}`,
        })),
        tokenColumn: "ERP_Id__c",
        lockable: [],
      };
      const checked = await checkLoadedFile({
        label: api,
        file: plan,
        bucket: env.runtime.config.bucket,
        resultsFolder: env.runtime.layout.resultsFolder(key),
        version: put.eTag,
        store: env.runtime.store,
        state: env.runtime.state,
        org,
      });

      // Assess: two of the three deliveries never started; of the four executions, one loaded.
      expect(
        started.filter((result) => !("executionArn" in result) && result.status === "duplicate"),
      ).toHaveLength(2);
      expect(executions).toHaveLength(4);
      const loaders = executions.filter((execution) => execution.states.includes("Validate and submit"));
      expect(loaders).toHaveLength(1);
      for (const execution of executions) {
        expect(execution.status, execution.name).toBe("SUCCEEDED");
        if (execution !== loaders[0]) expect(execution.states.at(-1), execution.name).toBe("Already loaded");
      }
      expect(checked).toMatchObject({ violations: [], rowsAccounted: rows, finished: true });
      for (const token of tokens) {
        const ids = [
          ...org
            .query(`SELECT Id FROM Account WHERE ERP_Id__c = '${token}'`, { includeDeleted: true })
            .rows(),
        ];
        expect(ids, token).toHaveLength(1);
      }
    });
  }
});
