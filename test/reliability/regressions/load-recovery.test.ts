import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index";
import { demoObjects } from "../../../emulator/org/demo-schema";
import { createOrg } from "../../../emulator/org/org";
import type { Org } from "../../../emulator/org/types";
import type { LoadSummary } from "../../../functions/core/load/load-state";
import { loadHandler } from "../../../functions/load/handler";
import { clearSessionCache } from "../../../functions/salesforce/client";
import { type LocalEnvironment, startLocalEnvironment } from "../../../local/environment";
import {
  createLocalRunner,
  type LocalHandler,
  type LocalRunner,
} from "../../../local/stepfunctions/state-machine";
import { FATAL_CRASH, InjectedCrash, RETRIED_CRASH } from "../campaign-crash";

const T0 = Date.parse("2026-06-01T12:00:00.000Z");
const silentLog = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Regressions the load campaign found:
 * - a claim step retried after its answer was lost found its own claim and ended the execution as a
 *   duplicate of itself ("Already loaded", SUCCEEDED) without loading anything, the claim "loading" forever;
 * - a claim step that timed out after writing its claim left the file "loading" forever, so neither a
 *   new delivery nor a manual retry could load it;
 * - a connection dropped while a Bulk job's result file streamed in failed the whole load (a raw
 *   TypeError "terminated", retried by nothing) although every row had loaded.
 */
describe("load recovery (regressions)", () => {
  let emulator: Emulator;
  let env: LocalEnvironment;
  let org: Org;
  let file = 0;

  beforeAll(async () => {
    clearSessionCache();
    org = createOrg({ seed: 11, now: T0, frozen: true, objects: demoObjects() });
    emulator = await startEmulator({ org, bulk: { queuedMs: 2, processingMsPer10k: 1 } });
    env = await startLocalEnvironment({
      connection: "regress",
      credentials: { ...emulator.credentials, loginUrl: emulator.url },
      settings: {
        load: { retryWaitSeconds: 0, pollFirstSeconds: 1, pollMaxSeconds: 1, collectionsMaxRows: 0 },
      },
      log: silentLog,
    });
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
    await emulator?.stop();
    clearSessionCache();
  });

  afterEach(() => {
    emulator.faults.clear();
  });

  /** A load handler whose first claim does its work, then dies with `name` (its answer is lost). */
  function claimDiesAfterWork(name: string): LocalHandler & { crashed: () => boolean } {
    let crashed = false;
    return {
      crashed: () => crashed,
      async invoke(event, runtime, remainingMs) {
        const result = await loadHandler.invoke(event, runtime, remainingMs);
        if ((event as { action: string }).action === "claim" && !crashed) {
          crashed = true;
          throw new InjectedCrash(name, "claim", "after");
        }
        return result;
      },
    };
  }

  async function runner(handler?: LocalHandler): Promise<LocalRunner> {
    return createLocalRunner({
      runtime: env.runtime,
      waitMs: 1,
      retryIntervalMs: 1,
      ...(handler ? { handlers: { load: handler } } : {}),
    });
  }

  async function dropInsert(rows: number): Promise<{ bucket: string; key: string; tokens: string[] }> {
    file += 1;
    const tokens = Array.from({ length: rows }, (_, index) => `REG${file}-${index}`);
    const key = `inbound/Account/insert/regression-${file}.csv`;
    const body = ["Name,ERP_Id__c", ...tokens.map((token) => `Account ${token},${token}`)].join("\n");
    await env.runtime.store.put(key, body);
    return { bucket: env.runtime.config.bucket, key, tokens };
  }

  const created = (tokens: string[]) =>
    tokens.filter(
      (token) =>
        [
          ...org
            .query(`SELECT Id FROM Account WHERE ERP_Id__c = '${token}'`, { includeDeleted: false })
            .rows(),
        ].length === 1,
    ).length;

  async function claimOf(bucket: string, key: string) {
    const info = await env.runtime.store.head(key);
    return env.runtime.state.getFile({ bucket, key, version: info?.etag ?? "" });
  }

  async function summaryOf(key: string): Promise<LoadSummary | undefined> {
    const bytes = await env.runtime.store.get(`${env.runtime.layout.resultsFolder(key)}summary.json`);
    return bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as LoadSummary) : undefined;
  }

  it("a claim retried after its answer was lost goes on with its own claim and loads the file once", async () => {
    // Prepare
    const { bucket, key, tokens } = await dropInsert(12);
    const handler = claimDiesAfterWork(RETRIED_CRASH);

    // Act
    const execution = await (await runner(handler)).runLoad({ bucket, key }, { name: "claim-retried" });

    // Assess
    expect(handler.crashed()).toBe(true);
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe("SUCCEEDED");
    expect(execution.states).not.toContain("Already loaded");
    expect(execution.states.filter((state) => state === "Claim file")).toHaveLength(1);
    expect(execution.events.filter((event) => event.type === "StateRetried")).toHaveLength(1);
    expect(await summaryOf(key)).toMatchObject({ outcome: "succeeded", counts: { read: 12, succeeded: 12 } });
    expect(await claimOf(bucket, key)).toMatchObject({ runId: "claim-retried", status: "succeeded" });
    expect(created(tokens)).toBe(12);
  });

  it("a claim that timed out after claiming releases its claim, so a manual retry loads the file", async () => {
    // Prepare
    const { bucket, key, tokens } = await dropInsert(7);
    const handler = claimDiesAfterWork(FATAL_CRASH);

    // Act
    const failed = await (await runner(handler)).runLoad({ bucket, key }, { name: "claim-timed-out" });
    const claimAfterFailure = await claimOf(bucket, key);
    const retry = await (await runner()).runLoad({ bucket, key, retry: true }, { name: "claim-retry" });

    // Assess
    expect(failed).toMatchObject({ status: "FAILED", error: FATAL_CRASH });
    expect(claimAfterFailure).toMatchObject({ runId: "claim-timed-out", status: "failed" });
    expect(retry.status, `${retry.error}: ${retry.cause}`).toBe("SUCCEEDED");
    expect(await summaryOf(key)).toMatchObject({ runId: "claim-retry", outcome: "succeeded" });
    expect(created(tokens)).toBe(7);
  });

  it("lets a manual retry take over a claim left loading past its execution's timeout, and only then", async () => {
    // Prepare: a run that claimed the file and died without recording anything (its failure recording
    // failed too), once a day and a half ago and once a minute ago.
    const stale = await dropInsert(6);
    const fresh = await dropInsert(6);
    const version = async (key: string) => (await env.runtime.store.head(key))?.etag as string;
    const hour = 3_600_000;
    await env.runtime.state.claimFile(
      { bucket: stale.bucket, key: stale.key, version: await version(stale.key) },
      "abandoned-run",
      new Date(Date.now() - 36 * hour),
    );
    await env.runtime.state.claimFile(
      { bucket: fresh.bucket, key: fresh.key, version: await version(fresh.key) },
      "running-run",
      new Date(Date.now() - 60_000),
    );

    // Act
    const takeover = await (await runner()).runLoad(
      { bucket: stale.bucket, key: stale.key, retry: true },
      { name: "stale-retry" },
    );
    const refused = await (await runner()).runLoad(
      { bucket: fresh.bucket, key: fresh.key, retry: true },
      { name: "fresh-retry" },
    );

    // Assess
    expect(takeover.status, `${takeover.error}: ${takeover.cause}`).toBe("SUCCEEDED");
    expect(await summaryOf(stale.key)).toMatchObject({ runId: "stale-retry", outcome: "succeeded" });
    expect(created(stale.tokens)).toBe(6);
    expect(refused.states.at(-1)).toBe("Already loaded");
    expect(created(fresh.tokens)).toBe(0);
  });

  it("keeps a finished load finished when the finish step's answer is lost to a time-out", async () => {
    // Prepare: finish records the outcome, then its Lambda times out on return.
    const { bucket, key, tokens } = await dropInsert(9);
    let crashed = false;
    const handler: LocalHandler = {
      async invoke(event, runtime, remainingMs) {
        const result = await loadHandler.invoke(event, runtime, remainingMs);
        if ((event as { action: string }).action === "finish" && !crashed) {
          crashed = true;
          throw new InjectedCrash(FATAL_CRASH, "finish", "after");
        }
        return result;
      },
    };

    // Act
    const execution = await (await runner(handler)).runLoad({ bucket, key }, { name: "finish-timed-out" });
    const retry = await (await runner()).runLoad({ bucket, key, retry: true }, { name: "finish-retry" });

    // Assess: the execution failed, but the file is loaded, said so, and not loaded again.
    expect(crashed).toBe(true);
    expect(execution).toMatchObject({ status: "FAILED", error: FATAL_CRASH });
    expect(await claimOf(bucket, key)).toMatchObject({ runId: "finish-timed-out", status: "succeeded" });
    expect(await summaryOf(key)).toMatchObject({ runId: "finish-timed-out", outcome: "succeeded" });
    expect(retry.states.at(-1)).toBe("Already loaded");
    expect(created(tokens)).toBe(9);
    const twice = tokens.filter(
      (token) =>
        [...org.query(`SELECT Id FROM Account WHERE ERP_Id__c = '${token}'`, { includeDeleted: true }).rows()]
          .length > 1,
    );
    expect(twice).toEqual([]);
  });

  it("reads a Bulk job's results again when the connection drops while they stream in", async () => {
    // Prepare
    const { bucket, key, tokens } = await dropInsert(30);
    emulator.faults.add({ kind: "bulkIngestResults", action: { type: "dropConnection", afterBytes: 60 } });

    // Act
    const execution = await (await runner()).runLoad({ bucket, key }, { name: "results-dropped" });

    // Assess
    expect(emulator.faults.fired().map((fault) => fault.action)).toEqual(["dropConnection"]);
    expect(execution.status, `${execution.error}: ${execution.cause}`).toBe("SUCCEEDED");
    expect(
      execution.events.some((event) => event.type === "StateRetried" && event.state === "Collect results"),
    ).toBe(true);
    expect(await summaryOf(key)).toMatchObject({ outcome: "succeeded", counts: { read: 30, succeeded: 30 } });
    expect(created(tokens)).toBe(30);
  });
});
