import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../emulator/index";
import { type Api, api, parseCsv, passwordToken, startTestEmulator, waitForJob } from "./harness";

let emulator: Emulator;
let client: Api;

beforeAll(async () => {
  emulator = await startTestEmulator();
  client = api(emulator, await passwordToken(emulator));
});

afterEach(async () => {
  emulator.faults.clear();
  client = api(emulator, await passwordToken(emulator));
});

afterAll(async () => {
  await emulator.stop();
});

type Json = Record<string, unknown>;

describe("fault injection", () => {
  it("answers 503 SERVER_UNAVAILABLE, then serves normally", async () => {
    // Prepare
    emulator.faults.add({ kind: "query", action: { type: "serverUnavailable" } });
    // Act
    const faulted = await client.get("query?q=SELECT+Id+FROM+User");
    const next = await client.get("query?q=SELECT+Id+FROM+User");
    // Assess
    expect(faulted.status).toBe(503);
    expect((await client.json<Json[]>(faulted))[0]?.errorCode).toBe("SERVER_UNAVAILABLE");
    expect(next.status).toBe(200);
  });

  it("answers a bare 500 with no body", async () => {
    // Prepare
    emulator.faults.add({ kind: "describe", action: { type: "serverError" } });
    // Act
    const response = await client.get("sobjects/Account/describe");
    // Assess
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("");
  });

  it("answers 403 REQUEST_LIMIT_EXCEEDED", async () => {
    // Prepare
    emulator.faults.add({ kind: "limits", action: { type: "requestLimitExceeded" } });
    // Act
    const response = await client.get("limits/");
    // Assess
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual([
      { message: "TotalRequests Limit exceeded.", errorCode: "REQUEST_LIMIT_EXCEEDED" },
    ]);
  });

  it("answers 401 INVALID_SESSION_ID and invalidates the token used", async () => {
    // Prepare
    emulator.faults.add({ kind: "describeGlobal", action: { type: "invalidSession" } });
    // Act
    const faulted = await client.get("sobjects/");
    const after = await client.get("limits/");
    // Assess
    expect(faulted.status).toBe(401);
    expect(await faulted.json()).toEqual([
      { message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" },
    ]);
    expect(after.status).toBe(401);
  });

  it("drops the connection after the status, headers and part of the body", async () => {
    // Prepare
    emulator.faults.add({ kind: "query", action: { type: "dropConnection", afterBytes: 100 } });
    // Act
    const response = await client.get("query?q=SELECT+Id,+Name+FROM+Contact");
    const outcome = await response.text().then(
      () => "complete",
      () => "cut",
    );
    // Assess
    expect(response.status).toBe(200);
    expect(Number(response.headers.get("content-length"))).toBeGreaterThan(100);
    expect(outcome).toBe("cut");
  });

  it("drops a Bulk results download midway", async () => {
    // Prepare
    const job = await client.json<Json>(
      await client.post("jobs/query", { operation: "query", query: "SELECT Id FROM Contact" }),
    );
    await waitForJob(client, "query", job.id as string);
    emulator.faults.add({ kind: "bulkQueryResults", action: { type: "dropConnection" } });
    // Act
    const dropped = await client.get(`jobs/query/${job.id}/results`);
    const outcome = await dropped.text().then(
      () => "complete",
      () => "cut",
    );
    const retried = await client.get(`jobs/query/${job.id}/results`);
    // Assess
    expect(outcome).toBe("cut");
    expect(parseCsv(await retried.text())).toHaveLength(emulator.org.count("Contact") + 1);
  });

  it("delays a request and then serves it", async () => {
    // Prepare
    emulator.faults.add({ kind: "limits", action: { type: "delay", ms: 30 } });
    // Act
    const response = await client.get("limits/");
    // Assess
    expect(response.status).toBe(200);
    expect(emulator.faults.fired().at(-1)).toMatchObject({ action: "delay", kind: "limits" });
  });

  it("makes the next query job end Failed", async () => {
    // Prepare
    emulator.faults.add({ kind: "bulkQueryCreate", action: { type: "failJob" } });
    // Act
    const failed = await client.json<Json>(
      await client.post("jobs/query", { operation: "query", query: "SELECT Id FROM User" }),
    );
    const ok = await client.json<Json>(
      await client.post("jobs/query", { operation: "query", query: "SELECT Id FROM User" }),
    );
    // Assess
    expect(await waitForJob(client, "query", failed.id as string)).toMatchObject({
      state: "Failed",
      errorMessage: "Your query request was running for too long.",
    });
    expect((await waitForJob(client, "query", ok.id as string)).state).toBe("JobComplete");
  });

  it("makes the next ingest job end Failed, leaving its rows unprocessed", async () => {
    // Prepare
    emulator.faults.add({
      kind: "bulkIngestClose",
      action: { type: "failJob", errorMessage: "InternalServerError : boom" },
    });
    const job = await client.json<Json>(
      await client.post("jobs/ingest", { object: "Account", operation: "insert" }),
    );
    await client.put(`jobs/ingest/${job.id}/batches`, "Name\nNever A\nNever B\n");
    // Act
    await client.patch(`jobs/ingest/${job.id}`, { state: "UploadComplete" });
    const info = await waitForJob(client, "ingest", job.id as string);
    const unprocessed = parseCsv(await (await client.get(`jobs/ingest/${job.id}/unprocessedrecords`)).text());
    // Assess
    expect(info).toMatchObject({
      state: "Failed",
      errorMessage: "InternalServerError : boom",
      numberRecordsProcessed: 0,
    });
    expect(unprocessed).toEqual([["Name"], ["Never A"], ["Never B"]]);
  });

  it("locks rows so ingest DML fails with UNABLE_TO_LOCK_ROW", async () => {
    // Prepare
    const created = await client.json<Json>(await client.post("sobjects/Account/", { Name: "Locked Co" }));
    emulator.faults.add({
      kind: "bulkIngestClose",
      action: { type: "lockRows", ids: [created.id as string] },
    });
    const job = await client.json<Json>(
      await client.post("jobs/ingest", { object: "Account", operation: "update" }),
    );
    await client.put(`jobs/ingest/${job.id}/batches`, `Id,Name\n${created.id},Renamed\n`);
    // Act
    await client.patch(`jobs/ingest/${job.id}`, { state: "UploadComplete" });
    const info = await waitForJob(client, "ingest", job.id as string);
    const failed = parseCsv(await (await client.get(`jobs/ingest/${job.id}/failedResults`)).text());
    // Assess
    expect(info).toMatchObject({ state: "JobComplete", numberRecordsFailed: 1 });
    expect(failed[1]?.[1]).toMatch(/^UNABLE_TO_LOCK_ROW:/);
  });

  it("fires by rate deterministically and lists what fired", async () => {
    // Prepare
    emulator.faults.add({ id: "flaky", kind: "limits", rate: 0.5, action: { type: "serverUnavailable" } });
    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await client.get("limits/")).status);
    // Assess
    const fired = emulator.faults.fired().filter((f) => f.ruleId === "flaky");
    expect(fired.length).toBe(statuses.filter((s) => s === 503).length);
    expect(fired.length).toBeGreaterThan(0);
    expect(fired.length).toBeLessThan(20);
  });

  it("is the same sequence for the same seed", async () => {
    // Prepare
    const run = async (): Promise<number[]> => {
      const other = await startTestEmulator({
        faults: [{ kind: "limits", rate: 0.4, action: { type: "serverUnavailable" } }],
      });
      try {
        const otherClient = api(other, await passwordToken(other));
        const statuses: number[] = [];
        for (let i = 0; i < 15; i++) statuses.push((await otherClient.get("limits/")).status);
        return statuses;
      } finally {
        await other.stop();
      }
    };
    // Act
    const [a, b] = [await run(), await run()];
    // Assess
    expect(a).toEqual(b);
    expect(a).toContain(503);
  });
});
