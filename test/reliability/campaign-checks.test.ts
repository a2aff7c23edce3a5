import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../emulator/index";
import { createDemoOrg } from "../../emulator/org/demo";
import { demoObjects } from "../../emulator/org/demo-schema";
import { createOrg } from "../../emulator/org/org";
import type { Org } from "../../emulator/org/types";
import { sqlString } from "../../functions/core/lake/merge-sql";
import { clearSessionCache } from "../../functions/salesforce/client";
import { type LocalEnvironment, startLocalEnvironment } from "../../local/environment";
import { openDuckDb } from "../../local/lake/duckdb-engine";
import {
  createLocalRunner,
  type LocalExecution,
  type LocalHandler,
  type LocalRunner,
} from "../../local/stepfunctions/state-machine";
import { readLanded } from "./campaign-landed";
import { checkLoadedFile } from "./campaign-load-checks";
import type { PlannedFile } from "./campaign-load-files";
import { type ReportedResult, RunObserver } from "./campaign-observe";
import { SyncChecker } from "./campaign-sync-checks";

/**
 * The campaigns are only as good as their invariants: each check is shown to fire on the damage it is
 * there to catch, on data a real run landed.
 */
const T0 = Date.parse("2026-06-01T12:00:00.000Z");
const silentLog = { debug() {}, info() {}, warn() {}, error() {} };
const OBJECTS = ["Case", "Invoice__c"];

/** A Parquet file rewritten by DuckDB: `select` reads the original from the relation it is given. */
async function rewriteParquet(bytes: Uint8Array, select: (source: string) => string): Promise<Uint8Array> {
  const folder = await mkdtemp(join(tmpdir(), "campaign-checks-"));
  const db = await openDuckDb();
  try {
    const input = join(folder, "in.parquet");
    const output = join(folder, "out.parquet");
    await writeFile(input, bytes);
    await db.connection.run(
      `COPY (${select(`read_parquet(${sqlString(input)})`)}) TO ${sqlString(output)} (FORMAT parquet)`,
    );
    return await readFile(output);
  } finally {
    db.close();
    await rm(folder, { recursive: true, force: true });
  }
}

describe("sync invariants catch what they claim to", () => {
  let emulator: Emulator;
  let env: LocalEnvironment;
  let org: Org;
  let checker: SyncChecker;
  let execution: LocalExecution;
  let reported: Map<string, ReportedResult>;

  beforeAll(async () => {
    clearSessionCache();
    org = createDemoOrg({ seed: 3, now: T0 });
    org.clock.set(T0, { frozen: true });
    emulator = await startEmulator({ org, bulk: { queuedMs: 2, processingMsPer10k: 1 } });
    env = await startLocalEnvironment({
      connection: "checks",
      prefix: "checks",
      credentials: { ...emulator.credentials, loginUrl: emulator.url },
      settings: { lagSeconds: 0, lookbackSeconds: 60, bulkPageRecords: 40, restMaxRecords: 0 },
      log: silentLog,
    });
    const observer = new RunObserver();
    const { extractHandler } = await import("../../functions/extract/handler");
    const runner = await createLocalRunner({
      runtime: env.runtime,
      waitMs: 1,
      retryIntervalMs: 1,
      handlers: { extract: observer.wrap(extractHandler) },
    });
    execution = await runner.runSync({ objects: OBJECTS }, { name: "checks-1" });
    reported = observer.resultsOf("checks-1");
    checker = new SyncChecker({
      org,
      store: env.runtime.store,
      state: env.runtime.state,
      layout: env.runtime.layout,
      connection: "checks",
      objects: OBJECTS,
    });
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
    await emulator?.stop();
    clearSessionCache();
  });

  const check = (overrides: Partial<Parameters<SyncChecker["afterRun"]>[1]> = {}) =>
    checker.afterRun(execution, {
      label: "check",
      mustSucceed: false,
      strictFailures: true,
      cursorsBefore: new Map(),
      reported,
      ...overrides,
    });

  async function firstPart(object: string): Promise<{ key: string; bytes: Uint8Array }> {
    const landed = await readLanded(env.runtime.store, env.runtime.layout.prefix, object);
    const key = landed.runs[0]?.manifest.parts[0]?.key as string;
    return { key, bytes: (await env.runtime.store.get(key)) as Uint8Array };
  }

  it("finds nothing wrong with an honest run", async () => {
    // Act
    const result = await check({ mustSucceed: true });

    // Assess
    expect(execution.status).toBe("SUCCEEDED");
    expect(result.violations).toEqual([]);
    expect(result.recordsChecked).toBeGreaterThan(2 * 160);
    // Invariants 2, 3 and 4 compare every record of the org once each, 7 every live one (in its table).
    let expected = 0;
    for (const object of OBJECTS) {
      const count = (includeDeleted: boolean) =>
        [...org.query(`SELECT Id FROM ${object}`, { includeDeleted }).rows()].length;
      expected += 3 * count(true) + count(false);
    }
    expect(result.recordsChecked).toBe(expected);
  });

  it("catches a current-state table unlike the org: a record missing, a value changed, one twice, one unknown", async () => {
    // Prepare: the table as the merge wrote it, rewritten.
    const state = await env.runtime.state.get({ connection: "checks", object: "Invoice__c" });
    const key = env.runtime.layout.localLakeTable("Invoice__c", state?.lake?.duckdb?.mergedSeq as number);
    const bytes = (await env.runtime.store.get(key)) as Uint8Array;
    const [gone, changed, twice] = [
      ...org.query("SELECT Id FROM Invoice__c LIMIT 3", { includeDeleted: false }).rows(),
    ].map((row) => row.id);
    const unknown = "a0Xzz0000000000AAA";
    await env.runtime.store.put(
      key,
      await rewriteParquet(bytes, (source) =>
        [
          `SELECT * REPLACE (CASE WHEN "id" = '${changed}' THEN 'Tampered' ELSE "notes__c" END AS "notes__c")`,
          `FROM ${source} WHERE "id" <> '${gone}'`,
          `UNION ALL SELECT * FROM ${source} WHERE "id" = '${twice}'`,
          `UNION ALL SELECT * REPLACE ('${unknown}' AS "id") FROM ${source} WHERE "id" = '${twice}'`,
        ].join(" "),
      ),
    );

    // Act
    const result = await check();
    await env.runtime.store.put(key, bytes);
    const restored = await check();

    // Assess
    const text = result.violations.join("\n");
    expect(text).toMatch(
      new RegExp(`Invoice__c: ${gone} \\(stamp .*\\) is live in the org, not in the current-state table`),
    );
    expect(text).toMatch(
      new RegExp(`Invoice__c: ${changed} in the current-state table differs: Notes__c: landed "Tampered"`),
    );
    expect(text).toMatch(new RegExp(`Invoice__c: the current-state table holds ${twice} twice`));
    expect(text).toMatch(
      new RegExp(`Invoice__c: the current-state table holds ${unknown}, which the org never had`),
    );
    expect(result.violations).toHaveLength(4);
    expect(restored.violations).toEqual([]);
  });

  it("catches a part that is not whole", async () => {
    // Prepare: a Parquet part (the default format) cut short.
    const { key, bytes } = await firstPart("Case");
    await env.runtime.store.put(key, bytes.subarray(0, bytes.length - 9));

    // Act
    const result = await check();
    await env.runtime.store.put(key, bytes);

    // Assess
    expect(key).toMatch(/\.parquet$/);
    expect(result.violations.join("\n")).toMatch(/Case: .*part-.* is not a readable Parquet file/);
  });

  it("catches a record missing from a run that reported success", async () => {
    // Prepare: the part keeps all but its first row.
    const { key, bytes } = await firstPart("Invoice__c");
    await env.runtime.store.put(
      key,
      await rewriteParquet(bytes, (source) => `SELECT * FROM ${source} OFFSET 1`),
    );

    // Act
    const result = await check();
    await env.runtime.store.put(key, bytes);

    // Assess
    const text = result.violations.join("\n");
    expect(text).toMatch(/holds 39 records, its manifest says 40/);
    expect(text).toMatch(/is in the window but not in the run/);
    expect(text).toMatch(/cursor .* is past .*never landed/);
  });

  it("catches a landed version that differs from the org's", async () => {
    // Prepare: the org's record changes without its stamp moving.
    const [row] = [
      ...org.query("SELECT Id, SystemModstamp FROM Case LIMIT 1", { includeDeleted: false }).rows(),
    ];
    const id = row?.id as string;
    const before = org.get("Case", id);
    org.clock.set(row?.values[1] as number, { frozen: true });
    org.update("Case", { Id: id, Subject: "Changed behind the cursor's back" }, "json");
    org.clock.set(T0, { frozen: true });

    // Act
    const result = await check();
    org.clock.set(row?.values[1] as number, { frozen: true });
    org.update("Case", { Id: id, Subject: before?.Subject ?? null }, "json");
    org.clock.set(T0, { frozen: true });

    // Assess
    expect(result.violations.join("\n")).toMatch(new RegExp(`${id}.*Subject: landed`));
  });

  it("catches a cursor past a record that changed before it, unless the change is a known late one", async () => {
    // Prepare: a record stamped just before the cursor, later than the version that landed.
    const cursor = Date.parse(
      (await env.runtime.state.get({ connection: "checks", object: "Case" }))?.cursor as string,
    );
    const [row] = [...org.query("SELECT Id FROM Case LIMIT 1", { includeDeleted: false }).rows()];
    org.touch("Case", [row?.id as string], { at: cursor - 10_000 });

    // Act: the run's own success claim is left out, since the org changed after it.
    const caught = await check({ reported: new Map() });
    checker.touchedLate("Case", row?.id as string);
    const exempt = await check({ reported: new Map() });

    // Assess
    expect(caught.violations.join("\n")).toMatch(/cursor .* is past .* landed is older/);
    expect(exempt.violations.join("\n")).not.toMatch(/is past/);
  });

  it("catches a success claim whose manifest never landed, and a lease left held", async () => {
    // Prepare
    const lying = new Map(reported);
    lying.set("Invoice__c", {
      object: "Invoice__c",
      status: "succeeded",
      manifestKey: "nowhere/_manifest.json",
    });
    await env.runtime.state.acquireLease(
      { connection: "checks", object: "Invoice__c" },
      "ghost-run",
      60_000,
      Date.now(),
    );

    // Act
    const result = await check({ reported: lying });
    await env.runtime.state.release({ connection: "checks", object: "Invoice__c" }, "ghost-run", {
      status: "failed",
    });

    // Assess
    const text = result.violations.join("\n");
    expect(text).toMatch(
      /Invoice__c: reported succeeded but its manifest nowhere\/_manifest.json did not land/,
    );
    expect(text).toMatch(/the lease of run ghost-run is still held/);
  });
  it("catches a successful execution whose merge never ran (last: it leaves the lake behind)", async () => {
    // Prepare: a record changes, then a second sync whose lake step answers done without merging.
    const { extractHandler } = await import("../../functions/extract/handler");
    org.clock.set(T0 + 10 * 60_000, { frozen: true });
    const [row] = [...org.query("SELECT Id FROM Invoice__c LIMIT 1", { includeDeleted: false }).rows()];
    org.update("Invoice__c", { Id: row?.id, Notes__c: "Changed after the first sync" }, "json");
    org.clock.set(T0 + 20 * 60_000, { frozen: true });
    const observer = new RunObserver();
    const idle: LocalHandler = {
      async invoke(event) {
        const { task } = event as { task: Record<string, unknown> };
        return { ...task, status: "done", mergedSeq: 0, runs: 0, polls: 0, waitSeconds: 0 };
      },
    };
    const runner = await createLocalRunner({
      runtime: env.runtime,
      waitMs: 1,
      retryIntervalMs: 1,
      handlers: { extract: observer.wrap(extractHandler), lake: idle },
    });
    const second = await runner.runSync({ objects: OBJECTS }, { name: "checks-2" });

    // Act
    const result = await checker.afterRun(second, {
      label: "check",
      mustSucceed: true,
      strictFailures: true,
      cursorsBefore: new Map(),
      reported: observer.resultsOf("checks-2"),
    });

    // Assess
    expect(second.status).toBe("SUCCEEDED");
    const text = result.violations.join("\n");
    for (const object of OBJECTS) {
      expect(text).toMatch(
        new RegExp(`${object}: the current-state table is merged through commit 1, the last commit is 2`),
      );
    }
    expect(text).toMatch(
      new RegExp(`Invoice__c: ${row?.id} in the current-state table differs: .*Notes__c: landed "`),
    );
  });
});

describe("load invariants catch what they claim to", () => {
  let emulator: Emulator;
  let env: LocalEnvironment;
  let runner: LocalRunner;
  let org: Org;
  const key = "inbound/Account/insert/checked.csv";
  const file: PlannedFile = {
    key,
    operation: "insert",
    format: "csv",
    body: new Uint8Array(),
    rows: [
      { line: 2, token: "CHK-1", kind: "valid", name: "One" },
      { line: 3, token: "CHK-2", kind: "valid", name: "Two" },
      { line: 4, token: "CHK-3", kind: "rejected" },
    ],
    tokenColumn: "ERP_Id__c",
    lockable: [],
  };

  beforeAll(async () => {
    clearSessionCache();
    org = createOrg({ seed: 4, now: T0, frozen: true, objects: demoObjects() });
    emulator = await startEmulator({ org });
    env = await startLocalEnvironment({
      connection: "checks",
      credentials: { ...emulator.credentials, loginUrl: emulator.url },
      settings: { load: { retryWaitSeconds: 0, pollFirstSeconds: 1, pollMaxSeconds: 1 } },
      log: silentLog,
    });
    runner = await createLocalRunner({ runtime: env.runtime, waitMs: 1, retryIntervalMs: 1 });
    await env.runtime.store.put(
      key,
      "Name,ERP_Id__c,NumberOfEmployees\nOne,CHK-1,1\nTwo,CHK-2,2\nThree,CHK-3,3x\n",
    );
    await runner.runLoad({ bucket: env.runtime.config.bucket, key }, { name: "checked" });
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
    await emulator?.stop();
    clearSessionCache();
  });

  const check = async () =>
    checkLoadedFile({
      label: "check",
      file,
      bucket: env.runtime.config.bucket,
      resultsFolder: env.runtime.layout.resultsFolder(key),
      version: (await env.runtime.store.head(key))?.etag as string,
      store: env.runtime.store,
      state: env.runtime.state,
      org,
    });

  const successKey = () => `${env.runtime.layout.resultsFolder(key)}success.csv`;
  const failedKey = () => `${env.runtime.layout.resultsFolder(key)}failed.csv`;

  it("finds nothing wrong with an honest load", async () => {
    // Act
    const result = await check();

    // Assess
    expect(result).toMatchObject({ violations: [], rowsAccounted: 3, finished: true });
  });

  it("catches a row missing from the results and a row reported twice", async () => {
    // Prepare
    const success = (await env.runtime.store.get(successKey())) as Uint8Array;
    const failed = (await env.runtime.store.get(failedKey())) as Uint8Array;
    const lines = new TextDecoder().decode(success).trimEnd().split("\r\n");
    await env.runtime.store.put(successKey(), `${lines.slice(0, 2).join("\r\n")}\r\n`);
    const [header] = new TextDecoder().decode(failed).split("\r\n");
    await env.runtime.store.put(failedKey(), `${header}\r\n${lines[1]?.replace(/^[^,]*,[^,]*,/, ",x,")}\r\n`);

    // Act
    const result = await check();
    await env.runtime.store.put(successKey(), success);
    await env.runtime.store.put(failedKey(), failed);

    // Assess
    const text = result.violations.join("\n");
    expect(text).toMatch(/success.csv holds 1 rows, summary.json counts 2/);
    expect(text).toMatch(/row CHK-2 \(line 3\) is in no result file/);
    expect(text).toMatch(/is in both success.csv and failed.csv/);
  });

  it("catches a record created twice", async () => {
    // Prepare
    const twin = org.insert("Account", { Name: "Twin", ERP_Id__c: "CHK-1" }, "json").id as string;

    // Act
    const result = await check();
    org.hardDelete("Account", twin);

    // Assess
    expect(result.violations.join("\n")).toMatch(
      /row CHK-1 .*2 records carry its token, it was written twice/,
    );
  });
});
