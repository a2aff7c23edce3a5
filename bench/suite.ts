/**
 * The benchmark suite behind `npm run bench` and its CI smoke test: the same code at any size. The
 * emulator and the AWS services run in processes of their own; every measurement runs in a fresh
 * child that reports its own peak RSS and wall time; API calls come from the emulator's counters.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { ENV } from "../functions/contract";
import {
  FUNCTION_SPECS,
  LAMBDA_MALLOC_ENVIRONMENT,
  LAMBDA_NODE_OPTIONS,
} from "../lib/connector-function.construct";
import type { LocalAwsReady } from "./aws/main";
import { type BundleFigures, measureColdStart } from "./cold-start/cold-start";
import type { CostRunResult } from "./cost/run";
import { BENCH_EXTERNAL_ID, BENCH_OBJECT } from "./emulator/bench-object";
import type { EmulatorReady } from "./emulator/main";
import type { ExtractBaselineResult } from "./extract/baseline";
import type { ExtractConnectorResult } from "./extract/connector";
import type { ExtractLimitResult } from "./extract/limit";
import type { VerifyResult } from "./extract/verify";
import type { MergeResult } from "./lake/merge";
import type { MergeSetupResult } from "./lake/merge-setup";
import type { LoadConnectorResult } from "./load/connector";
import type { LoadLimitResult } from "./load/limit";
import { runChild, type Service, startService } from "./process/children";
import { type CallCounts, readCalls, resetCalls } from "./process/emulator-control";
import { type CostFigures, type CostUsage, costOf, PRICES, type Prices, s3RequestClass } from "./report/cost";
import { median, ratio } from "./report/stats";
import type { LoadFileResult, SetupResult } from "./setup/main";

/** The extract's paths measured beside the limit (which always runs: it sizes the CSV). */
export const EXTRACT_PATHS = ["connector", "parquet", "baseline"] as const;
export type ExtractPath = (typeof EXTRACT_PATHS)[number];

export interface BenchOptions {
  /** Extract sizes (records); the largest is the headline. */
  extractSizes: number[];
  /** Which extract paths to measure (default: all); a subset is merged into earlier results (`--only`). */
  extractPaths?: ExtractPath[];
  repetitions: number;
  importRepetitions: number;
  /** Multiplies the state machine's Wait seconds (1: real time). */
  waitScale: number;
  /** Each extract invocation's time budget (default: the extract Lambda's timeout). */
  invocationBudgetMs?: number;
  /** Connection settings on top of the bench defaults (e.g. a smaller page for the smoke test). */
  settings?: Record<string, unknown>;
  /** Heap for the naive baseline, which holds every record at once (MB). */
  baselineHeapMb: number;
  /**
   * Repetitions of the naive baseline from 1,000,000 records up (default: `repetitions`). At a million
   * rows it takes two to three minutes a run, more than the rest of the extract benchmark together.
   */
  largeBaselineRepetitions?: number;
  /** Rows of the load benchmark's upsert file (0: no load benchmark). */
  loadRecords: number;
  /**
   * Rows of the merge benchmark's current-state table, every one of them changed by the run merged
   * into it (0 or absent: no merge benchmark).
   */
  mergeRecords?: number;
  /** Rows per Parquet part of the merge benchmark's change run (default 250,000, a Bulk page). */
  mergePartRecords?: number;
  /**
   * Records of the cost phase's sync and load (0 or absent: no cost phase): one whole execution of each
   * state machine, its usage priced and scaled to 1,000,000 records (`cost` in the results).
   */
  costRecords?: number;
  coldStart: boolean;
  /** Read back every part the connector landed and check it against the manifest (slow at scale). */
  verifyLanded?: boolean;
  /** Write a CPU profile of every connector child here (`node --cpu-prof`). */
  profileDir?: string;
  /** Node flags of every measured child (default: the stack's NODE_OPTIONS). */
  nodeOptions?: string;
  /**
   * The extract Lambda's memory the extract children run as (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, which
   * decides whether Parquet row groups are encoded on a second thread); default the stack's.
   */
  extractMemoryMb?: number;
  log: (line: string) => void;
}

/** One measured path at one size: medians over the repetitions, and every run. */
export interface PathFigures {
  records: number;
  recordsPerSecond: number;
  /** MB (10^6 bytes) of Bulk CSV per second. */
  mbPerSecond: number;
  peakRssMb: number;
  apiCalls: number;
  wallMs: number;
  /** CPU time (user + system, all threads) of the measured section: steadier than wall time on a busy machine. */
  cpuMs: number;
  callsByKind: Record<string, number>;
  runs: Array<
    { wallMs: number; cpuMs: number; peakRssMb: number; apiCalls: number } & Record<string, unknown>
  >;
  /** When the path was measured and the load average around its size's measurements (paths may be measured apart: `--only`). */
  measuredAt?: string;
  loadAverage?: { before: number[]; after: number[] };
}

export interface SizeFigures {
  records: number;
  csvBytes: number;
  limit: PathFigures;
  /** The connector writing gzip JSON lines (the format of the earlier figures). */
  connector?: PathFigures;
  /** The same extract writing typed Parquet parts (the default format). */
  parquet?: PathFigures;
  baseline?: PathFigures;
}

export interface BenchResults {
  generatedAt: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGb: number;
    node: string;
    platform: string;
    /** 1, 5 and 15 minute load averages: other processes on the machine skew wall times, not CPU times. */
    loadAverage: { before: number[]; after: number[] };
  };
  extract?: {
    records: number;
    csvBytes: number;
    limit: PathFigures;
    connector: PathFigures;
    /** The connector writing Parquet parts, at the same size. */
    parquet: PathFigures;
    baseline: PathFigures;
    /** Connector peak RSS at 100,000 records (or the smallest size run). */
    peakRssMb100k: number;
    ratios: {
      connectorToLimit: number;
      connectorToBaseline: number;
      rssLargestToSmallest: number;
      /** Parquet records/s over JSON lines records/s. */
      parquetToConnector: number;
    };
    sizes: SizeFigures[];
  };
  load?: {
    records: number;
    csvBytes: number;
    jobs: number;
    limit: PathFigures;
    connector: PathFigures;
    ratios: { connectorToLimit: number };
  };
  merge?: MergeFigures;
  cost?: CostResults;
  /** Figures by size of a run that measured only some extract paths (`extractPaths`), instead of `extract`. */
  extractSizes?: SizeFigures[];
  bundles: BundleFigures[];
}

/** The lake's merge on one machine: a change run updating every row of a current-state table. */
export interface MergeFigures {
  /** Changed rows merged (each updates one row of the table). */
  rows: number;
  tableRows: number;
  /** The bench object's lake columns. */
  columns: number;
  /** Medians over the repetitions: wall seconds of the merge step, its CPU seconds (every thread), peak RSS. */
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  /** The Parquet table merged into and the change run's parts, as stored (MB). */
  tableMb: number;
  changesMb: number;
  /** DuckDB's settings in the engine's database. */
  duckdb: Record<string, string>;
  /** When the merge was measured, and the load average around it (it may run alone: `--only merge`). */
  measuredAt: string;
  loadAverage: { before: number[]; after: number[] };
  runs: Array<Omit<MergeResult, "duckdb" | "rows" | "ids" | "changedRows" | "mergedSeq">>;
}

/** The cost model: a measured sync and load, their usage, and both priced per 1,000,000 records. */
export interface CostResults {
  measuredAt: string;
  loadAverage: { before: number[]; after: number[] };
  prices: Prices;
  /** How each figure was obtained, and what it leaves out. */
  notes: string[];
  extract: { run: CostRunResult; usage: CostUsage; perMillion: CostFigures };
  load: { run: CostRunResult; usage: CostUsage; perMillion: CostFigures };
}

export const BENCH_CONNECTION = "bench";
export const BENCH_BUCKET = "saddledata-bench";

/** The connector's settings in the benchmark: its defaults, limited to the bench object. */
export function benchSettings(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    include: [BENCH_OBJECT],
    objects: [BENCH_OBJECT],
    defaultMode: "full_refresh",
    // extract.connector keeps measuring the JSON-lines path, comparable with earlier figures;
    // extract.parquet measures the default format beside it.
    format: "jsonl",
    ...extra,
  };
}

/** What a Lambda of the stack finds in its environment, pointed at the benchmark's services. */
function lambdaEnvironment(aws: LocalAwsReady, settings: Record<string, unknown>): Record<string, string> {
  return {
    ...LAMBDA_MALLOC_ENVIRONMENT,
    [ENV.connection]: BENCH_CONNECTION,
    [ENV.bucket]: aws.bucket,
    [ENV.table]: aws.table,
    [ENV.secretId]: `saddledata/${BENCH_CONNECTION}`,
    [ENV.settings]: JSON.stringify(settings),
    AWS_ENDPOINT_URL_S3: aws.endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: aws.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoints.secretsManager,
    AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
    AWS_REGION: aws.region,
  };
}

interface Measured<T> {
  result: T;
  calls: CallCounts;
}

async function measure<T>(
  emulator: EmulatorReady,
  run: () => Promise<T>,
  cleanupCalls: (result: T) => number = () => 0,
): Promise<Measured<T>> {
  await resetCalls(emulator.url);
  const result = await run();
  const calls = await readCalls(emulator.url);
  return { result, calls: { ...calls, total: calls.total - cleanupCalls(result) } };
}

function pathFigures(
  records: number,
  csvBytes: number,
  runs: Array<{
    wallMs: number;
    cpuMs: number;
    peakRssMb: number;
    apiCalls: number;
    callsByKind: Record<string, number>;
  }>,
): PathFigures {
  const wallMs = median(runs.map((run) => run.wallMs));
  const last = runs[runs.length - 1];
  return {
    records,
    recordsPerSecond: Math.round(median(runs.map((run) => records / (run.wallMs / 1000)))),
    mbPerSecond: Math.round(median(runs.map((run) => csvBytes / 1e6 / (run.wallMs / 1000))) * 10) / 10,
    peakRssMb: Math.round(median(runs.map((run) => run.peakRssMb))),
    apiCalls: median(runs.map((run) => run.apiCalls)),
    wallMs: Math.round(wallMs),
    cpuMs: Math.round(median(runs.map((run) => run.cpuMs))),
    callsByKind: last?.callsByKind ?? {},
    runs: runs.map(({ callsByKind: _unused, ...run }) => run),
  };
}

/** The flags a Lambda of the stack runs with (or the ones asked for), for every measured child. */
function lambdaNodeArgs(options: BenchOptions): string[] {
  return (options.nodeOptions ?? LAMBDA_NODE_OPTIONS).split(/\s+/).filter((flag) => flag !== "");
}

function profileArgs(options: BenchOptions): string[] {
  return options.profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`];
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`benchmark sanity check failed: ${message}`);
}

async function extractAtSize(
  options: BenchOptions,
  aws: Service<LocalAwsReady>,
  records: number,
): Promise<SizeFigures> {
  const { log } = options;
  const paths = new Set<ExtractPath>(options.extractPaths ?? EXTRACT_PATHS);
  const loadBefore = loadavg();
  const settings = benchSettings(options.settings);
  const memory = {
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.extractMemoryMb ?? FUNCTION_SPECS.extract.memorySize),
  };
  const env = { ...lambdaEnvironment(aws.ready, settings), ...memory };
  const parquetEnv = { ...lambdaEnvironment(aws.ready, { ...settings, format: "parquet" }), ...memory };
  const emulator = await startService<EmulatorReady>("emulator", { records });
  try {
    const ready = emulator.ready;
    check(ready.records === records, `the emulator generated ${ready.records} rows, not ${records}`);
    const setup = await runChild<SetupResult>(
      "setup",
      { kind: "discover", emulator: ready, runId: `setup-${records}-${Date.now()}` },
      { env },
    );
    const soql = `SELECT ${setup.selectFields.join(", ")} FROM ${ready.object}`;
    const pageRecords = Number(options.settings?.bulkPageRecords ?? 250_000);
    const budget = options.invocationBudgetMs ?? FUNCTION_SPECS.extract.timeout.toMilliseconds();
    const limitRuns: Array<Measured<ExtractLimitResult>> = [];
    const connectorRuns: Array<Measured<ExtractConnectorResult>> = [];
    const parquetRuns: Array<Measured<ExtractConnectorResult>> = [];
    const baselineRuns: Array<Measured<ExtractBaselineResult>> = [];
    const baselineRepetitions =
      records >= 1_000_000
        ? Math.min(options.repetitions, options.largeBaselineRepetitions ?? options.repetitions)
        : options.repetitions;
    let sharedJob: string | undefined;
    let limitJobCalls = 0;
    for (let rep = 1; rep <= options.repetitions; rep++) {
      const keepJob = rep < options.repetitions;
      const limit = await measure(ready, () =>
        runChild<ExtractLimitResult>(
          "extractLimit",
          { emulator: ready, soql, pageRecords, jobId: sharedJob, keepJob },
          { env: { ...LAMBDA_MALLOC_ENVIRONMENT }, nodeArgs: lambdaNodeArgs(options) },
        ),
      );
      check(limit.result.records === records, `limit downloaded ${limit.result.records} rows`);
      sharedJob = limit.result.jobId;
      // Each repetition is charged what it would have spent alone: the shared job's create and polls
      // (counted in the first), its pages, and the delete (counted in the last).
      if (rep === 1) limitJobCalls = limit.calls.total - limit.result.pages;
      else limit.calls.total += limitJobCalls;
      if (keepJob) limit.calls.total += 1;
      limitRuns.push(limit);
      log(
        `extract ${records} limit #${rep}: ${limit.result.wallMs.toFixed(0)} ms, ${limit.result.peakRssMb.toFixed(0)} MB, ${limit.calls.total} calls`,
      );

      const runId = `bench-${records}-${Date.now()}-${rep}`;
      if (paths.has("connector")) await measureConnector(runId, rep);
      if (paths.has("parquet")) await measureParquet(runId, rep);
      if (paths.has("baseline") && rep <= baselineRepetitions) await measureBaseline(runId, rep);
    }

    async function measureConnector(runId: string, rep: number): Promise<void> {
      const connector = await measure(ready, () =>
        runChild<ExtractConnectorResult>(
          "extractConnector",
          {
            task: { runId, object: ready.object, mode: "full_refresh", catalogKey: setup.catalogKey },
            invocationBudgetMs: budget,
            waitScale: options.waitScale,
          },
          { env, nodeArgs: [...lambdaNodeArgs(options), ...profileArgs(options)] },
        ),
      );
      check(connector.result.records === records, `the connector landed ${connector.result.records} rows`);
      if (options.verifyLanded) {
        const landed = await runChild<VerifyResult>(
          "extractVerify",
          { manifestKey: connector.result.manifestKey },
          { env },
        );
        check(landed.records === records, `the landed parts hold ${landed.records} rows`);
        check(landed.partsMatch, "a landed part's line count differs from its manifest entry");
        check(
          landed.fields.length === setup.selectFields.length,
          `landed records have ${landed.fields.length} fields, the catalog selects ${setup.selectFields.length}`,
        );
      }
      connectorRuns.push(connector);
      log(
        `extract ${records} connector #${rep}: ${connector.result.wallMs.toFixed(0)} ms data path ` +
          `(${connector.result.totalMs.toFixed(0)} ms with waits), ${connector.result.peakRssMb.toFixed(0)} MB, ` +
          `${connector.calls.total} calls, ${connector.result.parts} parts, ${connector.result.invocations.fetch} fetch invocations`,
      );
    }

    /** The same extract writing Parquet parts. */
    async function measureParquet(runId: string, rep: number): Promise<void> {
      const parquet = await measure(ready, () =>
        runChild<ExtractConnectorResult>(
          "extractConnector",
          {
            task: {
              runId: `${runId}-parquet`,
              object: ready.object,
              mode: "full_refresh",
              catalogKey: setup.catalogKey,
            },
            invocationBudgetMs: budget,
            waitScale: options.waitScale,
          },
          { env: parquetEnv, nodeArgs: [...lambdaNodeArgs(options), ...profileArgs(options)] },
        ),
      );
      check(
        parquet.result.records === records,
        `the Parquet connector landed ${parquet.result.records} rows`,
      );
      if (options.verifyLanded) {
        const landed = await runChild<VerifyResult>(
          "extractVerify",
          { manifestKey: parquet.result.manifestKey },
          { env: parquetEnv },
        );
        check(landed.records === records, `the landed Parquet parts hold ${landed.records} rows`);
        check(landed.partsMatch, "a landed Parquet part's row count differs from its manifest entry");
        check(
          landed.fields.length === setup.selectFields.length,
          `landed Parquet rows have ${landed.fields.length} fields, the catalog selects ${setup.selectFields.length}`,
        );
      }
      parquetRuns.push(parquet);
      log(
        `extract ${records} parquet #${rep}: ${parquet.result.wallMs.toFixed(0)} ms data path, ` +
          `${parquet.result.peakRssMb.toFixed(0)} MB, ${parquet.calls.total} calls, ${parquet.result.parts} parts, ` +
          `${(parquet.result.bytes / 1e6).toFixed(0)} MB landed`,
      );
    }

    async function measureBaseline(runId: string, rep: number): Promise<void> {
      const baseline = await measure(
        ready,
        () =>
          runChild<ExtractBaselineResult>(
            "extractBaseline",
            {
              aws: aws.ready,
              emulator: ready,
              soql,
              key: `baseline/${runId}.json`,
              apiVersion: "62.0",
            },
            { env, nodeArgs: [...lambdaNodeArgs(options), `--max-old-space-size=${options.baselineHeapMb}`] },
          ),
        (result) => result.cleanupCalls,
      );
      check(baseline.result.records === records, `the baseline collected ${baseline.result.records} rows`);
      baselineRuns.push(baseline);
      log(
        `extract ${records} baseline #${rep}: ${baseline.result.wallMs.toFixed(0)} ms, ${baseline.result.peakRssMb.toFixed(0)} MB, ${baseline.calls.total} calls`,
      );
    }

    const csvBytes = median(limitRuns.map((run) => run.result.csvBytes));
    const toRun = <T extends { wallMs: number; cpuMs: number; peakRssMb: number }>(run: Measured<T>) => ({
      ...run.result,
      apiCalls: run.calls.total,
      callsByKind: run.calls.byKind,
    });
    const when = {
      measuredAt: new Date().toISOString(),
      loadAverage: { before: loadBefore.map(round2), after: loadavg().map(round2) },
    };
    return {
      records,
      csvBytes,
      limit: { ...pathFigures(records, csvBytes, limitRuns.map(toRun)), ...when },
      ...(connectorRuns.length === 0
        ? {}
        : { connector: { ...connectorFigures(records, csvBytes, connectorRuns), ...when } }),
      ...(parquetRuns.length === 0
        ? {}
        : { parquet: { ...connectorFigures(records, csvBytes, parquetRuns), ...when } }),
      ...(baselineRuns.length === 0
        ? {}
        : { baseline: { ...pathFigures(records, csvBytes, baselineRuns.map(toRun)), ...when } }),
    };
  } finally {
    await emulator.stop();
  }
}

function connectorFigures(
  records: number,
  csvBytes: number,
  runs: Array<Measured<ExtractConnectorResult>>,
): PathFigures {
  return pathFigures(
    records,
    csvBytes,
    runs.map((run) => {
      const { actionMs, invocations, manifestKey: _key, ...rest } = run.result;
      return { ...rest, apiCalls: run.calls.total, callsByKind: run.calls.byKind, actionMs, invocations };
    }),
  );
}

/**
 * The merge: an untimed child writes the table and the change run (commit 2) straight into the bucket
 * with DuckDB, and the state of one connection per repetition (merged through commit 1); then each
 * repetition's child runs the merge step under its connection.
 */
async function mergePhase(
  options: BenchOptions,
  aws: Service<LocalAwsReady>,
  records: number,
): Promise<MergeFigures> {
  const { log } = options;
  const loadBefore = loadavg();
  const stamp = Date.now();
  const env = {
    ...lambdaEnvironment(aws.ready, benchSettings(options.settings)),
    [ENV.prefix]: `merge-${stamp}`,
  };
  const connections = Array.from(
    { length: options.repetitions },
    (_, index) => `${BENCH_CONNECTION}-merge-${stamp}-${index + 1}`,
  );
  const setup = await runChild<MergeSetupResult>(
    "mergeSetup",
    { records, partRecords: options.mergePartRecords ?? 250_000, connections },
    { env },
  );
  log(
    `merge: wrote a ${records}-row table (${(setup.tableBytes / 1e6).toFixed(0)} MB) and a change run of ` +
      `${setup.parts} parts (${(setup.changeBytes / 1e6).toFixed(0)} MB), ${setup.columns} columns, in ${(setup.setupMs / 1000).toFixed(0)} s`,
  );
  const runs: MergeResult[] = [];
  for (const [index, connection] of connections.entries()) {
    const run = await runChild<MergeResult>(
      "merge",
      { object: setup.object, runId: setup.runId, catalogKey: setup.catalogKey },
      { env: { ...env, [ENV.connection]: connection }, nodeArgs: profileArgs(options) },
    );
    check(run.rows === records, `the merged table holds ${run.rows} rows, not ${records}`);
    check(run.ids === records, `the merged table holds ${run.ids} distinct Ids, not ${records}`);
    check(run.changedRows === records, `${run.changedRows} rows of ${records} carry the change run's values`);
    runs.push(run);
    log(
      `merge ${records} #${index + 1}: ${(run.wallMs / 1000).toFixed(1)} s, ${(run.cpuMs / 1000).toFixed(1)} s CPU, ` +
        `${run.peakRssMb.toFixed(0)} MB (download ${(run.downloadMs / 1000).toFixed(1)} s, upload ${(run.uploadMs / 1000).toFixed(1)} s)`,
    );
  }
  const last = runs[runs.length - 1] as MergeResult;
  return {
    rows: records,
    tableRows: records,
    columns: setup.columns,
    seconds: Math.round(median(runs.map((run) => run.wallMs)) / 100) / 10,
    cpuSeconds: Math.round(median(runs.map((run) => run.cpuMs)) / 100) / 10,
    peakRssMb: Math.round(median(runs.map((run) => run.peakRssMb))),
    tableMb: Math.round(setup.tableBytes / 1e5) / 10,
    changesMb: Math.round(setup.changeBytes / 1e5) / 10,
    duckdb: last.duckdb,
    measuredAt: new Date().toISOString(),
    loadAverage: { before: loadBefore.map(round2), after: loadavg().map(round2) },
    runs: runs.map(
      ({ duckdb: _settings, rows: _rows, ids: _ids, changedRows: _changed, mergedSeq: _seq, ...run }) => run,
    ),
  };
}

/** A cost run's usage: the Lambda time of the functions as AWS runs them, S3 requests by price class. */
export function costUsage(run: CostRunResult, athena?: CostUsage["athena"]): CostUsage {
  const s3 = { put: 0, get: 0, free: 0 };
  for (const [command, count] of Object.entries(run.s3)) s3[s3RequestClass(command)] += count;
  const lambda = run.lambda.map(({ wallMs: _wall, ...fn }) =>
    // In AWS the lake function starts Athena's MERGE and polls it; here it runs DuckDB's merge itself.
    fn.function === "lake" ? { ...fn, billedMs: 0 } : fn,
  );
  // The load trigger starts the load state machine for the file (local mode's runner starts it directly).
  if (run.kind === "load") {
    lambda.push({
      function: "load-trigger",
      memoryMb: FUNCTION_SPECS["load-trigger"].memorySize,
      invocations: 1,
      billedMs: 0,
    });
  }
  return {
    records: run.records,
    lambda,
    stateTransitions: run.transitions,
    s3,
    ...(athena === undefined ? {} : { athena }),
  };
}

const COST_NOTES = [
  "One execution of each state machine through local mode's runner (the synthesized definitions), at the cost phase's size, against the bench's emulator and local AWS; every figure scaled linearly to 1,000,000 records, so a run's fixed part (discover, polls, commit, merge start) is scaled with it: an upper bound.",
  "Lambda: each task invocation's wall time on this machine, rounded up to the ms, at the stack's memory for the function, priced as Arm (the stack's architecture; x86Usd for x86). The lake function's time is left out (in AWS it starts Athena's MERGE and polls it; here it runs DuckDB's merge); the load trigger counts one request and no duration.",
  "Step Functions: states entered plus retries (countTransitions), Standard workflows.",
  "S3: the functions' requests counted by an SDK middleware, by command: PUT/COPY/POST/LIST and multipart steps at the PUT price, GET/HEAD at the GET price, deletes free. The lake's are DuckDB's downloads and upload here, not Athena's reads.",
  "Athena: not measurable on one machine; estimated as one MERGE scanning the run's Parquet parts plus the current-state table it merges into (the table DuckDB wrote, ZSTD Parquet), i.e. a run of N changed rows into a table of N rows, with the 10 MB minimum per query.",
];

/**
 * The cost model's measurements: a sync of `records` rows of the bench object (Parquet, the default
 * format, which the lake reads) through the sync state machine, then a load of a `records`-row upsert
 * file through the load state machine, each under a connection and prefix of its own.
 */
async function costPhase(
  options: BenchOptions,
  aws: Service<LocalAwsReady>,
  records: number,
): Promise<CostResults> {
  const { log } = options;
  const loadBefore = loadavg();
  const stamp = Date.now();
  const settings = benchSettings({ ...options.settings, format: "parquet" });
  const env = {
    ...lambdaEnvironment(aws.ready, settings),
    [ENV.connection]: `${BENCH_CONNECTION}-cost-${stamp}`,
    [ENV.prefix]: `cost-${stamp}`,
  };
  const syncEmulator = await startService<EmulatorReady>("emulator", { records });
  let sync: CostRunResult;
  try {
    await runChild<SetupResult>(
      "setup",
      { kind: "discover", emulator: syncEmulator.ready, runId: `cost-setup-${stamp}` },
      { env },
    );
    sync = await runChild<CostRunResult>(
      "cost",
      { kind: "sync", object: syncEmulator.ready.object, settings },
      { env },
    );
  } finally {
    await syncEmulator.stop();
  }
  check(sync.records === records, `the cost sync landed ${sync.records} rows, not ${records}`);
  log(
    `cost: sync of ${records} in ${(sync.wallMs / 1000).toFixed(1)} s, ${sync.transitions} transitions, ` +
      `${Object.values(sync.s3).reduce((a, b) => a + b, 0)} S3 requests, ${((sync.partsBytes ?? 0) / 1e6).toFixed(1)} MB of parts`,
  );
  const loadEmulator = await startService<EmulatorReady>("emulator", { records: 0 });
  let load: CostRunResult;
  try {
    await runChild<SetupResult>(
      "setup",
      { kind: "discover", emulator: loadEmulator.ready, runId: `cost-load-setup-${stamp}` },
      { env },
    );
    const key = `cost-${stamp}/inbound/${BENCH_OBJECT}/upsert/${BENCH_EXTERNAL_ID}/cost-${stamp}.csv`;
    await runChild<LoadFileResult>("setup", { kind: "loadFile", records, keys: [key] }, { env });
    load = await runChild<CostRunResult>(
      "cost",
      { kind: "load", object: BENCH_OBJECT, key, records, settings },
      { env },
    );
  } finally {
    await loadEmulator.stop();
  }
  log(
    `cost: load of ${records} in ${(load.wallMs / 1000).toFixed(1)} s, ${load.transitions} transitions, ` +
      `${Object.values(load.s3).reduce((a, b) => a + b, 0)} S3 requests`,
  );
  const extractUsage = costUsage(sync, {
    queries: 1,
    bytesPerQuery: (sync.partsBytes ?? 0) + (sync.tableBytes ?? 0),
  });
  const loadUsage = costUsage(load);
  return {
    measuredAt: new Date().toISOString(),
    loadAverage: { before: loadBefore.map(round2), after: loadavg().map(round2) },
    prices: PRICES,
    notes: COST_NOTES,
    extract: { run: sync, usage: extractUsage, perMillion: costOf(extractUsage) },
    load: { run: load, usage: loadUsage, perMillion: costOf(loadUsage) },
  };
}

/** An hour: the load's emulator never starts processing the jobs it measures up to UploadComplete. */
const NEVER_PROCESS_MS = 3_600_000;

async function loadPhase(
  options: BenchOptions,
  aws: Service<LocalAwsReady>,
  records: number,
): Promise<NonNullable<BenchResults["load"]>> {
  const { log } = options;
  const settings = benchSettings(options.settings);
  const env = lambdaEnvironment(aws.ready, settings);
  const emulator = await startService<EmulatorReady>("emulator", { records: 0, queuedMs: NEVER_PROCESS_MS });
  try {
    const ready = emulator.ready;
    await runChild<SetupResult>(
      "setup",
      { kind: "discover", emulator: ready, runId: `setup-load-${Date.now()}` },
      { env },
    );
    const stamp = Date.now();
    const keys = Array.from(
      { length: options.repetitions },
      (_, rep) => `inbound/${BENCH_OBJECT}/upsert/${BENCH_EXTERNAL_ID}/bench-${stamp}-${rep + 1}.csv`,
    );
    const file = await runChild<LoadFileResult>("setup", { kind: "loadFile", records, keys }, { env });
    log(`load: wrote ${keys.length} copies of a ${(file.bytes / 1e6).toFixed(0)} MB upsert file`);
    const jobMaxBytes = Number(
      (options.settings?.load as Record<string, unknown> | undefined)?.jobMaxBytes ?? 100 * 1024 * 1024,
    );
    const budget = options.invocationBudgetMs ?? FUNCTION_SPECS.load.timeout.toMilliseconds();
    const limitRuns: Array<Measured<LoadLimitResult>> = [];
    const connectorRuns: Array<Measured<LoadConnectorResult>> = [];
    let jobs = 0;
    for (const [index, key] of keys.entries()) {
      const rep = index + 1;
      const limit = await measure(
        ready,
        () =>
          runChild<LoadLimitResult>(
            "loadLimit",
            {
              emulator: ready,
              bucket: aws.ready.bucket,
              key,
              object: ready.object,
              externalIdField: BENCH_EXTERNAL_ID,
              jobMaxBytes,
            },
            { env, nodeArgs: lambdaNodeArgs(options) },
          ),
        (result) => result.cleanupCalls,
      );
      check(limit.result.records === records, `the load limit sent ${limit.result.records} rows`);
      limitRuns.push(limit);
      log(
        `load ${records} limit #${rep}: ${limit.result.wallMs.toFixed(0)} ms, ${limit.result.peakRssMb.toFixed(0)} MB, ` +
          `${limit.calls.total} calls, ${limit.result.jobs} jobs`,
      );

      const connector = await measure(
        ready,
        () =>
          runChild<LoadConnectorResult>(
            "loadConnector",
            {
              bucket: aws.ready.bucket,
              key,
              runId: `bench-load-${stamp}-${rep}`,
              invocationBudgetMs: budget,
            },
            { env, nodeArgs: [...lambdaNodeArgs(options), ...profileArgs(options)] },
          ),
        (result) => result.cleanupCalls,
      );
      check(connector.result.records === records, `the load found ${connector.result.records} valid rows`);
      check(
        connector.result.uploadedRows === records,
        `the load uploaded ${connector.result.uploadedRows} rows`,
      );
      connectorRuns.push(connector);
      jobs = connector.result.jobs;
      log(
        `load ${records} connector #${rep}: ${connector.result.wallMs.toFixed(0)} ms, ${connector.result.peakRssMb.toFixed(0)} MB, ` +
          `${connector.calls.total} calls, ${connector.result.jobs} jobs, ${connector.result.invocations} invocations`,
      );
    }
    const toRun = <T extends { wallMs: number; cpuMs: number; peakRssMb: number }>(run: Measured<T>) => ({
      ...run.result,
      apiCalls: run.calls.total,
      callsByKind: run.calls.byKind,
    });
    const limit = pathFigures(records, file.bytes, limitRuns.map(toRun));
    const connector = pathFigures(records, file.bytes, connectorRuns.map(toRun));
    return {
      records,
      csvBytes: file.bytes,
      jobs,
      limit,
      connector,
      ratios: { connectorToLimit: ratio(connector.recordsPerSecond, limit.recordsPerSecond) },
    };
  } finally {
    await emulator.stop();
  }
}

/** A path's figures at one size; throws when that path was not measured there. */
function measured(size: SizeFigures, path: ExtractPath): PathFigures {
  const figures = size[path];
  if (figures === undefined) throw new Error(`extract ${path} was not measured at ${size.records} records`);
  return figures;
}

/**
 * The extract's headline (the largest size) and ratios, from every size's figures; each path must have
 * been measured at the largest size (and the connector at the smallest).
 */
export function extractSummary(bySize: SizeFigures[]): NonNullable<BenchResults["extract"]> {
  const last = bySize[bySize.length - 1] as SizeFigures;
  const first = bySize.find((size) => size.records === 100_000) ?? (bySize[0] as SizeFigures);
  const largest = {
    ...last,
    connector: measured(last, "connector"),
    parquet: measured(last, "parquet"),
    baseline: measured(last, "baseline"),
  };
  const smallest = { connector: measured(first, "connector") };
  return {
    records: largest.records,
    csvBytes: largest.csvBytes,
    limit: largest.limit,
    connector: largest.connector,
    parquet: largest.parquet,
    baseline: largest.baseline,
    peakRssMb100k: smallest.connector.peakRssMb,
    ratios: {
      connectorToLimit: ratio(largest.connector.recordsPerSecond, largest.limit.recordsPerSecond),
      connectorToBaseline: ratio(largest.connector.recordsPerSecond, largest.baseline.recordsPerSecond),
      rssLargestToSmallest: ratio(largest.connector.peakRssMb, smallest.connector.peakRssMb),
      parquetToConnector: ratio(largest.parquet.recordsPerSecond, largest.connector.recordsPerSecond),
    },
    sizes: bySize,
  };
}

export async function runBenchmark(options: BenchOptions): Promise<BenchResults> {
  const { log } = options;
  const sizes = [...options.extractSizes].sort((a, b) => a - b);
  const loadBefore = loadavg();
  const aws = await startService<LocalAwsReady>("aws", { bucket: BENCH_BUCKET });
  const bySize: SizeFigures[] = [];
  let load: BenchResults["load"];
  let merge: BenchResults["merge"];
  let cost: BenchResults["cost"];
  try {
    for (const records of sizes) bySize.push(await extractAtSize(options, aws, records));
    if (options.loadRecords > 0) load = await loadPhase(options, aws, options.loadRecords);
    if ((options.mergeRecords ?? 0) > 0) merge = await mergePhase(options, aws, options.mergeRecords ?? 0);
    if ((options.costRecords ?? 0) > 0) cost = await costPhase(options, aws, options.costRecords ?? 0);
  } finally {
    await aws.stop();
  }
  const bundles = options.coldStart ? await measureColdStart(options.importRepetitions, log) : [];
  const everyPath = EXTRACT_PATHS.every((path) => options.extractPaths?.includes(path) ?? true);
  return {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadAverage: { before: loadBefore.map(round2), after: loadavg().map(round2) },
    },
    // Some paths only: the sizes alone, for the caller to merge into earlier results.
    ...(bySize.length === 0
      ? {}
      : everyPath
        ? { extract: extractSummary(bySize) }
        : { extractSizes: bySize }),
    ...(load === undefined ? {} : { load }),
    ...(merge === undefined ? {} : { merge }),
    ...(cost === undefined ? {} : { cost }),
    bundles,
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
