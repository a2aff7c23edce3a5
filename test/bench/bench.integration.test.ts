import { describe, expect, it } from "vitest";
import { formatTable } from "../../bench/report/table";
import { type BenchResults, type PathFigures, runBenchmark } from "../../bench/suite";
import { FUNCTION_SPECS } from "../../lib/connector-function.construct";

/**
 * The benchmark at smoke size, so it never rots: the same suite `npm run bench` runs, with 20,000
 * records (the merge's table and change run too, in parts of 5,000 rows), two repetitions (the second reuses the first's limit job), pages of 5,000 rows and a time budget that fits one page per invocation (so
 * the extract continues across invocations). Only shape and sanity are asserted — never wall-clock
 * thresholds: counts match, figures are present and positive.
 */
const RECORDS = 20_000;

function expectSane(figures: PathFigures, records: number): void {
  expect(figures.records).toBe(records);
  expect(figures.runs).toHaveLength(2);
  expect(figures.recordsPerSecond).toBeGreaterThan(0);
  expect(figures.mbPerSecond).toBeGreaterThan(0);
  expect(figures.wallMs).toBeGreaterThan(0);
  expect(figures.cpuMs).toBeGreaterThan(0);
  expect(figures.peakRssMb).toBeGreaterThan(0);
  expect(figures.apiCalls).toBeGreaterThan(0);
}

describe("npm run bench (smoke size)", () => {
  it("measures extract, load, merge and cold start with matching counts and positive figures", async () => {
    // Prepare
    const log: string[] = [];

    // Act
    const results: BenchResults = await runBenchmark({
      extractSizes: [RECORDS],
      repetitions: 2,
      importRepetitions: 1,
      waitScale: 0.05,
      // The extract keeps a 30 s safety margin: with a 30 s budget every invocation fetches one page.
      invocationBudgetMs: 30_000,
      settings: { bulkPageRecords: 5000 },
      baselineHeapMb: 2048,
      loadRecords: RECORDS,
      mergeRecords: RECORDS,
      mergePartRecords: 5000,
      coldStart: true,
      verifyLanded: true,
      // As a two-vCPU Lambda: the bundled extract encodes Parquet on its encoder thread (the bundle
      // loaded again in a worker), and the landed parts are read back and checked.
      extractMemoryMb: 3538,
      log: (line) => log.push(line),
    });

    // Assess
    const extract = results.extract;
    expect(extract?.records).toBe(RECORDS);
    if (!extract) return;
    expect(extract.csvBytes).toBeGreaterThan(RECORDS * 100);
    for (const path of [extract.limit, extract.connector, extract.parquet, extract.baseline]) {
      expectSane(path, RECORDS);
    }
    expect(extract.ratios.parquetToConnector).toBeGreaterThan(0);
    // Each limit repetition is charged what it would have spent alone, shared job or not.
    expect(new Set(extract.limit.runs.map((run) => run.apiCalls)).size).toBe(1);
    const run = extract.connector.runs[0] as Record<string, unknown>;
    expect(run.parts).toBe(RECORDS / 5000);
    expect((run.invocations as Record<string, number>).fetch).toBeGreaterThan(1);
    expect(extract.connector.callsByKind.bulkQueryResults).toBe(RECORDS / 5000);
    expect(extract.peakRssMb100k).toBe(extract.connector.peakRssMb);
    expect(extract.ratios.connectorToLimit).toBeGreaterThan(0);
    expect(extract.ratios.connectorToBaseline).toBeGreaterThan(0);

    expect(results.load?.records).toBe(RECORDS);
    if (results.load) {
      expectSane(results.load.limit, RECORDS);
      expectSane(results.load.connector, RECORDS);
      expect(results.load.jobs).toBeGreaterThanOrEqual(1);
      expect(results.load.connector.callsByKind.bulkIngestClose).toBe(results.load.jobs);
    }

    // The merge: every row of the table changed, checked by the child; figures of each repetition.
    const merge = results.merge;
    expect(merge).toMatchObject({ rows: RECORDS, tableRows: RECORDS, columns: 40 });
    expect(merge?.runs).toHaveLength(2);
    for (const figure of [
      merge?.seconds,
      merge?.cpuSeconds,
      merge?.peakRssMb,
      merge?.tableMb,
      merge?.changesMb,
    ]) {
      expect(figure).toBeGreaterThan(0);
    }
    for (const run of merge?.runs ?? []) {
      expect(run.downloadMb).toBeGreaterThan((merge?.tableMb ?? 0) + (merge?.changesMb ?? 0) - 0.1);
      expect(run.uploadMb).toBeGreaterThan(0);
    }
    expect(merge?.duckdb.threads).toMatch(/^\d+$/);

    // Every Lambda the stack deploys is among the entries measured.
    const measured = results.bundles.map((bundle) => bundle.name);
    for (const name of Object.keys(FUNCTION_SPECS)) expect(measured).toContain(name);
    for (const bundle of results.bundles) {
      expect(bundle.bytes).toBeGreaterThan(10_000);
      expect(bundle.importMs).toBeGreaterThan(0);
      expect(bundle.importMsSourceMaps).toBeGreaterThan(0);
      // A fresh Node process alone holds tens of MB; the import adds to it.
      expect(bundle.importRssMb).toBeGreaterThan(20);
      expect(bundle.importRssMbSourceMaps).toBeGreaterThan(20);
    }
    const table = formatTable(results);
    expect(table).toContain("extract 20,000 connector");
    expect(table).toContain("extract 20,000 parquet");
    expect(table).toContain("load 20,000 connector");
    expect(table).toContain("merge 20,000 changed rows into 20,000");
    expect(log.length).toBeGreaterThan(0);
  }, 180_000);
});
