/**
 * The lake end to end on one machine: a sync of the demo org through the extract handler, then the lake
 * handler's merge (as the sync state machine runs it after each commit), then SQL over the local lake:
 * the current-state tables hold the org's live rows value for value, the change logs every landed row.
 */
import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CatalogStream } from "../../../functions/core/catalog";
import { readStream } from "../../../functions/core/catalog-store";
import type { Manifest } from "../../../functions/core/extract/manifest";
import type { LakeEngine } from "../../../functions/core/lake/lake-engine";
import { lakeColumns } from "../../../functions/core/lake/lake-names";
import type { Runtime } from "../../../functions/runtime/runtime";
import { applyDemoChanges } from "../../../local/demo/changes";
import { openRuntimeLake } from "../../../local/lake/local-lake";
import { driveMerge, driveSync } from "../../support/drive";
import { type Harness, startHarness } from "../../support/harness";

const OBJECTS = ["Account", "Contact"];

describe("the local lake", () => {
  let harness: Harness;
  let runtime: Runtime;
  const catalogKeys = new Map<string, string>();
  let runs = 0;

  /** A sync of the objects, then each object's merge; returns the merge outcomes. */
  async function syncAndMerge(mode: "full_refresh" | "incremental", lake: Runtime = runtime) {
    runs += 1;
    const runId = `sync-${runs}`;
    const summaries = await driveSync(runtime, runId, { objects: OBJECTS, mode });
    for (const summary of summaries.values()) expect(summary.status).toBe("succeeded");
    const catalog = JSON.parse(
      new TextDecoder().decode(await runtime.store.get(runtime.layout.catalogIndex())),
    ) as { streams: Record<string, { key: string }> };
    for (const object of OBJECTS) catalogKeys.set(object, catalog.streams[object]?.key ?? "");
    const merges = new Map<string, Awaited<ReturnType<typeof driveMerge>>>();
    for (const object of OBJECTS) {
      merges.set(
        object,
        await driveMerge(lake, { runId, object, catalogKey: catalogKeys.get(object) ?? "" }),
      );
    }
    return { runId, summaries, merges };
  }

  async function query<T = Record<string, DuckDBValue>>(sql: string): Promise<T[]> {
    const lake = await openRuntimeLake(runtime);
    try {
      return (await lake.connection.runAndReadAll(sql)).getRowObjects() as T[];
    } finally {
      lake.close();
    }
  }

  async function streamOf(object: string): Promise<CatalogStream> {
    return readStream(runtime.store, catalogKeys.get(object) ?? "");
  }

  /** A lake value as the org keeps it (datetimes epoch ms, dates and times text, numbers numbers). */
  function orgForm(value: DuckDBValue): unknown {
    if (value instanceof DuckDBTimestampValue) return Number(value.micros / 1000n);
    if (value instanceof DuckDBDateValue) return value.toString();
    if (value instanceof DuckDBDecimalValue) return Number(value.toString());
    if (typeof value === "bigint") return Number(value);
    return value;
  }

  /** The current-state table and the org's live rows, both as [Id, values by field] sorted by Id. */
  async function compare(object: string) {
    const stream = await streamOf(object);
    const columns = lakeColumns(stream);
    const table = object.toLowerCase();
    const lakeRows = (await query(`SELECT * FROM "${table}"`)).map((row) =>
      Object.fromEntries(columns.map((column) => [column.field, orgForm(row[column.name] ?? null)])),
    );
    const result = harness.emulator.org.query(`SELECT ${stream.selectFields.join(", ")} FROM ${object}`, {
      includeDeleted: false,
    });
    const orgRows = [...result.rows()].map((row) =>
      Object.fromEntries(stream.selectFields.map((field, index) => [field, row.values[index] ?? null])),
    );
    const byId = (a: Record<string, unknown>, b: Record<string, unknown>) =>
      String(a.Id) < String(b.Id) ? -1 : 1;
    return { lake: lakeRows.sort(byId), org: orgRows.sort(byId) };
  }

  async function expectLakeEqualsOrg(object: string): Promise<void> {
    const [{ n }] = (await query<{ n: bigint }>(`SELECT count(*) AS n FROM "${object.toLowerCase()}"`)) as [
      { n: bigint },
    ];
    const live = harness.emulator.org.query(`SELECT Id FROM ${object}`, { includeDeleted: false }).totalSize;
    expect(live).toBeGreaterThan(10);
    expect(Number(n)).toBe(live);
    const { lake, org } = await compare(object);
    expect(lake).toEqual(org);
  }

  beforeAll(async () => {
    harness = await startHarness();
    runtime = harness.runtime;
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it("after a full sync and the merge, each current-state table is the org's live rows, typed", async () => {
    // Act
    const { merges } = await syncAndMerge("full_refresh");

    // Assess
    expect(merges.get("Account")).toMatchObject({ status: "done", mergedSeq: 1, runs: 1 });
    for (const object of OBJECTS) await expectLakeEqualsOrg(object);
    const types = await query<{ column_name: string; column_type: string }>(`DESCRIBE account`);
    const typeOf = new Map(types.map((row) => [row.column_name, row.column_type]));
    expect(typeOf.get("annualrevenue")).toMatch(/^DECIMAL\(\d+,\d+\)$/);
    expect(typeOf.get("numberofemployees")).toBe("INTEGER");
    expect(typeOf.get("createddate")).toBe("TIMESTAMP");
    expect(typeOf.get("isdeleted")).toBe("BOOLEAN");
    expect(typeOf.get("name")).toBe("VARCHAR");
  });

  it("after inserts, updates and soft deletes and an incremental sync, it is the org's live rows again", async () => {
    // Prepare
    const changes = applyDemoChanges(harness.emulator.org);
    const [doomed] = [
      ...harness.emulator.org
        .query("SELECT Id FROM Account ORDER BY Name DESC LIMIT 1", {
          includeDeleted: false,
        })
        .rows(),
    ].map((row) => row.id);
    expect(harness.emulator.org.delete("Account", doomed as string).success).toBe(true);
    harness.emulator.org.clock.advance(2_000);

    // Act
    const { merges, summaries } = await syncAndMerge("incremental");

    // Assess
    expect(summaries.get("Contact")?.records).toBeLessThan(10);
    expect(merges.get("Contact")).toMatchObject({ status: "done", mergedSeq: 2, runs: 1 });
    for (const object of OBJECTS) await expectLakeEqualsOrg(object);
    const gone = await query(`SELECT id FROM contact WHERE id = '${changes.Contact?.deleted[0]}'`);
    expect(gone).toEqual([]);
  });

  it("keeps every landed row of every committed run in the change log", async () => {
    // Prepare
    const state = await runtime.state.get({ connection: runtime.config.connection, object: "Account" });
    const expected = new Map<string, number>();
    for (let seq = 1; seq <= (state?.commitSeq ?? 0); seq++) {
      const pointer = JSON.parse(
        new TextDecoder().decode(await runtime.store.get(runtime.layout.commitPointer("Account", seq))),
      ) as { runId: string; manifestKey: string };
      const manifest = JSON.parse(
        new TextDecoder().decode(await runtime.store.get(pointer.manifestKey)),
      ) as Manifest;
      expected.set(pointer.runId, manifest.totals.records);
    }

    // Act
    const rows = await query<{ run: string; n: bigint; ids: bigint }>(
      `SELECT run, count(*) AS n, count(DISTINCT _run_id) AS ids FROM account_changes GROUP BY run ORDER BY run`,
    );

    // Assess
    expect(new Map(rows.map((row) => [row.run, Number(row.n)]))).toEqual(expected);
    expect(rows.every((row) => row.ids === 1n)).toBe(true);
    expect([...expected.values()].every((records) => records > 0)).toBe(true);
  });

  it("a failed merge leaves the watermark and the next merge catches up; none is applied twice", async () => {
    // Prepare
    const org = harness.emulator.org;
    const [account] = [
      ...org.query("SELECT Id FROM Account ORDER BY Name LIMIT 1", { includeDeleted: false }).rows(),
    ];
    org.update("Account", { Id: account?.id, Description: "Changed while the lake was failing." }, "json");
    org.clock.advance(2_000);
    const real = await runtime.lake();
    const broken: LakeEngine = {
      watermark: real.watermark,
      ensureTables: (stream) => real.ensureTables(stream),
      addRun: (stream, run) => real.addRun(stream, run),
      startMerge: (stream, sql) => real.startMerge(stream, sql.replace("MERGE INTO", "MERGE INTO nowhere")),
      status: (queryId) => real.status(queryId),
      maintenance: (stream) => real.maintenance(stream),
      startMaintenance: (stream, sql) => real.startMaintenance(stream, sql),
      compareIds: (stream, snapshot, sql) => real.compareIds(stream, snapshot, sql),
    };
    const key = { connection: runtime.config.connection, object: "Account" };
    const before = await runtime.state.get(key);

    // Act
    const failing = syncAndMerge("incremental", { ...runtime, lake: async () => broken });
    await expect(failing).rejects.toThrow(
      /Account: the lake merge of commits 3-3 failed .*The watermark stays at 2/,
    );
    const afterFailure = await runtime.state.get(key);
    const caughtUp = await driveMerge(runtime, {
      runId: "sync-catch-up",
      object: "Account",
      catalogKey: catalogKeys.get("Account") ?? "",
    });
    const again = await driveMerge(runtime, {
      runId: "sync-again",
      object: "Account",
      catalogKey: catalogKeys.get("Account") ?? "",
    });

    // Assess
    expect(before).toMatchObject({ commitSeq: 2, lake: { duckdb: { mergedSeq: 2 } } });
    expect(afterFailure).toMatchObject({ commitSeq: 3, lake: { duckdb: { mergedSeq: 2 } } });
    expect(afterFailure?.lake?.duckdb?.lastMergeError).toContain("failed");
    expect(afterFailure?.lake?.duckdb?.mergeHolder).toBeUndefined();
    expect(caughtUp).toMatchObject({ status: "done", mergedSeq: 3, runs: 1 });
    expect(again).toMatchObject({ status: "done", mergedSeq: 3, runs: 0 });
    expect(again.queryId).toBeUndefined();
    expect(await runtime.store.head(runtime.layout.localLakeTable("Account", 4))).toBeUndefined();
    await expectLakeEqualsOrg("Account");
    const [changed] = await query<{ description: string }>(
      `SELECT description FROM account WHERE id = '${account?.id}'`,
    );
    expect(changed?.description).toBe("Changed while the lake was failing.");
  });

  it("a retyped field lands in a column of its own; older runs still read, and the table equals the org", async () => {
    // Prepare: NumberOfEmployees turns from a number into text (the org drops its values), then two
    // accounts get text values.
    const org = harness.emulator.org;
    const before = await query<{ n: bigint }>(
      "SELECT count(numberofemployees) AS n FROM account_changes WHERE numberofemployees IS NOT NULL",
    );
    org.removeField("Account", "NumberOfEmployees");
    org.addField("Account", { name: "NumberOfEmployees", type: "string", length: 40 });
    const ids = [
      ...org.query("SELECT Id FROM Account ORDER BY Name LIMIT 2", { includeDeleted: false }).rows(),
    ].map((row) => row.id as string);
    for (const id of ids) org.update("Account", { Id: id, NumberOfEmployees: "a few hundred" }, "json");
    org.clock.advance(2_000);

    // Act
    const { merges } = await syncAndMerge("incremental");

    // Assess
    const stream = await streamOf("Account");
    expect(stream.lakeTypes).toEqual({ NumberOfEmployees: "int" });
    expect(merges.get("Account")).toMatchObject({ status: "done", runs: 1 });
    await expectLakeEqualsOrg("Account");
    const types = await query<{ column_name: string; column_type: string }>("DESCRIBE account");
    const typeOf = new Map(types.map((row) => [row.column_name, row.column_type]));
    expect(typeOf.get("numberofemployees")).toBe("INTEGER");
    expect(typeOf.get("numberofemployees__string")).toBe("VARCHAR");
    const changes = await query<{ old: bigint; now: bigint }>(
      "SELECT count(numberofemployees) AS old, count(numberofemployees__string) AS now FROM account_changes",
    );
    expect(Number(changes[0]?.old)).toBe(Number(before[0]?.n));
    expect(Number(changes[0]?.old)).toBeGreaterThan(0);
    expect(Number(changes[0]?.now)).toBe(2);
  });

  it("an incremental run that finds nothing new merges, and the tables stay equal to the org", async () => {
    // Prepare
    harness.emulator.org.clock.advance(2_000);
    const key = { connection: runtime.config.connection, object: "Contact" };
    const before = await runtime.state.get(key);

    // Act
    const { merges, summaries } = await syncAndMerge("incremental");

    // Assess
    expect(summaries.get("Contact")?.records).toBe(0);
    expect(merges.get("Contact")).toMatchObject({ status: "done", runs: 1 });
    expect((await runtime.state.get(key))?.commitSeq).toBe((before?.commitSeq ?? 0) + 1);
    for (const object of OBJECTS) await expectLakeEqualsOrg(object);
  });

  it("hard deletes leave the tables: the org's delete log is read for each incremental window", async () => {
    // Prepare: two Accounts and a Contact hard-deleted (no query returns them any more).
    const org = harness.emulator.org;
    const live = (object: string) =>
      [...org.query(`SELECT Id FROM ${object} ORDER BY Name`, { includeDeleted: false }).rows()].map(
        (row) => row.id as string,
      );
    const gone = live("Account").slice(0, 2);
    const [contact] = live("Contact");
    for (const id of gone) expect(org.hardDelete("Account", id).success).toBe(true);
    expect(org.hardDelete("Contact", contact as string).success).toBe(true);
    // The log is read in whole minutes up to the window's end: let the minute of the deletes close.
    org.clock.advance(3 * 60_000);

    // Act
    const { summaries, merges, runId } = await syncAndMerge("incremental");

    // Assess
    const manifest = JSON.parse(
      new TextDecoder().decode(await runtime.store.get(summaries.get("Account")?.manifestKey ?? "")),
    ) as Manifest;
    // The window overlaps the previous one (lookback): a delete it already landed may come again.
    expect(manifest.deletes).toMatchObject({ apiCalls: 1 });
    expect(manifest.deletes?.found).toBeGreaterThanOrEqual(2);
    for (const object of OBJECTS) await expectLakeEqualsOrg(object);
    expect(merges.get("Account")).toMatchObject({ status: "done", runs: 1 });
    expect(manifest.deletes?.warning).toBeUndefined();
    expect(summaries.get("Account")?.deletes).toBe(manifest.deletes?.found);
    expect(summaries.get("Contact")?.deletes).toBeGreaterThanOrEqual(1);
    const logged = await query<{ id: string; origin: string; isdeleted: boolean }>(
      `SELECT id, _origin AS origin, isdeleted FROM account_changes WHERE _origin IS NOT NULL AND run = '${runId}' ORDER BY id`,
    );
    expect(logged.map((row) => row.id)).toEqual(expect.arrayContaining(gone));
    expect(logged).toHaveLength(manifest.deletes?.found ?? -1);
    expect(logged.every((row) => row.origin === "getDeleted" && row.isdeleted === true)).toBe(true);
  });

  it("narrows the window until each answer holds few enough Ids when the log has too many", async () => {
    // Prepare: one Id per answer at most, and three hard deletes in three different minutes.
    const org = harness.emulator.org;
    const ids = [
      ...org.query("SELECT Id FROM Contact ORDER BY Name LIMIT 3", { includeDeleted: false }).rows(),
    ].map((row) => row.id as string);
    for (const id of ids) {
      expect(org.hardDelete("Contact", id).success).toBe(true);
      org.clock.advance(61_000);
    }
    org.clock.advance(3 * 60_000);
    org.deleteLogSettings({ maxIds: 1 });

    try {
      // Act
      const { summaries, runId } = await syncAndMerge("incremental");

      // Assess
      const manifest = JSON.parse(
        new TextDecoder().decode(await runtime.store.get(summaries.get("Contact")?.manifestKey ?? "")),
      ) as Manifest;
      expect(manifest.deletes?.apiCalls).toBeGreaterThan(3);
      expect(manifest.deletes?.warning).toBeUndefined();
      const logged = await query<{ id: string }>(
        `SELECT id FROM contact_changes WHERE _origin = 'getDeleted' AND run = '${runId}'`,
      );
      expect(logged.map((row) => row.id)).toEqual(expect.arrayContaining(ids));
      await expectLakeEqualsOrg("Contact");
    } finally {
      org.deleteLogSettings({ maxIds: 600_000 });
    }
  });

  it("reconciles Ids when the delete log was cut (recycle bin emptied), so the table equals the org", async () => {
    // Prepare
    const org = harness.emulator.org;
    const [purged] = [
      ...org.query("SELECT Id FROM Account ORDER BY Name LIMIT 1", { includeDeleted: false }).rows(),
    ];
    expect(org.delete("Account", purged?.id as string).success).toBe(true);
    org.clock.advance(1_000);
    org.emptyRecycleBin("Account");
    org.clock.advance(2_000);

    // Act
    const { summaries } = await syncAndMerge("incremental");

    // Assess
    const manifest = JSON.parse(
      new TextDecoder().decode(await runtime.store.get(summaries.get("Account")?.manifestKey ?? "")),
    ) as Manifest;
    expect(manifest.deletes).toMatchObject({ found: 0, apiCalls: 1 });
    expect(manifest.deletes?.warning).toBeUndefined();
    expect(manifest.deletes?.lost).toMatch(
      /delete log could not be read for this window .*earliest date available/,
    );
    expect(manifest.reconcile).toMatchObject({ reason: "getDeleted", deletes: 1, refetched: 0 });
    expect(manifest.warnings).toBeUndefined();
    await expectLakeEqualsOrg("Account");
    expect(await query(`SELECT id FROM account WHERE id = '${purged?.id}'`)).toEqual([]);
  });

  it("an incremental run with no delete spends one delete-log call per object and writes no part for it", async () => {
    // Prepare: a run whose window (its start is the last cursor less the lookback) is past every delete.
    harness.emulator.org.clock.advance(11 * 60_000);
    await syncAndMerge("incremental");
    harness.emulator.org.clock.advance(11 * 60_000);

    // Act
    const { summaries } = await syncAndMerge("incremental");

    // Assess
    for (const object of OBJECTS) {
      const manifest = JSON.parse(
        new TextDecoder().decode(await runtime.store.get(summaries.get(object)?.manifestKey ?? "")),
      ) as Manifest;
      expect(manifest.deletes).toMatchObject({ found: 0, apiCalls: 1 });
      expect(manifest.parts.length).toBeLessThanOrEqual(1);
      expect(manifest.totals.records).toBe(0);
    }
  });

  it("keeps only the tables of the watermark and the one before it in the bucket", async () => {
    // Prepare
    const key = { connection: runtime.config.connection, object: "Account" };
    const merged = (await runtime.state.get(key))?.lake?.duckdb?.mergedSeq ?? 0;

    // Act
    const keys: string[] = [];
    for await (const info of runtime.store.list(runtime.layout.localLakeFolder("Account")))
      keys.push(info.key);

    // Assess
    expect(merged).toBeGreaterThan(3);
    expect(keys).toEqual([
      runtime.layout.localLakeTable("Account", merged - 1),
      runtime.layout.localLakeTable("Account", merged),
    ]);
  });
});
