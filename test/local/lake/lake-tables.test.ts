import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommitPointer } from "../../../functions/core/lake/commit-index";
import { carryLakeTypes } from "../../../functions/core/lake/lake-names";
import { Layout } from "../../../functions/core/layout";
import { openDuckDb } from "../../../local/lake/duckdb-engine";
import { createChangeLogView, LakeCache, loadCurrentTable } from "../../../local/lake/lake-tables";
import { jsonValue, textValue } from "../../../local/lake/sql-values";
import { catalogField } from "../../support/catalog-field";
import { smallStream } from "../../support/lake-streams";
import { MemoryObjectStore } from "../../support/memory-stores";

const layout = new Layout("");

/** The small stream's change-log columns: its fields lower-cased, then the run, origin and partition. */
const CHANGE_LOG_COLUMNS = [
  "id",
  "isdeleted",
  "name",
  "amount__c",
  "employees__c",
  "since__c",
  "systemmodstamp",
  "_run_id",
  "_origin",
  "dt",
  "run",
];

function pointer(seq: number, runId: string, runDate: string): CommitPointer {
  return {
    seq,
    object: "Thing__c",
    runId,
    runDate,
    manifestKey: layout.manifest("Thing__c", runDate, runId),
    catalogKey: "catalog/Thing__c/v1.json",
    format: "jsonl",
    committedAt: "2026-03-01T10:00:00.000Z",
  };
}

describe("the local lake's tables", () => {
  let dir: string;
  let store: MemoryObjectStore;
  let cache: LakeCache;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "lake-tables-"));
    store = new MemoryObjectStore();
    cache = new LakeCache(store, join(dir, "cache"));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads JSON-lines and Parquet parts the manifests name, typed, with run and date; never other parts", async () => {
    // Prepare: run 1 landed JSON lines; run 2 landed Parquet (lower-case columns, _run_id, one field missing).
    const jsonPart = layout.part("Thing__c", "2026-03-01", "sync-1", "j1", 0);
    await store.put(
      jsonPart,
      gzipSync(
        '{"Id":"A","IsDeleted":false,"Name":"Ann","Amount__c":12345678.91,"Employees__c":9007199254740993,"Since__c":"2020-02-29","SystemModstamp":"2026-03-01T09:00:00.000Z"}\n' +
          '{"Id":"C","IsDeleted":false,"Name":"say \\"Amount__c\\":5","Amount__c":1234567890123456.78,"Employees__c":null,"Since__c":null,"SystemModstamp":"2026-03-01T09:00:00.000Z"}\n' +
          '{"Id":"D","IsDeleted":true,"SystemModstamp":"2026-03-01T09:30:00.000Z","_origin":"getDeleted"}\n',
      ),
    );
    await store.put(
      layout.part("Thing__c", "2026-03-01", "sync-1", "j0", 0),
      gzipSync(`${JSON.stringify({ Id: "FAILED-ATTEMPT" })}\n`),
    );
    const parquetKey = "data/Thing__c/dt=2026-03-02/run=sync-2/part-p1-00000.parquet";
    const scratch = join(dir, "part.parquet");
    const db = await openDuckDb();
    await db.connection.run(
      `COPY (SELECT 'B' AS id, true AS isdeleted, 'Bea' AS name, 2.5::DECIMAL(18,2) AS amount__c, TIMESTAMP '2026-03-02 09:00:00.5' AS systemmodstamp, 'sync-2' AS _run_id) TO '${scratch}' (FORMAT parquet)`,
    );
    await store.put(parquetKey, await readFile(scratch));
    await store.put(
      pointer(1, "sync-1", "2026-03-01").manifestKey,
      JSON.stringify({ parts: [{ key: jsonPart }] }),
    );
    await store.put(
      pointer(2, "sync-2", "2026-03-02").manifestKey,
      JSON.stringify({ parts: [{ key: parquetKey }] }),
    );

    try {
      // Act
      await createChangeLogView(db.connection, store, cache, smallStream(), [
        pointer(1, "sync-1", "2026-03-01"),
        pointer(2, "sync-2", "2026-03-02"),
      ]);
      const result = await db.connection.runAndReadAll("SELECT * FROM thing__c_changes ORDER BY id");
      const rows = result
        .getRowObjects()
        .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, textValue(v)])));

      // Assess
      expect(result.columnNames()).toEqual(CHANGE_LOG_COLUMNS);
      expect(rows).toEqual([
        {
          id: "A",
          isdeleted: "false",
          name: "Ann",
          amount__c: "12345678.91",
          employees__c: "9007199254740993",
          since__c: "2020-02-29",
          systemmodstamp: "2026-03-01T09:00:00.000Z",
          _run_id: "sync-1",
          _origin: "NULL",
          dt: "2026-03-01",
          run: "sync-1",
        },
        {
          id: "B",
          isdeleted: "true",
          name: "Bea",
          amount__c: "2.50",
          employees__c: "NULL",
          since__c: "NULL",
          systemmodstamp: "2026-03-02T09:00:00.500Z",
          _run_id: "sync-2",
          _origin: "NULL",
          dt: "2026-03-02",
          run: "sync-2",
        },
        {
          id: "C",
          isdeleted: "false",
          name: 'say "Amount__c":5',
          amount__c: "1234567890123456.78",
          employees__c: "NULL",
          since__c: "NULL",
          systemmodstamp: "2026-03-01T09:00:00.000Z",
          _run_id: "sync-1",
          _origin: "NULL",
          dt: "2026-03-01",
          run: "sync-1",
        },
        {
          id: "D",
          isdeleted: "true",
          name: "NULL",
          amount__c: "NULL",
          employees__c: "NULL",
          since__c: "NULL",
          systemmodstamp: "2026-03-01T09:30:00.000Z",
          _run_id: "sync-1",
          _origin: "getDeleted",
          dt: "2026-03-01",
          run: "sync-1",
        },
      ]);
    } finally {
      db.close();
    }
  });

  it("reads a key an older JSON part lacks as null, and fails on a value that does not fit its type", async () => {
    // Prepare
    const good = layout.part("Thing__c", "2026-03-01", "sync-1", "j1", 0);
    const bad = layout.part("Thing__c", "2026-03-02", "sync-2", "j1", 0);
    await store.put(good, gzipSync('{"Id":"A","IsDeleted":false}\n'));
    await store.put(bad, gzipSync('{"Id":"B","Employees__c":"many"}\n'));
    await store.put(
      pointer(1, "sync-1", "2026-03-01").manifestKey,
      JSON.stringify({ parts: [{ key: good }] }),
    );
    await store.put(
      pointer(2, "sync-2", "2026-03-02").manifestKey,
      JSON.stringify({ parts: [{ key: bad }] }),
    );
    const db = await openDuckDb();
    try {
      // Act
      await createChangeLogView(db.connection, store, cache, smallStream(), [
        pointer(1, "sync-1", "2026-03-01"),
      ]);
      const older = (
        await db.connection.runAndReadAll("SELECT id, name, amount__c FROM thing__c_changes")
      ).getRowObjectsJS();
      await createChangeLogView(db.connection, store, cache, smallStream(), [
        pointer(2, "sync-2", "2026-03-02"),
      ]);
      const reading = db.connection.runAndReadAll("SELECT * FROM thing__c_changes");

      // Assess
      expect(older).toEqual([{ id: "A", name: null, amount__c: null }]);
      await expect(reading).rejects.toThrow(/Could not convert string 'many' to INT64/);
    } finally {
      db.close();
    }
  });

  it("reads each run with its own catalog version: a retyped field's values stay in their first column", async () => {
    // Prepare: Amount__c is currency in v1 (runs 1 and 3) and text in v2 (run 2's JSON lines, run 3's Parquet).
    const v1 = smallStream();
    const v2 = smallStream();
    v2.fields = v2.fields.map((field) =>
      field.name === "Amount__c" ? catalogField("Amount__c", "string") : field,
    );
    v2.lakeTypes = carryLakeTypes(v1, v2);
    await store.put("catalog/Thing__c/v1.json", JSON.stringify(v1));
    await store.put("catalog/Thing__c/v2.json", JSON.stringify(v2));
    const oldPart = layout.part("Thing__c", "2026-03-01", "sync-1", "j1", 0);
    const newPart = layout.part("Thing__c", "2026-03-02", "sync-2", "j1", 0);
    await store.put(oldPart, gzipSync('{"Id":"A","Amount__c":12.5}\n'));
    await store.put(newPart, gzipSync('{"Id":"B","Amount__c":"about twelve"}\n'));
    const parquetKey = "data/Thing__c/dt=2026-03-03/run=sync-3/part-p1-00000.parquet";
    const scratch = join(dir, "retyped.parquet");
    const db = await openDuckDb();
    await db.connection.run(
      `COPY (SELECT 'C' AS id, 'thirteen' AS amount__c__string, 'sync-3' AS _run_id) TO '${scratch}' (FORMAT parquet)`,
    );
    await store.put(parquetKey, await readFile(scratch));
    const pointers = [
      pointer(1, "sync-1", "2026-03-01"),
      { ...pointer(2, "sync-2", "2026-03-02"), catalogKey: "catalog/Thing__c/v2.json" },
      {
        ...pointer(3, "sync-3", "2026-03-03"),
        catalogKey: "catalog/Thing__c/v2.json",
        format: "parquet" as const,
      },
    ];
    await store.put(pointers[0]?.manifestKey ?? "", JSON.stringify({ parts: [{ key: oldPart }] }));
    await store.put(pointers[1]?.manifestKey ?? "", JSON.stringify({ parts: [{ key: newPart }] }));
    await store.put(pointers[2]?.manifestKey ?? "", JSON.stringify({ parts: [{ key: parquetKey }] }));

    try {
      // Act
      await createChangeLogView(db.connection, store, cache, v2, pointers);
      const result = await db.connection.runAndReadAll(
        "SELECT id, amount__c, amount__c__string FROM thing__c_changes ORDER BY id",
      );
      const types = await db.connection.runAndReadAll("DESCRIBE thing__c_changes");

      // Assess
      expect(result.getRowObjects().map((row) => Object.values(row).map(textValue))).toEqual([
        ["A", "12.50", "NULL"],
        ["B", "NULL", "about twelve"],
        ["C", "NULL", "thirteen"],
      ]);
      const typeOf = new Map(types.getRowObjectsJS().map((row) => [row.column_name, row.column_type]));
      expect(typeOf.get("amount__c")).toBe("DECIMAL(18,2)");
      expect(typeOf.get("amount__c__string")).toBe("VARCHAR");
    } finally {
      db.close();
    }
  });

  it("reads a run that landed no parts as no rows, with every column", async () => {
    // Prepare: an incremental run whose window was empty commits a manifest with no parts.
    await store.put(pointer(1, "sync-1", "2026-03-01").manifestKey, JSON.stringify({ parts: [] }));
    const db = await openDuckDb();
    try {
      // Act
      await createChangeLogView(db.connection, store, cache, smallStream(), [
        pointer(1, "sync-1", "2026-03-01"),
      ]);
      const result = await db.connection.runAndReadAll("SELECT * FROM thing__c_changes");

      // Assess
      expect(result.currentRowCount).toBe(0);
      expect(result.columnNames()).toEqual(CHANGE_LOG_COLUMNS);
    } finally {
      db.close();
    }
  });

  it("loads a current-state table from Parquet and adds the columns of fields added since", async () => {
    // Prepare
    const db = await openDuckDb();
    const scratch = join(dir, "current.parquet");
    await db.connection.run(`COPY (SELECT 'A' AS id, 'Ann' AS name) TO '${scratch}' (FORMAT parquet)`);
    await store.put(layout.localLakeTable("Thing__c", 3), await readFile(scratch));

    try {
      // Act
      await loadCurrentTable(db.connection, cache, smallStream(), layout.localLakeTable("Thing__c", 3));
      const described = await db.connection.runAndReadAll("DESCRIBE thing__c");

      // Assess
      expect(described.getRowObjectsJS().map((row) => `${row.column_name} ${row.column_type}`)).toEqual([
        "id VARCHAR",
        "name VARCHAR",
        "isdeleted BOOLEAN",
        "amount__c DECIMAL(18,2)",
        "employees__c BIGINT",
        "since__c DATE",
        "systemmodstamp TIMESTAMP",
      ]);
    } finally {
      db.close();
    }
  });

  it("writes values JSON-safe: every digit of integers and decimals, ISO dates and timestamps", async () => {
    // Prepare
    const db = await openDuckDb();
    try {
      const result = await db.connection.runAndReadAll(
        `SELECT 12345678901234567::BIGINT AS b, 12345678901234567.89::DECIMAL(38,2) AS d, 'NaN'::DOUBLE AS n, DATE '2024-04-16' AS day, TIMESTAMP '2024-04-16 19:00:00' AS ts, TIMESTAMP '1969-12-31 23:59:59.999999' AS old, [1, 2] AS l, NULL AS nothing`,
      );

      // Act
      const json = JSON.stringify(
        Object.fromEntries(
          Object.entries(result.getRowObjects()[0] ?? {}).map(([k, v]) => [k, jsonValue(v)]),
        ),
      );

      // Assess
      expect(json).toBe(
        '{"b":12345678901234567,"d":12345678901234567.89,"n":"NaN","day":"2024-04-16","ts":"2024-04-16T19:00:00.000Z","old":"1969-12-31T23:59:59.999999Z","l":[1,2],"nothing":null}',
      );
    } finally {
      db.close();
    }
  });
});
