/**
 * The local lake's files: DuckDB spills into the engine's cache folder (never the working directory),
 * and a kept cache folder is bounded at the end of a command, least recently used files first.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeCommitPointer } from "../../../functions/core/lake/commit-index";
import { Layout } from "../../../functions/core/layout";
import { DuckDbLakeEngine, openDuckDb } from "../../../local/lake/duckdb-engine";
import { LakeCache } from "../../../local/lake/lake-tables";
import { openLocalLake } from "../../../local/lake/local-lake";
import { smallStream } from "../../support/lake-streams";
import { memoryLog } from "../../support/memory-log";
import { MemoryObjectStore, MemoryStateStore } from "../../support/memory-stores";

const layout = new Layout("");

/** Every file under a folder, as paths relative to it. */
async function filesUnder(folder: string): Promise<string[]> {
  if (!existsSync(folder)) return [];
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1))
    .sort();
}

describe("the local lake's files", () => {
  let dir: string;
  let cwd: string;
  let store: MemoryObjectStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "lake-cache-"));
    store = new MemoryObjectStore("bucket");
    // Each test file runs in a process of its own: its working directory is this test's to change.
    cwd = process.cwd();
    await mkdir(join(dir, "cwd"));
    process.chdir(join(dir, "cwd"));
  });

  afterEach(async () => {
    process.chdir(cwd);
    await rm(dir, { recursive: true, force: true });
  });

  it("spills a DuckDB statement into the folder it is given, never the working directory", async () => {
    // Prepare: a memory limit a sort of a million rows cannot fit in.
    const spill = join(dir, "spill");
    const db = await openDuckDb({ tempDirectory: spill });
    const fallback = await openDuckDb();
    const seen = { spill: 0, cwd: 0 };
    try {
      await db.connection.run("SET memory_limit = '32MB'");
      await db.connection.run("SET threads = 1");

      // Act: watch both folders while the statement runs.
      let done = false;
      const running = db.connection
        .run(
          "CREATE TABLE sorted AS SELECT count(*) AS n FROM (SELECT md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS s FROM range(1000000) t(i) ORDER BY s DESC)",
        )
        .finally(() => {
          done = true;
        });
      while (!done) {
        if ((await filesUnder(spill)).length > 0) seen.spill += 1;
        if ((await readdir(".")).length > 0) seen.cwd += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await running;
      const setting = async (connection: typeof db.connection) =>
        String(
          (await connection.runAndReadAll("SELECT current_setting('temp_directory')")).getRows()[0]?.[0],
        );

      // Assess
      expect(seen.spill).toBeGreaterThan(0);
      expect(seen.cwd).toBe(0);
      expect(await setting(db.connection)).toBe(spill);
      const own = await setting(fallback.connection);
      expect(isAbsolute(own) && own.startsWith(tmpdir())).toBe(true);
    } finally {
      db.close();
      fallback.close();
    }
    expect(existsSync(spill)).toBe(false);
    expect(await readdir(".")).toEqual([]);
  });

  it("merges with DuckDB spilling into the cache folder, and trims the folder when the engine closes", async () => {
    // Prepare: one committed run with no rows, claimed for DuckDB's table; the "merge" records where
    // its session spills, in the table the engine then stores.
    const state = new MemoryStateStore();
    const stream = smallStream();
    const key = { connection: "test", object: stream.object };
    const part = layout.part(stream.object, "2026-03-01", "sync-1", "j1", 0);
    await store.put(
      part,
      gzipSync('{"Id":"A","IsDeleted":false,"SystemModstamp":"2026-03-01T09:00:00.000Z"}\n'),
    );
    await store.put(
      layout.manifest(stream.object, "2026-03-01", "sync-1"),
      JSON.stringify({ parts: [{ key: part }] }),
    );
    await writeCommitPointer(store, layout, {
      seq: 1,
      object: stream.object,
      runId: "sync-1",
      runDate: "2026-03-01",
      manifestKey: layout.manifest(stream.object, "2026-03-01", "sync-1"),
      catalogKey: "catalog/Thing__c/v1.json",
      format: "jsonl",
      committedAt: "2026-03-01T10:00:00.000Z",
    });
    await state.claimMerge(key, "duckdb", { holder: "sync-1", fromSeq: 0, toSeq: 1 }, 60_000, Date.now());
    const cacheDir = join(dir, "cache");
    const engine = new DuckDbLakeEngine({
      store,
      state,
      layout,
      connection: "test",
      log: memoryLog(),
      cacheDir,
      cacheBytes: 0,
    });
    const spilled = "CREATE OR REPLACE TABLE thing__c AS SELECT current_setting('temp_directory') AS spill";

    // Act
    const queryId = await engine.startMerge(stream, spilled);
    const status = await engine.status(queryId);
    await engine.close();

    // Assess
    expect(status).toEqual({ state: "succeeded" });
    const db = await openDuckDb();
    try {
      const table = join(dir, "table.parquet");
      await writeFile(table, (await store.get(layout.localLakeTable(stream.object, 1))) as Uint8Array);
      const [[spill]] = (await db.connection.runAndReadAll(`SELECT spill FROM '${table}'`)).getRows() as [
        [string],
      ];
      expect(spill.startsWith(join(cacheDir, "scratch"))).toBe(true);
    } finally {
      db.close();
    }
    expect(await filesUnder(cacheDir)).toEqual([]);
    expect(await readdir(".")).toEqual([]);
  });

  it("opens the lake saddledata query reads with DuckDB spilling into the cache folder", async () => {
    // Prepare
    const cache = new LakeCache(store, join(dir, "cache"));

    // Act
    const lake = await openLocalLake({
      store,
      state: new MemoryStateStore(),
      layout,
      connection: "test",
      cache,
    });
    let spill: string;
    try {
      const result = await lake.connection.runAndReadAll("SELECT current_setting('temp_directory')");
      spill = String(result.getRows()[0]?.[0]);
    } finally {
      lake.close();
    }

    // Assess
    expect(spill.startsWith(join(cache.directory, "scratch"))).toBe(true);
  });

  it("trims a cache folder to its bound: scratch and interrupted downloads first, then the least recently used", async () => {
    // Prepare: three parts of 100 bytes, downloaded in turn; the oldest read again since.
    const cache = new LakeCache(store, join(dir, "cache"));
    const keys = [
      "data/A/dt=1/run=r1/p.parquet",
      "data/B/dt=1/run=r2/p.parquet",
      "data/C/dt=1/run=r3/p.parquet",
    ];
    const paths: string[] = [];
    for (const [index, key] of keys.entries()) {
      await store.put(key, new Uint8Array(100));
      const path = await cache.file(key, true);
      const at = new Date(Date.now() - (10 - index) * 60_000);
      await utimes(path, at, at);
      paths.push(path);
    }
    expect(await cache.file(keys[0] as string, true)).toBe(paths[0]);
    await writeFile(`${paths[1]}.1a2b3c4d.partial`, "interrupted");
    await writeFile(await cache.scratch("table.parquet"), "left by a crash");
    await mkdir(join(await cache.spillDirectory(), "nested"), { recursive: true });

    // Act
    const removed = await cache.trim(250);

    // Assess: B went (least recently used), A (read again) and C stay; B's folders are gone too.
    expect(removed).toEqual({ files: 1, bytes: 100 });
    expect(await filesUnder(cache.directory)).toEqual([
      join("bucket", "data", "A", "dt=1", "run=r1", "p.parquet"),
      join("bucket", "data", "C", "dt=1", "run=r3", "p.parquet"),
    ]);
    expect(existsSync(join(cache.directory, "bucket", "data", "B"))).toBe(false);
    expect(existsSync(join(cache.directory, "scratch"))).toBe(false);
  });

  it("trims nothing but scratch while the folder fits, and downloads a trimmed part again", async () => {
    // Prepare
    const cache = new LakeCache(store, join(dir, "cache"));
    const key = "data/A/dt=1/run=r1/p.parquet";
    await store.put(key, new Uint8Array(100));
    const path = await cache.file(key, true);

    // Act
    const kept = await cache.trim(100);
    const gone = await cache.trim(99);
    const again = await cache.file(key, true);

    // Assess
    expect(kept).toEqual({ files: 0, bytes: 0 });
    expect(gone).toEqual({ files: 1, bytes: 100 });
    expect(again).toBe(path);
    expect(existsSync(path)).toBe(true);
  });
});
