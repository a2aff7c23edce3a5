/**
 * The sync fault campaign for one seed: a demo org, then several rounds of org changes (inserts,
 * updates, soft deletes, records touched late inside the lookback, many records stamped the same
 * millisecond at the window edge) each followed by a sync through the synthesized state machine while
 * the emulator injects faults the seed picks (and, in the crash campaign, handlers die before or after
 * their work). Runs may fail; a last run with faults and crashes off must repair. The invariants
 * (campaign-sync-checks.ts) are checked after every run.
 */
import { type Emulator, startEmulator } from "../../emulator/index";
import { createDemoOrg } from "../../emulator/org/demo";
import type { Org } from "../../emulator/org/types";
import type { Log } from "../../functions/core/ports";
import { discoverHandler } from "../../functions/discover/handler";
import { extractHandler } from "../../functions/extract/handler";
import { clearSessionCache } from "../../functions/salesforce/client";
import { type LocalEnvironment, startLocalEnvironment } from "../../local/environment";
import {
  createLocalRunner,
  type LocalExecution,
  type LocalHandlers,
} from "../../local/stepfunctions/state-machine";
import { type CrashPlan, crashing } from "./campaign-crash";
import { syncFaultRules } from "./campaign-faults";
import { RunObserver } from "./campaign-observe";
import { awkwardText, campaignRandom, type Random, shuffled } from "./campaign-random";
import { addFired, type CampaignReport, countInto, emptyReport } from "./campaign-report";
import { SyncChecker } from "./campaign-sync-checks";

/** Two Bulk objects (one with a formula field), one the catalog sends through REST (base64 Body), one more. */
export const SYNC_OBJECTS = ["Account", "Case", "Invoice__c", "Attachment"] as const;

export const T0 = Date.parse("2026-06-01T12:00:00.000Z");
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

export interface SyncSeedOptions {
  seed: number;
  /** Rounds of changes and faulty runs before the repair run. */
  rounds: number;
  faults: boolean;
  crashes: boolean;
  /** Progress lines (the chaos command prints them). */
  progress?: (line: string) => void;
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

const floorSecond = (ms: number) => Math.floor(ms / SECOND) * SECOND;

interface Row {
  id: string;
  stamp: number;
}

function liveRows(org: Org, object: string): Row[] {
  const result = org.query(`SELECT Id, SystemModstamp FROM ${object}`, { includeDeleted: false });
  return [...result.rows()].map((row) => ({ id: row.id, stamp: row.values[1] as number }));
}

function insertInput(random: Random, object: string, org: Org, tag: string): Record<string, unknown> {
  switch (object) {
    case "Account":
      return {
        Name: `${awkwardText(random, 30)} ${tag}`,
        Description: awkwardText(random, 200),
        NumberOfEmployees: random.int(0, 50_000),
      };
    case "Case":
      return { Subject: awkwardText(random, 80), Description: awkwardText(random, 200) };
    case "Invoice__c":
      return {
        ERP_Id__c: `CHAOS-${tag}`,
        Amount__c: random.int(0, 9_999_999) / 100,
        Notes__c: awkwardText(random, 300),
        Paid__c: random.chance(0.5),
      };
    default: {
      const parent = random.pick(liveRows(org, "Account"));
      const body = Buffer.from(awkwardText(random, 60)).toString("base64");
      return {
        Name: `file-${tag}.txt`,
        ParentId: parent.id,
        Body: body,
        Description: awkwardText(random, 100),
      };
    }
  }
}

function updateInput(random: Random, object: string): Record<string, unknown> {
  switch (object) {
    case "Account":
      // Rating moves the invoices' cross-object formula Account_Rating__c without touching them.
      return {
        Description: awkwardText(random, 200),
        Phone: `+1 555 ${random.int(1000, 9999)}`,
        ...(random.chance(0.5) ? { Rating: random.pick(["Hot", "Warm", "Cold"]) } : {}),
      };
    case "Case":
      return { Subject: awkwardText(random, 80), IsEscalated: random.chance(0.5) };
    case "Invoice__c":
      return { Amount__c: random.int(0, 9_999_999) / 100, Notes__c: awkwardText(random, 300) };
    default:
      return { Description: awkwardText(random, 100) };
  }
}

function must(result: { success: boolean; errors: unknown[] }, what: string): void {
  if (!result.success) throw new Error(`campaign setup: ${what} failed: ${JSON.stringify(result.errors)}`);
}

interface ChangeContext {
  org: Org;
  random: Random;
  /** Hard deletes draw from their own stream, so the rest of a seed's campaign (faults) stays as it was. */
  hardDeletes: Random;
  objects: readonly string[];
  /** The previous run's org time: this round's changes come after it. */
  from: number;
  /** The coming run's window end (org time minus lag, whole second). */
  edge: number;
  lagMs: number;
  lookbackMs: number;
  cursors: ReadonlyMap<string, string | undefined>;
  checker: SyncChecker;
  tag: string;
  /** Counts changes by kind into the report. */
  count: (kind: string, n?: number) => void;
}

/** One round of org changes, in time order: ordinary DML, records touched late, then the ties at the edge. */
function changeOrg(context: ChangeContext): void {
  const { org, random, hardDeletes, objects, tag, count } = context;
  let t = context.from + SECOND;
  const tick = () => {
    t += random.int(1, 5 * SECOND);
    org.clock.set(t, { frozen: true });
  };
  let serial = 0;
  const operations: Array<() => void> = [];
  for (const object of objects) {
    for (let n = random.int(0, 4); n > 0; n--) {
      operations.push(() => {
        must(
          org.insert(object, insertInput(random, object, org, `${tag}-${serial++}`), "json"),
          `insert ${object}`,
        );
        count("insert");
      });
    }
    for (let n = random.int(0, 4); n > 0; n--) {
      operations.push(() => {
        const rows = liveRows(org, object);
        if (rows.length === 0) return; // hard deletes can empty a small object
        const row = random.pick(rows);
        const input = updateInput(random, object);
        must(org.update(object, { Id: row.id, ...input }, "json"), `update ${object}`);
        count(input.Rating === undefined ? "update" : "parent change (Account.Rating)");
      });
    }
    for (let n = random.int(0, 2); n > 0; n--) {
      operations.push(() => {
        const rows = liveRows(org, object);
        if (rows.length === 0) return;
        must(org.delete(object, random.pick(rows).id), `delete ${object}`);
        count("soft delete");
      });
    }
    // Hard deletes leave no trace in queryAll: only the org's delete log reports them.
    if (hardDeletes.chance(0.5)) {
      operations.push(() => {
        const rows = liveRows(org, object);
        if (rows.length === 0) return;
        const row = hardDeletes.pick(rows);
        must(org.hardDelete(object, row.id), `hard delete ${object}`);
        context.checker.hardDeleted(object, row.id, t);
        count("hard delete");
      });
    }
  }
  for (const operation of shuffled(random, operations)) {
    tick();
    operation();
  }
  // Emptying the recycle bin purges the soft-deleted rows for good and cuts the org's delete log: only
  // Id reconciliation (which the cut delete log brings on) can find those deletes.
  if (hardDeletes.chance(0.25)) {
    const object = hardDeletes.pick(objects.filter((name) => name !== "Attachment"));
    tick();
    const binned = [
      ...org.query(`SELECT Id FROM ${object} WHERE IsDeleted = true`, { includeDeleted: true }).rows(),
    ].map((row) => row.id);
    org.emptyRecycleBin(object);
    for (const id of binned) context.checker.hardDeleted(object, id, t);
    count("recycle bin emptied");
    count("soft-deleted row purged", binned.length);
  }
  // Records whose transaction committed late: a timestamp inside the lookback, before the cursor, yet
  // later than the version already landed (SystemModstamp never goes back for one record).
  for (const object of objects) {
    const cursor = context.cursors.get(object);
    if (!cursor || context.lookbackMs < 2 * SECOND) continue;
    for (let n = random.int(0, 2); n > 0; n--) {
      const at = Date.parse(cursor) - random.int(SECOND, context.lookbackMs - SECOND);
      const candidates = liveRows(org, object).filter((row) => row.stamp < at);
      if (candidates.length === 0) continue;
      const row = random.pick(candidates);
      org.touch(object, [row.id], { at });
      context.checker.touchedLate(object, row.id);
    }
  }
  // Ties: many records stamped the same millisecond just before, at and (when a lag leaves room) just
  // after the coming window's end.
  const stamps = [context.edge - 1, context.edge, ...(context.lagMs > 0 ? [context.edge + 1] : [])];
  for (const object of objects.filter(() => random.chance(0.5))) {
    for (const stamp of stamps) {
      org.clock.set(stamp, { frozen: true });
      for (let n = random.int(2, 12); n > 0; n--) {
        must(
          org.insert(object, insertInput(random, object, org, `${tag}-${serial++}`), "json"),
          `tie ${object}`,
        );
      }
      const rows = liveRows(org, object).filter((row) => row.stamp < stamp);
      for (let n = random.int(0, 4); n > 0 && rows.length > 0; n--) {
        const row = rows.splice(random.int(0, rows.length - 1), 1)[0] as Row;
        must(
          org.update(object, { Id: row.id, ...updateInput(random, object) }, "json"),
          `tie update ${object}`,
        );
      }
    }
  }
}

/** A text field added to one object, already holding values on a few of its live rows. */
function addFieldWithValues(org: Org, random: Random, name: string, count: (kind: string) => void): void {
  const object = random.pick(["Account", "Case", "Invoice__c"]);
  const rows = liveRows(org, object);
  const values: Record<string, string> = {};
  for (let n = Math.min(rows.length, random.int(1, 8)); n > 0; n--) {
    values[random.pick(rows).id] = awkwardText(random, 30);
  }
  org.addField(object, { name, type: "string", length: 120, label: name }, { values });
  count("field added with values");
}

/** Runs one seed of the sync campaign and reports what it did and every invariant it saw broken. */
export async function runSyncSeed(options: SyncSeedOptions): Promise<CampaignReport> {
  const { seed } = options;
  const report = emptyReport();
  report.seeds = 1;
  const random = campaignRandom(seed, options.crashes ? "sync-crash" : "sync");
  const hardDeletes = campaignRandom(seed, "hard-deletes");
  const label = `${options.crashes ? "sync-crash" : "sync"} seed ${seed}`;
  clearSessionCache();
  const org = createDemoOrg({ seed, now: T0 });
  org.clock.set(T0, { frozen: true });
  let emulator: Emulator | undefined;
  let env: LocalEnvironment | undefined;
  try {
    emulator = await startEmulator({ org, seed, bulk: { queuedMs: 2, processingMsPer10k: 1 } });
    const lagSeconds = random.pick([0, 30, 120]);
    const lookbackSeconds = random.pick([60, 300, 900]);
    const settings = {
      lagSeconds,
      lookbackSeconds,
      leaseSeconds: 60,
      bulkPageRecords: random.pick([25, 70, 1000]),
      restMaxRecords: random.pick([0, 20, 10_000]),
      restPartRecords: random.pick([15, 60, 50_000]),
      reserve: { dailyApiRequests: 0, dailyBulkQueryJobs: 0 },
      // Formula fields read again every hour (about every other run) or daily (after clock jumps).
      formulaRefresh: random.pick(["1h", "daily"]),
    };
    env = await startLocalEnvironment({
      connection: "chaos",
      // Every seed has its own local S3: one prefix for all keeps one synthesized stack for all.
      prefix: "sync",
      credentials: { ...emulator.credentials, loginUrl: emulator.url },
      settings,
      log: silentLog,
    });
    const plan: CrashPlan = {
      enabled: false,
      rate: 0.15,
      actions: ["discover", "start", "poll", "fetch", "commit", "abort"],
      // A Lambda that times out while recording a failure leaves the lease held until it expires:
      // by design, so the abort only crashes with the retried error.
      fatalActions: ["discover", "start", "poll", "fetch", "commit"],
      fatalShare: 0.4,
    };
    const crashRandom = campaignRandom(seed, "crash-points");
    const crashCount = (key: string) => countInto(report.crashes, key);
    const observer = new RunObserver();
    const handlers: Partial<LocalHandlers> = options.crashes
      ? {
          discover: crashing(discoverHandler, crashRandom, plan, crashCount),
          extract: observer.wrap(crashing(extractHandler, crashRandom, plan, crashCount)),
        }
      : { extract: observer.wrap(extractHandler) };
    const runner = await createLocalRunner({
      runtime: env.runtime,
      mapConcurrency: random.pick([1, 2, 4]),
      waitMs: 1,
      retryIntervalMs: 1,
      invocationBudgetMs: { extract: random.pick([1, 900_000]) },
      handlers,
    });
    const checker = new SyncChecker({
      org,
      store: env.runtime.store,
      state: env.runtime.state,
      layout: env.runtime.layout,
      connection: "chaos",
      objects: SYNC_OBJECTS,
    });
    options.progress?.(
      `${label}: lag ${lagSeconds}s, lookback ${lookbackSeconds}s, ${JSON.stringify(settings)}`,
    );
    let runAt = T0;
    const count = (kind: string, n = 1) => countInto(report.orgChanges, kind, n);
    // One field appears mid-campaign already holding values on some rows (field-level security granted):
    // the next run must backfill it.
    const fieldRound = random.int(1, Math.max(1, options.rounds));
    for (let round = 1; round <= options.rounds + 1; round++) {
      const repair = round > options.rounds;
      const previous = runAt;
      runAt = previous + random.int(15, 90) * MINUTE + (random.chance(0.5) ? random.int(1, 999) : 0);
      // Clock jumps of a day or more move TODAY() formulas (Invoice__c.Days_Overdue__c) without touching
      // any record; the repair run always follows one, so its formula refresh is due whatever the setting.
      if (repair || random.chance(0.3)) {
        runAt += random.int(1, 3) * DAY;
        count("clock jump (days)");
      }
      const edge = floorSecond(runAt - lagSeconds * SECOND);
      const cursorsBefore = await checker.cursorsNow();
      if (!repair) {
        changeOrg({
          org,
          random,
          hardDeletes,
          objects: SYNC_OBJECTS,
          from: previous,
          edge,
          lagMs: lagSeconds * SECOND,
          lookbackMs: lookbackSeconds * SECOND,
          cursors: cursorsBefore,
          checker,
          tag: `${seed}-${round}`,
          count,
        });
        if (round === fieldRound) addFieldWithValues(org, random, `Chaos_${seed}__c`, count);
      }
      org.clock.set(runAt, { frozen: true });
      emulator.faults.clear();
      emulator.faults.clearFired();
      if (!repair && options.faults) {
        for (const rule of syncFaultRules(random, `sync-${seed}-${round}`)) emulator.faults.add(rule);
      }
      if (!repair && random.chance(0.2)) emulator.expireTokens();
      plan.enabled = options.crashes && !repair;
      let execution: LocalExecution;
      const name = `sync-${seed}-${round}`;
      try {
        execution = await runner.runSync({ objects: [...SYNC_OBJECTS] }, { name });
      } catch (error) {
        report.violations.push(
          `${label} round ${round}: the execution itself threw: ${(error as Error).stack}`,
        );
        break;
      }
      report.runs += 1;
      if (execution.status !== "SUCCEEDED") report.failedRuns += 1;
      addFired(report, emulator.faults.fired());
      emulator.faults.clear();
      const checked = await checker.afterRun(execution, {
        label: `${label} round ${round}${repair ? " (repair)" : ""}`,
        mustSucceed: repair,
        strictFailures: !options.crashes,
        cursorsBefore,
        reported: observer.resultsOf(name),
      });
      report.recordsChecked += checked.recordsChecked;
      report.formulaRowsChecked += checked.formulaRowsChecked ?? 0;
      report.violations.push(...checked.violations);
      options.progress?.(
        `${label} round ${round}: ${execution.status}${execution.status === "SUCCEEDED" ? "" : ` ${execution.error}: ${String(execution.cause).slice(0, 200)}`}; ${checked.recordsChecked} records checked, ${checked.violations.length} violations`,
      );
    }
  } finally {
    await env?.stop();
    await emulator?.stop();
    clearSessionCache();
  }
  return report;
}
