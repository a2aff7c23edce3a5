import { afterEach, describe, expect, it } from "vitest";
import type { LoadState } from "../../../functions/core/load/load-state";
import type { ObjectStore } from "../../../functions/core/ports";
import { TransientError } from "../../../functions/errors";
import { loadHandler } from "../../../functions/load/handler";
import type { Runtime } from "../../../functions/runtime/runtime";
import {
  createIngestJob,
  getIngestJob,
  setIngestJobState,
  uploadIngestData,
} from "../../../functions/salesforce/bulk-ingest";
import { driveLoad } from "./drive-load";
import { dropFile, expectFilesAgree, startLoadHarness } from "./load-fixtures";

type LoadHarness = Awaited<ReturnType<typeof startLoadHarness>>;
let harness: LoadHarness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function start(load: Record<string, unknown> = {}): Promise<LoadHarness> {
  harness = await startLoadHarness(load);
  return harness;
}

const ROWS = 40;

function invoicesCsv(): string {
  const lines = ["ERP_Id__c,Amount__c"];
  for (let i = 0; i < ROWS; i++) lines.push(`R-${i},${i}`);
  return lines.join("\n");
}

/**
 * A runtime whose store dies (as a Lambda would) at the first checkpoint `when` picks: the checkpoint
 * is not written and the action throws, so the state machine repeats it with its old input.
 */
function dyingAtCheckpoint(
  runtime: Runtime,
  when: (state: LoadState) => boolean,
): { runtime: Runtime; died: () => boolean } {
  const store = runtime.store;
  let died = false;
  const wrapped: ObjectStore = Object.create(store);
  wrapped.put = async (key, body, options) => {
    if (
      !died &&
      key.endsWith("/checkpoint.json") &&
      typeof body === "string" &&
      when(JSON.parse(body) as LoadState)
    ) {
      died = true;
      throw new TransientError("simulated: the Lambda died before writing its checkpoint");
    }
    return store.put(key, body, options);
  };
  return { runtime: { ...runtime, store: wrapped }, died: () => died };
}

describe("load: recovering from an invocation that died", () => {
  it("aborts a Bulk job whose upload was not recorded and sends its rows in a new job", async () => {
    // Prepare
    const h = await start({ collectionsMaxRows: 0 });
    const request = await dropFile(h, "inbound/Invoice__c/insert/died-after-upload.csv", invoicesCsv());
    const dying = dyingAtCheckpoint(
      h.runtime,
      (state) => state.inflight?.kind === "job" && state.inflight.to !== undefined,
    );

    // Act
    const run = await driveLoad(dying.runtime, request);

    // Assess
    expect(dying.died()).toBe(true);
    expect(run.summary).toMatchObject({ outcome: "succeeded", counts: { read: ROWS, succeeded: ROWS } });
    expect(run.summary?.jobIds).toHaveLength(1);
    expect(h.emulator.calls.count("bulkIngestCreate")).toBe(2);
    expect(h.org.count("Invoice__c")).toBe(ROWS);
    await expectFilesAgree(h.runtime.store, run.summary);
  });

  it("keeps a Bulk job that was closed before the invocation died, instead of loading its rows again", async () => {
    // Prepare
    const h = await start({ collectionsMaxRows: 0 });
    const request = await dropFile(h, "inbound/Invoice__c/insert/died-after-close.csv", invoicesCsv());
    const dying = dyingAtCheckpoint(
      h.runtime,
      (state) => state.jobs.length === 1 && state.inflight === undefined,
    );

    // Act
    const run = await driveLoad(dying.runtime, request);

    // Assess
    expect(dying.died()).toBe(true);
    expect(run.summary).toMatchObject({ outcome: "succeeded", counts: { read: ROWS, succeeded: ROWS } });
    expect(h.emulator.calls.count("bulkIngestCreate")).toBe(1);
    expect(h.org.count("Invoice__c")).toBe(ROWS);
  });

  it("pauses when Salesforce refuses a collections call for its limit, then sends the same rows once", async () => {
    // Prepare
    const h = await start();
    h.emulator.faults.add({ kind: "collections", action: { type: "requestLimitExceeded" } });
    const request = await dropFile(h, "inbound/Invoice__c/insert/limited.csv", invoicesCsv());

    // Act
    const run = await driveLoad(h.runtime, request);

    // Assess
    expect(run.states.map((state) => state.status)).toContain("retrying");
    expect(run.summary).toMatchObject({ outcome: "succeeded", counts: { succeeded: ROWS } });
    expect(h.emulator.calls.count("collections")).toBe(2);
    expect(h.org.count("Invoice__c")).toBe(ROWS);
  });
});

describe("load: recording a failure", () => {
  it("aborts only jobs still Open, writes what loaded, and lets a manual retry take the file over", async () => {
    // Prepare
    const h = await start({ collectionsMaxRows: 0 });
    const request = await dropFile(h, "inbound/Invoice__c/insert/fails.csv", invoicesCsv());
    const client = await h.runtime.salesforce();
    const open = await createIngestJob(client, { object: "Invoice__c", operation: "insert" });
    const running = await createIngestJob(client, { object: "Invoice__c", operation: "insert" });
    await uploadIngestData(client, running, "ERP_Id__c,Amount__c\r\nOTHER-1,1\r\n");
    await setIngestJobState(client, running, "UploadComplete");
    let failedOnce = false;

    // Act: the poll fails for good once the run's own job has completed
    const run = await driveLoad(h.runtime, request, {
      runId: "first-try",
      beforeAction: async (action, payload) => {
        if (action !== "poll" || failedOnce) return;
        failedOnce = true;
        const state = payload.state as LoadState;
        const own = state.jobs[0]?.id as string;
        while ((await getIngestJob(client, own)).state !== "JobComplete")
          await new Promise((r) => setTimeout(r, 5));
        // Two more jobs in the run's state: one never closed, one closed and left to run.
        state.jobs.push(
          { id: open.id, round: 0, rows: 0, state: "Open", collected: false },
          { id: running.id, round: 0, rows: 1, state: "UploadComplete", collected: false },
        );
        throw Object.assign(new Error("simulated: the poll task failed for good"), {
          name: "ConfigurationError",
        });
      },
    });

    // Assess: what loaded before the failure is in the result files (the run's own job was collected)
    expect(run.summary?.counts.succeeded).toBeGreaterThanOrEqual(ROWS);
    await expectFilesAgree(h.runtime.store, run.summary);

    // Act: the file is taken over by a manual retry
    const retry = await driveLoad(h.runtime, { ...request, retry: true }, { runId: "second-try" });

    // Assess
    expect(run.error?.message).toMatch(/simulated/);
    expect(run.summary).toMatchObject({ outcome: "failed", error: { name: "ConfigurationError" } });
    expect((await getIngestJob(client, open.id)).state).toBe("Aborted");
    expect((await getIngestJob(client, running.id)).state).not.toBe("Aborted");
    const claim = await h.runtime.state.getFile({
      bucket: request.bucket,
      key: request.key,
      version: run.states[0]?.file.version as string,
    });
    expect(claim).toMatchObject({ runId: "first-try", status: "failed" });
    // The retry ran the whole file again: the first try's job had loaded every row before the failure,
    // so the unique ERP id turns each second insert away instead of duplicating it.
    expect(retry.summary).toMatchObject({
      runId: "second-try",
      outcome: "partial",
      counts: { failed: ROWS },
    });
    expect(retry.summary?.errorCodes).toEqual({ DUPLICATE_VALUE: ROWS });
    expect(h.org.count("Invoice__c")).toBe(ROWS + 1);
  });

  it("records a failure of the claim itself without a run to record", async () => {
    // Prepare
    const h = await start();
    const caught = { Error: "ConfigurationError", Cause: JSON.stringify({ errorMessage: "no such file" }) };

    // Act
    const result = await loadHandler.invoke(
      { action: "fail", state: { detail: { bucket: { name: "b" }, object: { key: "k" } } }, error: caught },
      h.runtime,
    );

    // Assess
    expect(result).toMatchObject({
      status: "finished",
      outcome: "failed",
      message: "The load could not start: no such file",
    });
  });
});
