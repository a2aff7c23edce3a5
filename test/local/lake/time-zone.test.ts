import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommitPointer } from "../../../functions/core/lake/commit-index";
import { Layout } from "../../../functions/core/layout";
import { openDuckDb } from "../../../local/lake/duckdb-engine";
import { createChangeLogView, LakeCache } from "../../../local/lake/lake-tables";
import { textValue } from "../../../local/lake/sql-values";
import { smallStream } from "../../support/lake-streams";
import { MemoryObjectStore } from "../../support/memory-stores";

/**
 * A machine east of UTC. DuckDB's ICU takes its default time zone from TZ once, when the process first
 * asks for it: so in a file of its own (each test file runs in a process of its own), set before any
 * DuckDB database exists.
 */
const zone = process.env.TZ;
process.env.TZ = "Asia/Kolkata";

const layout = new Layout("");

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

describe("the local lake on a machine whose time zone is not UTC", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lake-zone-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it("reads datetimes as UTC: the UTC instants of Parquet parts and the ISO text of JSON lines", async () => {
    // Prepare: parts as extract writes them (Parquet timestamps adjusted to UTC, JSON ISO text with Z).
    const plain = await DuckDBInstance.create(":memory:");
    const probe = await plain.connect();
    const machineZone = (await probe.runAndReadAll("SELECT current_setting('TimeZone') AS zone")).getRows();
    probe.closeSync();
    plain.closeSync();
    const store = new MemoryObjectStore();
    const cache = new LakeCache(store, join(dir, "cache"));
    const db = await openDuckDb();
    try {
      const jsonPart = layout.part("Thing__c", "2026-03-01", "sync-1", "j1", 0);
      await store.put(
        jsonPart,
        gzipSync('{"Id":"A","IsDeleted":false,"SystemModstamp":"2026-03-01T09:00:00.000Z"}\n'),
      );
      const parquetKey = "data/Thing__c/dt=2026-03-02/run=sync-2/part-p1-00000.parquet";
      const scratch = join(dir, "part.parquet");
      await db.connection.run(
        `COPY (SELECT 'B' AS id, TIMESTAMPTZ '2026-03-02 09:00:00.5+00' AS systemmodstamp, 'sync-2' AS _run_id) TO '${scratch}' (FORMAT parquet)`,
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

      // Act
      await createChangeLogView(db.connection, store, cache, smallStream(), [
        pointer(1, "sync-1", "2026-03-01"),
        pointer(2, "sync-2", "2026-03-02"),
      ]);
      const result = await db.connection.runAndReadAll(
        "SELECT id, systemmodstamp FROM thing__c_changes ORDER BY id",
      );

      // Assess: the premise (DuckDB sees the machine's zone), then UTC values all the same.
      expect(machineZone).toEqual([["Asia/Kolkata"]]);
      expect(result.getRows().map((row) => row.map((value) => textValue(value ?? null)))).toEqual([
        ["A", "2026-03-01T09:00:00.000Z"],
        ["B", "2026-03-02T09:00:00.500Z"],
      ]);
    } finally {
      db.close();
    }
  });
});
