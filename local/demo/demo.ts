// local/demo/: saddledata demo: the whole connector against the bundled demo org, with its checks
/**
 * `saddledata demo`: the whole connector on one machine with no accounts. It starts the bundled demo
 * org and the embedded S3 / DynamoDB / Secrets Manager, runs a full sync through the synthesized sync
 * state machine, changes a few records in the org, runs an incremental sync (which must bring exactly
 * those changes), then drops a sample file under `inbound/` so the S3 object-created hook starts the
 * load state machine. The sample has one deliberately bad row, which must end in `failed.csv`. Between
 * the two, one query over the local lake's current-state tables shows what the syncs merged.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Emulator, startEmulator } from "../../emulator/index";
import { LOCAL_REGION } from "../../functions/aws/clients";
import type { Log, Metrics } from "../../functions/core/ports";
import { type InboundLoads, watchInbound } from "../cli/inbound-loads";
import { dropFile, type LoadReport } from "../cli/load-run";
import type { Progress } from "../cli/progress";
import { createRuns } from "../cli/runs";
import { lockStateDir } from "../cli/state-lock";
import { runSync, type SyncReport } from "../cli/sync-run";
import { plural } from "../cli/text-format";
import { type LocalEnvironment, startLocalEnvironment } from "../environment";
import { applyDemoChanges, type DemoChanges } from "./changes";
import {
  checkIncremental,
  type DemoCheck,
  type FailedRow,
  type LandedChanges,
  landedChanges,
  readFailedRows,
} from "./checks";
import { type DemoLake, queryDemoLake } from "./lake";

export const DEMO_SAMPLE = fileURLToPath(new URL("../../samples/accounts-upsert.csv", import.meta.url));
/** The sample's deliberate mistake: a new account (unknown ERP id) without the required Name. */
export const DEMO_BAD_ROW = {
  column: "ERP_Id__c",
  value: "ERP-90003",
  errorCode: "REQUIRED_FIELD_MISSING",
} as const;

/** Settings for a demo: no lag or lookback, so the incremental sync shows exactly what changed. */
const DEMO_SETTINGS = {
  lagSeconds: 0,
  lookbackSeconds: 0,
  pollFirstSeconds: 1,
  load: { pollFirstSeconds: 1, retryWaitSeconds: 1 },
};

export interface DemoOptions {
  /** Keep state here (default: a temporary folder, removed at the end unless `keep`). */
  stateDir?: string;
  keep?: boolean;
  progress: Progress;
  log?: Log;
  /** Where the runtime's metrics go (default: nowhere). */
  metrics?: Metrics;
  /** The demo org's seed (the sample file is written for seed 1). */
  seed?: number;
  /**
   * Registers what to do if the person presses Ctrl-C (stop the servers, remove the temporary folder);
   * returns the function that unregisters it.
   */
  onInterrupt?: (cleanup: () => Promise<void>) => () => void;
}

export interface DemoReport {
  ok: boolean;
  seconds: number;
  stateDir: string;
  /** Whether the state folder is still there after the demo. */
  kept: boolean;
  org: { url: string; seed: number };
  fullSync: SyncReport;
  changes: DemoChanges;
  incrementalSync: SyncReport & { landed: LandedChanges[] };
  load: LoadReport & { expectedFailure?: FailedRow };
  /** One query over the current-state tables after the incremental sync, and its check. */
  lake: DemoLake;
  /** API requests the demo org served (OAuth logins apart), per step and by kind. */
  apiCalls: {
    total: number;
    fullSync: number;
    incrementalSync: number;
    load: number;
    oauth: number;
    byKind: Record<string, number>;
  };
  manifests: string[];
  results: string[];
  checks: DemoCheck[];
}

function checkLoad(load: LoadReport, failed: FailedRow[]): { check: DemoCheck; expected?: FailedRow } {
  const bad = failed.find((row) => row.values[DEMO_BAD_ROW.column] === DEMO_BAD_ROW.value);
  const counts = load.counts;
  const others = counts ? counts.read - 1 : 0;
  if (load.status === "partial" && bad && counts && counts.failed === 1 && counts.succeeded === others) {
    return {
      check: {
        name: "load",
        ok: true,
        detail: `${counts.succeeded} of ${plural(counts.read, "row")} loaded; the deliberate bad row (${DEMO_BAD_ROW.value}) is in failed.csv, as expected: ${bad.error}`,
      },
      expected: bad,
    };
  }
  const problems = [
    `status ${load.status}`,
    counts
      ? `${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.rejected} rejected of ${counts.read}`
      : "no counts",
    bad ? `bad row failed with ${bad.error}` : `the bad row ${DEMO_BAD_ROW.value} is not in failed.csv`,
  ];
  return { check: { name: "load", ok: false, detail: `${problems.join("; ")}. ${load.message}` } };
}

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const started = Date.now();
  const { progress } = options;
  const seed = options.seed ?? 1;
  const temporary = options.stateDir === undefined;
  const stateDir = options.stateDir
    ? resolve(options.stateDir)
    : await mkdtemp(join(tmpdir(), "saddledata-demo-"));
  const stops: Array<() => Promise<void>> = [];
  let emulator: Emulator | undefined;
  let env: LocalEnvironment | undefined;
  let inbound: InboundLoads | undefined;
  const unlock = await lockStateDir(stateDir);
  stops.push(unlock);
  const removeTemporary = async () => {
    if (temporary && options.keep !== true) await rm(stateDir, { recursive: true, force: true });
  };
  // Interrupted, nothing is waited for: the servers stop under the runs in flight, then the process ends.
  const release = options.onInterrupt?.(async () => {
    await Promise.allSettled(stops.map((stop) => stop()));
    await removeTemporary();
  });
  const shutDown = async (): Promise<unknown[]> => {
    release?.();
    const failures: unknown[] = [];
    if (inbound) await inbound.stop().catch((error: unknown) => failures.push(error));
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => failures.push(error));
    await removeTemporary();
    return failures;
  };
  let report: DemoReport;
  try {
    const starting = progress.step("Starting the demo org and the embedded S3, DynamoDB and Secrets Manager");
    emulator = await startEmulator({ port: 0, seed });
    stops.push(() => (emulator as Emulator).stop());
    env = await startLocalEnvironment({
      directory: stateDir,
      connection: "demo",
      credentials: { ...emulator.credentials },
      settings: DEMO_SETTINGS,
      ...(options.log ? { log: options.log } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
    stops.push(() => (env as LocalEnvironment).stop());
    const local = env.aws;
    if (!local) throw new Error("The demo needs the embedded AWS services.");
    // Bulk jobs on the demo org finish in milliseconds: poll it often instead of waiting seconds.
    const runs = await createRuns(env.runtime, { waitMs: 100, retryIntervalMs: 200 });
    inbound = watchInbound(local.s3, runs.runner, LOCAL_REGION);
    starting.succeed(`demo org at ${emulator.url}, state in ${stateDir}`);
    const { calls } = emulator;
    calls.reset();

    const fullStep = progress.step("Full sync");
    const fullSync = await runSync(runs, { request: { mode: "full_refresh" }, progress: fullStep });
    const fullCalls = calls.total;
    (fullSync.status === "succeeded" ? fullStep.succeed : fullStep.fail)(
      `${plural(fullSync.totals.objects, "object")}, ${plural(fullSync.totals.records, "record")}, ${plural(fullSync.totals.parts, "part")}`,
    );

    const changeStep = progress.step("Changing records in the demo org");
    const changes = applyDemoChanges(emulator.org);
    // The org's clock moves on a little, as it would between two scheduled runs: a sync reads up to the
    // last whole second, so changes made this very second would wait for the next run.
    emulator.org.clock.advance(2_000);
    changeStep.succeed(
      Object.entries(changes)
        .map(([object, change]) => {
          const parts = [
            change.inserted.length > 0 ? `${change.inserted.length} inserted` : "",
            change.updated.length > 0 ? `${change.updated.length} updated` : "",
            change.deleted.length > 0 ? `${change.deleted.length} deleted` : "",
          ].filter(Boolean);
          return `${object} ${parts.join(", ")}`;
        })
        .join("; "),
    );

    const incrementalStep = progress.step("Incremental sync");
    const incremental = await runSync(runs, { request: { mode: "incremental" }, progress: incrementalStep });
    const incrementalCalls = calls.total - fullCalls;
    const landed = await landedChanges(env.runtime.store, incremental, changes);
    const incrementalCheck = checkIncremental(landed, changes);
    (incremental.status === "succeeded" && incrementalCheck.ok
      ? incrementalStep.succeed
      : incrementalStep.fail)(incrementalCheck.detail);

    const lakeStep = progress.step("Querying the lake: current-state tables in DuckDB");
    const lake = await queryDemoLake(env.runtime, emulator.org, stateDir);
    (lake.check.ok ? lakeStep.succeed : lakeStep.fail)(lake.check.detail);

    const loadStep = progress.step(
      `Loading ${DEMO_SAMPLE.split("/").slice(-2).join("/")} (dropped under inbound/)`,
    );
    loadStep.update("the object-created event started the load state machine");
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z");
    const load = await dropFile(
      runs,
      inbound,
      DEMO_SAMPLE,
      {
        object: "Account",
        operation: "upsert",
        externalIdField: "ERP_Id__c",
      },
      `accounts-upsert-${stamp}.csv`,
    );
    const loadCalls = calls.total - fullCalls - incrementalCalls;
    const failed = load.files?.failed ? await readFailedRows(env.runtime.store, load.files.failed) : [];
    const loadCheck = checkLoad(load, failed);
    (loadCheck.check.ok ? loadStep.succeed : loadStep.fail)(loadCheck.check.detail);

    const checks: DemoCheck[] = [
      {
        name: "full sync",
        ok: fullSync.status === "succeeded",
        detail:
          fullSync.status === "succeeded"
            ? `${plural(fullSync.totals.records, "record")} of ${plural(fullSync.totals.objects, "object")}`
            : `${fullSync.totals.failed} objects failed`,
      },
      { ...incrementalCheck, ok: incrementalCheck.ok && incremental.status === "succeeded" },
      lake.check,
      loadCheck.check,
    ];
    report = {
      ok: checks.every((check) => check.ok),
      seconds: (Date.now() - started) / 1000,
      stateDir,
      kept: !temporary || options.keep === true,
      org: { url: emulator.url, seed },
      fullSync,
      changes,
      incrementalSync: { ...incremental, landed },
      load: loadCheck.expected ? { ...load, expectedFailure: loadCheck.expected } : load,
      lake,
      apiCalls: {
        total: calls.total,
        fullSync: fullCalls,
        incrementalSync: incrementalCalls,
        load: loadCalls,
        oauth: calls.oauth,
        byKind: calls.byKind() as Record<string, number>,
      },
      manifests: [...fullSync.manifests, ...incremental.manifests],
      results: Object.values(load.files ?? {}),
      checks,
    };
  } catch (error) {
    // The demo's own error is the one to report; a shutdown failure after it rides along as its cause.
    const [failure] = await shutDown();
    if (failure !== undefined && error instanceof Error && error.cause === undefined) error.cause = failure;
    throw error;
  }
  const [failure] = await shutDown();
  if (failure !== undefined) throw failure;
  return report;
}
