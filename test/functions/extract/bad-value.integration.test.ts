/**
 * A value in Salesforce that its lake column cannot hold (text in a number field) fails the object's
 * extract at once, as a DataError naming the object, field, record and value: reading the page again
 * gives the same value, so neither the fetch step nor the synthesized state machine retries it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createDemoOrg } from "../../../emulator/org/demo";
import type { ExtractState } from "../../../functions/core/extract/extract-state";
import type { SyncRunReport } from "../../../functions/core/extract/sync-summary";
import { BadValueError, DataError, RETRYABLE_ERROR_NAMES } from "../../../functions/errors";
import { extractHandler } from "../../../functions/extract/handler";
import { createLocalRunner } from "../../../local/stepfunctions/state-machine";
import { driveDiscover } from "../../support/drive";
import { type Harness, startHarness } from "../../support/harness";

const T0 = Date.parse("2026-06-01T12:00:00.000Z");
const DAY = 86_400_000;

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/**
 * The demo org plus one Invoice__c row whose Quantity__c (number(18,0): decimal(18,0) in the lake,
 * a number in JSON lines) holds text, stored without the org's checks as a misbehaving integration
 * could leave it. Bulk only (no REST shortcut), in pages of 50 rows.
 */
async function start(format: "parquet" | "jsonl"): Promise<{ h: Harness; badId: string }> {
  const org = createDemoOrg({ seed: 5, now: T0 });
  org.clock.set(T0, { frozen: true });
  const at = T0 - DAY;
  const badId = org.seedRow("Invoice__c", {
    IsDeleted: false,
    OwnerId: org.userId,
    CreatedDate: at,
    CreatedById: org.userId,
    LastModifiedDate: at,
    LastModifiedById: org.userId,
    SystemModstamp: at,
    Status__c: "Draft",
    Quantity__c: "twelve",
  });
  harness = await startHarness({
    emulator: { org },
    settings: { format, restMaxRecords: 0, bulkPageRecords: 50 },
  });
  return { h: harness, badId };
}

/** The DataError's message names where the value is, the value, and what to do. */
function expectNamed(message: string, badId: string): void {
  expect(message).toMatch(
    new RegExp(
      `^Invoice__c: Bulk result page \\d+, record \\d+ \\(line \\d+\\), Id ${badId}, field Quantity__c \\(double`,
    ),
  );
  expect(message).toContain("'twelve' is not a number");
  expect(message).toMatch(/correct the record in Salesforce .* then run the sync again/);
}

describe("extract: a value its lake column cannot hold", () => {
  it.each(["parquet", "jsonl"] as const)(
    "fails the %s fetch at once with a DataError naming object, field, record and value",
    async (format) => {
      // Prepare: the job is done, the pages wait.
      const { h, badId } = await start(format);
      const { tasks } = await driveDiscover(h.runtime, "bad-1", {
        objects: ["Invoice__c"],
        mode: "full_refresh",
      });
      let state = (await extractHandler.invoke(
        { action: "start", task: tasks[0] },
        h.runtime,
      )) as ExtractState;
      while (state.status === "polling") {
        state = (await extractHandler.invoke({ action: "poll", state }, h.runtime)) as ExtractState;
      }
      expect(state.status).toBe("fetching");

      // Act: fetch every page; the one with the bad row fails.
      let failure: unknown;
      try {
        while (state.status === "fetching") {
          state = (await extractHandler.invoke(
            { action: "fetch", state },
            h.runtime,
            () => 0,
          )) as ExtractState;
        }
      } catch (error) {
        failure = error;
      }

      // Assess: a DataError, which Step Functions does not retry; not a TransientError.
      expect(failure).toBeInstanceOf(BadValueError);
      expect(failure).toBeInstanceOf(DataError);
      const error = failure as BadValueError;
      expect(error.name).toBe("DataError");
      expect(RETRYABLE_ERROR_NAMES).not.toContain(error.name);
      expectNamed(error.message, badId);
      expect(error.toJSON()).toMatchObject({ object: "Invoice__c", field: "Quantity__c", record: badId });
    },
  );

  it("is not retried by the sync state machine: one fetch, the object failed with the DataError", async () => {
    // Prepare: the synthesized state machine with the real handlers; extract's calls are counted.
    const { h, badId } = await start("parquet");
    const calls: string[] = [];
    const runner = await createLocalRunner({
      runtime: h.runtime,
      waitMs: 1,
      retryIntervalMs: 0,
      handlers: {
        extract: {
          invoke(event, runtime, remainingMs) {
            calls.push((event as { action: string }).action);
            return extractHandler.invoke(event, runtime, remainingMs);
          },
        },
      },
    });

    // Act
    const run = await runner.runSync({ objects: ["Invoice__c"], mode: "full_refresh" }, { name: "bad-2" });

    // Assess: the fetch that met the value ran once (a TransientError would have run it six times).
    expect(run.status).toBe("FAILED");
    expect(run.error).toBe("SyncFailed");
    expect(run.cause).toMatch(/^1 of 1 objects failed: Invoice__c \(DataError: Invoice__c: Bulk result page/);
    const fetches = calls.filter((action) => action === "fetch");
    expect(fetches).toHaveLength(1);
    expect(calls.filter((action) => action === "abort")).toHaveLength(1);
    expect(calls).not.toContain("commit");
    const report = JSON.parse(
      new TextDecoder().decode(await h.runtime.store.get(h.runtime.layout.runSummary("bad-2"))),
    ) as SyncRunReport;
    const outcome = report.outcomes.find((entry) => entry.object === "Invoice__c");
    expect(outcome).toMatchObject({ status: "failed" });
    expect(outcome?.error).toMatch(/^DataError: /);
    expectNamed(outcome?.error?.replace(/^DataError: /, "") ?? "", badId);
    const stream = await h.runtime.state.get({ connection: "test", object: "Invoice__c" });
    expect(stream).toMatchObject({ lastRunId: "bad-2", lastStatus: "failed" });
    expect(stream?.cursor).toBeUndefined();
  }, 60_000);
});
