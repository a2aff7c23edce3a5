/**
 * The load fault campaign for one seed: a few inbound files dropped into the local S3, each announced
 * by the S3 event the inbound rule turns into a load (sometimes several times at once, and once more as
 * a direct start), loaded through the synthesized load state machine while the emulator injects faults
 * into describes, collections, Bulk ingest uploads, polls and result downloads, and (in the crash
 * campaign) the load handler dies before or after its steps. A load that failed for good is taken over
 * by a manual retry where that is safe (upsert, update, delete); inserts are never repeated blindly.
 * The invariants (campaign-load-checks.ts) are checked once every execution for a file has ended.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { type Emulator, startEmulator } from "../../emulator/index";
import { demoObjects } from "../../emulator/org/demo-schema";
import { createOrg } from "../../emulator/org/org";
import { LOCAL_REGION } from "../../functions/aws/clients";
import { loadHandler } from "../../functions/load/handler";
import { clearSessionCache } from "../../functions/salesforce/client";
import type { ObjectCreatedEvent } from "../../local/aws/s3";
import { toEventBridgeEvent } from "../../local/aws/s3-event";
import { type LocalEnvironment, startLocalEnvironment } from "../../local/environment";
import { createLocalRunner, type LocalExecution } from "../../local/stepfunctions/state-machine";
import { LOCAL_ACCOUNT } from "../../local/stepfunctions/synthesized-stack";
import { type CrashPlan, crashing } from "./campaign-crash";
import { loadFaultRules } from "./campaign-faults";
import { checkLoadedFile, latestClaim } from "./campaign-load-checks";
import { planFile } from "./campaign-load-files";
import { campaignRandom } from "./campaign-random";
import { addFired, type CampaignReport, countInto, emptyReport } from "./campaign-report";
import { silentLog, T0 } from "./campaign-sync";

export interface LoadSeedOptions {
  seed: number;
  /** Files loaded one after the other. */
  files: number;
  faults: boolean;
  crashes: boolean;
  progress?: (line: string) => void;
}

export async function runLoadSeed(options: LoadSeedOptions): Promise<CampaignReport> {
  const { seed } = options;
  const report = emptyReport();
  report.seeds = 1;
  const random = campaignRandom(seed, options.crashes ? "load-crash" : "load");
  const label = `${options.crashes ? "load-crash" : "load"} seed ${seed}`;
  clearSessionCache();
  const org = createOrg({ seed, now: T0, frozen: true, objects: demoObjects() });
  let emulator: Emulator | undefined;
  let env: LocalEnvironment | undefined;
  try {
    emulator = await startEmulator({ org, seed, bulk: { queuedMs: 2, processingMsPer10k: 1 } });
    const load = {
      collectionsMaxRows: random.pick([0, 8, 2000]),
      jobMaxBytes: random.pick([1024, 2048, 100 * 1024 * 1024]),
      maxRetryRounds: random.pick([0, 1, 3]),
      retryWaitSeconds: 0,
      pollFirstSeconds: 1,
      pollMaxSeconds: 1,
    };
    // Every seed has its own local S3: one prefix for all keeps one synthesized stack for all.
    const prefix = "load";
    env = await startLocalEnvironment({
      connection: "chaos",
      prefix,
      credentials: { ...emulator.credentials, loginUrl: emulator.url },
      settings: { load, reserve: { dailyApiRequests: 0, dailyBulkQueryJobs: 0, dailyBulkBatches: 0 } },
      log: silentLog,
    });
    const created: ObjectCreatedEvent[] = [];
    env.aws?.s3.onObjectCreated((event) => created.push(event));
    const plan: CrashPlan = {
      enabled: false,
      rate: 0.15,
      actions: ["claim", "submit", "poll", "results", "finish", "fail"],
      fatalActions: ["claim", "submit", "poll", "results", "finish"],
      fatalShare: 0.4,
    };
    const crashRandom = campaignRandom(seed, "load-crash-points");
    const runner = await createLocalRunner({
      runtime: env.runtime,
      waitMs: 1,
      retryIntervalMs: 1,
      invocationBudgetMs: { load: random.pick([1, 900_000]) },
      ...(options.crashes
        ? {
            handlers: {
              load: crashing(loadHandler, crashRandom, plan, (key) => countInto(report.crashes, key)),
            },
          }
        : {}),
    });
    options.progress?.(`${label}: ${JSON.stringify(load)}`);
    const bucket = env.runtime.config.bucket;
    for (let index = 1; index <= options.files; index++) {
      const file = planFile(random, org, env.runtime.layout.prefix, `${seed}-${index}`);
      const before = created.length;
      await env.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: file.key, Body: file.body }));
      const put = created.slice(before).find((event) => event.key === file.key);
      if (!put) throw new Error(`campaign setup: no Object Created event for ${file.key}`);
      const event = toEventBridgeEvent(put, { account: LOCAL_ACCOUNT, region: LOCAL_REGION });
      emulator.faults.clear();
      emulator.faults.clearFired();
      if (options.faults) {
        for (const rule of loadFaultRules(random, `load-${seed}-${index}`, file.lockable))
          emulator.faults.add(rule);
      }
      if (random.chance(0.2)) emulator.expireTokens();
      plan.enabled = options.crashes;
      // The event, delivered once or several times at once (EventBridge delivers at least once), and
      // sometimes also started by hand with the same event: one load, whatever the number of starts.
      const duplicates = random.chance(0.3) ? random.int(1, 2) : 0;
      const direct = random.chance(0.2);
      const starts: Array<Promise<LocalExecution | undefined>> = [];
      for (let n = 0; n <= duplicates; n++) {
        starts.push(
          runner
            .triggerLoad(event)
            .then((trigger) => (trigger.status === "started" ? trigger.execution : undefined)),
        );
      }
      if (direct) starts.push(runner.runLoad(event, { name: `direct-${seed}-${index}` }));
      const executions = (await Promise.all(starts)).filter((e): e is LocalExecution => e !== undefined);
      report.runs += executions.length;
      // Past the claim means the run owned the file: exactly one may.
      const owners = executions.filter((execution) => execution.states.includes("Validate and submit"));
      if (owners.length > 1) {
        report.violations.push(
          `${label} ${file.key}: ${owners.length} of ${executions.length} executions loaded the same file version`,
        );
      }
      // A partial load fails with RowsNotLoaded by design (rows Salesforce refused); the rest are failures.
      report.failedRuns += executions.filter(
        (execution) => execution.status !== "SUCCEEDED" && execution.error !== "RowsNotLoaded",
      ).length;
      addFired(report, emulator.faults.fired());
      emulator.faults.clear();
      plan.enabled = false;
      const version = put.eTag.replace(/"/g, "");
      const claim = await latestClaim(env.runtime.state, bucket, file.key, version);
      let repair: LocalExecution | undefined;
      if (claim === undefined) {
        // Every start failed before claiming (a claim that died first): nothing was sent; start it again.
        repair = await runner.runLoad({ bucket, key: file.key }, { name: `again-${seed}-${index}` });
      } else if (claim.status === "failed" && file.operation !== "insert") {
        // The repair a user makes after a failed load: a manual retry, which takes the file over. An
        // insert is never repeated blindly: its failed run's results say what was created.
        repair = await runner.runLoad(
          { bucket, key: file.key, retry: true },
          { name: `retry-${seed}-${index}` },
        );
      }
      if (repair) report.runs += 1;
      const checked = await checkLoadedFile({
        label,
        file,
        bucket,
        resultsFolder: env.runtime.layout.resultsFolder(file.key),
        version,
        store: env.runtime.store,
        state: env.runtime.state,
        org,
      });
      report.violations.push(...checked.violations);
      if (checked.violations.length > 0) {
        // What the executions did, to tell a reproduction what to look for.
        for (const execution of [...executions, ...(repair ? [repair] : [])]) {
          report.violations.push(
            `${label} ${file.key}: context: execution ${execution.name} ${execution.status} ${execution.error ?? ""} ${String(execution.cause ?? "").slice(0, 300)}; states ${execution.states.slice(-8).join(" > ")}`,
          );
        }
      }
      report.rowsAccounted += checked.rowsAccounted;
      if (repair && !checked.finished) {
        report.violations.push(
          `${label} ${file.key}: the repair run did not finish the load (${repair.status} ${repair.error}: ${String(repair.cause).slice(0, 200)})`,
        );
      }
      const first = executions[0];
      options.progress?.(
        `${label} file ${index} (${file.operation} ${file.format}, ${file.rows.length} rows, ${executions.length} starts): ${first?.status ?? "none"} ${first?.error ?? ""}${repair ? `, repair ${repair.status}` : ""}; ${checked.violations.length} violations`,
      );
    }
  } finally {
    await env?.stop();
    await emulator?.stop();
    clearSessionCache();
  }
  return report;
}
