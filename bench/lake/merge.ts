/**
 * Merge: the lake's merge step on one machine, as the sync state machine's "Merge into lake" task runs
 * it locally: `startLakeMerge` (then `checkLakeMerge` while it says running) with the DuckDB engine
 * over the runtime the environment describes (the bench's S3 and DynamoDB in another process). The
 * step claims the merge, reads the commit index and the catalog, builds the MERGE text, and the engine
 * downloads the table of watermark 1 and the change run's parts, loads the table, runs the MERGE,
 * writes the table of watermark 2 as Parquet and uploads it; the step then advances the watermark.
 * Wall time, CPU time (every thread: DuckDB's too) and peak RSS cover exactly that; the bytes and time
 * spent downloading and uploading are counted apart (the store is wrapped). Afterwards, untimed, the
 * new table is read back: one row per Id, every row of the change run.
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import {
  checkLakeMerge,
  type LakeDeps,
  type MergeState,
  startLakeMerge,
} from "../../functions/core/lake/merge";
import { sqlString } from "../../functions/core/lake/merge-sql";
import type { ObjectStore } from "../../functions/core/ports";
import { createRuntime, readRuntimeConfig } from "../../functions/runtime/runtime";
import { DuckDbLakeEngine, openDuckDb } from "../../local/lake/duckdb-engine";
import { type MemoryPeaks, peakRssMb, readJsonArgument, runMain, sampleMemory } from "../process/child-io";

export interface MergeRequest {
  object: string;
  /** The run whose commit the merge follows (the merge claim's holder). */
  runId: string;
  catalogKey: string;
}

export interface MergeResult {
  /** Rows of the table after the merge, distinct Ids among them, rows carrying the change run's values. */
  rows: number;
  ids: number;
  changedRows: number;
  mergedSeq: number;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  memory: MemoryPeaks;
  /** Bucket reads (the table and the parts) and writes (the new table), in MB and ms of the wall. */
  downloadMb: number;
  downloadMs: number;
  uploadMb: number;
  uploadMs: number;
  /** The DuckDB settings the engine's database runs with. */
  duckdb: Record<string, string>;
}

/** Times reads streamed from the bucket (to their last byte) and uploads (to their answer). */
class TimedStore implements ObjectStore {
  downloadBytes = 0;
  downloadMs = 0;
  uploadBytes = 0;
  uploadMs = 0;

  constructor(private readonly inner: ObjectStore) {}

  get bucket(): string {
    return this.inner.bucket;
  }

  put(...args: Parameters<ObjectStore["put"]>) {
    return this.inner.put(...args);
  }

  async upload(...args: Parameters<ObjectStore["upload"]>) {
    const started = performance.now();
    const result = await this.inner.upload(...args);
    this.uploadMs += performance.now() - started;
    this.uploadBytes += result.bytes;
    return result;
  }

  get(key: string) {
    return this.inner.get(key);
  }

  delete(key: string) {
    return this.inner.delete(key);
  }

  async stream(key: string) {
    const started = performance.now();
    const { body, info } = await this.inner.stream(key);
    const counted = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.downloadBytes += chunk.length;
        done(null, chunk);
      },
      flush: (done) => {
        this.downloadMs += performance.now() - started;
        done();
      },
    });
    body.on("error", (error) => counted.destroy(error));
    return { body: body.pipe(counted), info };
  }

  head(key: string) {
    return this.inner.head(key);
  }

  list(prefix: string) {
    return this.inner.list(prefix);
  }
}

/** The new table, read back: rows, distinct Ids, and rows whose cursor field is the change run's. */
async function readBack(
  store: ObjectStore,
  key: string,
): Promise<{ rows: number; ids: number; changedRows: number }> {
  const folder = await mkdtemp(join(tmpdir(), "saddledata-merge-check-"));
  const db = await openDuckDb();
  try {
    const file = join(folder, "table.parquet");
    await pipeline((await store.stream(key)).body, createWriteStream(file));
    const counted = await db.connection.runAndReadAll(
      `SELECT count(*) AS rows, count(DISTINCT "id") AS ids, count(*) FILTER (WHERE "systemmodstamp" >= TIMESTAMP '2026-02-01') AS changed FROM read_parquet(${sqlString(file)})`,
    );
    const [row] = counted.getRowObjectsJS();
    return { rows: Number(row?.rows), ids: Number(row?.ids), changedRows: Number(row?.changed) };
  } finally {
    db.close();
    await rm(folder, { recursive: true, force: true });
  }
}

async function duckDbSettings(): Promise<Record<string, string>> {
  const db = await openDuckDb();
  try {
    const names = ["threads", "memory_limit", "preserve_insertion_order", "temp_directory", "TimeZone"];
    const result = await db.connection.runAndReadAll(
      `SELECT name, value FROM duckdb_settings() WHERE name IN (${names.map(sqlString).join(", ")})`,
    );
    return Object.fromEntries(result.getRowObjectsJS().map((row) => [String(row.name), String(row.value)]));
  } finally {
    db.close();
  }
}

async function main(): Promise<MergeResult> {
  const request = readJsonArgument<MergeRequest>();
  const runtime = createRuntime(readRuntimeConfig());
  const store = new TimedStore(runtime.store);
  const engine = new DuckDbLakeEngine({
    store,
    state: runtime.state,
    layout: runtime.layout,
    connection: runtime.config.connection,
    log: runtime.log,
  });
  const deps: LakeDeps = {
    engine,
    store,
    state: runtime.state,
    layout: runtime.layout,
    connection: runtime.config.connection,
    log: runtime.log,
  };
  const task = { runId: request.runId, object: request.object, catalogKey: request.catalogKey };
  const memory = sampleMemory();
  const cpu = process.cpuUsage();
  const started = performance.now();
  let state: MergeState = await startLakeMerge(deps, task);
  while (state.status === "running") {
    await sleep(10);
    state = await checkLakeMerge(deps, state);
  }
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const peak = peakRssMb();
  const peaks = memory.stop();
  await engine.close();
  if (state.mergedSeq !== 2) throw new Error(`the merge ended at watermark ${state.mergedSeq}, not 2`);
  const table = await readBack(runtime.store, runtime.layout.localLakeTable(request.object, 2));
  return {
    ...table,
    mergedSeq: state.mergedSeq,
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    peakRssMb: peak,
    memory: peaks,
    downloadMb: store.downloadBytes / 1e6,
    downloadMs: store.downloadMs,
    uploadMb: store.uploadBytes / 1e6,
    uploadMs: store.uploadMs,
    duckdb: await duckDbSettings(),
  };
}

runMain(main);
