import type { Connection } from "jsforce";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../emulator/index";
import {
  type Api,
  api,
  parseCsv,
  passwordConnection,
  passwordToken,
  startTestEmulator,
  waitForJob,
} from "./harness";

let emulator: Emulator;
let client: Api;
let conn: Connection;

beforeAll(async () => {
  emulator = await startTestEmulator();
  client = api(emulator, await passwordToken(emulator));
  conn = await passwordConnection(emulator);
});

afterAll(async () => {
  await emulator.stop();
});

type Json = Record<string, unknown>;

async function openJob(body: Json): Promise<Json> {
  const response = await client.post("jobs/ingest", { contentType: "CSV", ...body });
  expect(response.status).toBe(200);
  return client.json<Json>(response);
}

async function runJob(body: Json, csv: string): Promise<{ id: string; info: Json }> {
  const job = await openJob(body);
  const upload = await client.put(`jobs/ingest/${job.id}/batches`, csv);
  expect(upload.status).toBe(201);
  await client.patch(`jobs/ingest/${job.id}`, { state: "UploadComplete" });
  return { id: job.id as string, info: await waitForJob(client, "ingest", job.id as string) };
}

async function results(id: string, kind: string): Promise<{ text: string; rows: string[][] }> {
  const response = await client.get(`jobs/ingest/${id}/${kind}`);
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, rows: parseCsv(text) };
}

describe("Bulk API 2.0 ingest jobs", () => {
  it("creates an Open job with a relative contentUrl, takes one upload with an empty 201", async () => {
    // Act
    const job = await openJob({ object: "Account", operation: "insert" });
    const upload = await client.put(`jobs/ingest/${job.id}/batches`, "Name\nOne\n");
    const uploadBody = await upload.text();
    const second = await client.put(`jobs/ingest/${job.id}/batches`, "Name\nTwo\n");
    // Assess
    expect(job).toMatchObject({ object: "Account", operation: "insert", state: "Open", contentType: "CSV" });
    expect(job.contentUrl).toBe(`services/data/v62.0/jobs/ingest/${job.id}/batches`);
    expect(upload.status).toBe(201);
    expect(uploadBody).toBe("");
    expect(upload.headers.get("content-type")).toBeNull();
    expect(second.status).toBe(400);
    expect(await second.json()).toEqual([
      {
        message: `Found multipe contents for job: <${String(job.id).slice(0, 15)}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`,
        errorCode: "BULK_API_ERROR",
      },
    ]);
  });

  it("refuses uploads once the job is closed", async () => {
    // Prepare
    const { id } = await runJob({ object: "Account", operation: "insert" }, "Name\nClosed Co\n");
    // Act
    const late = await client.put(`jobs/ingest/${id}/batches`, "Name\nLate\n");
    // Assess
    expect(late.status).toBe(400);
    expect((await client.json<Json[]>(late))[0]?.errorCode).toBe("INVALIDJOBSTATE");
  });

  it("processes inserts with row failures: JobComplete, counters, successful and failed results", async () => {
    // Prepare
    const csv =
      'Name,NumberOfEmployees,Description\nGood One,10,"has, comma"\n,5,no name\nGood Two,abc,bad number\nGood Three,,"multi\nline"\n';
    // Act
    const { id, info } = await runJob({ object: "Account", operation: "insert" }, csv);
    const success = await results(id, "successfulResults");
    const failed = await results(id, "failedResults");
    const unprocessed = await results(id, "unprocessedrecords");
    // Assess
    expect(info).toMatchObject({
      state: "JobComplete",
      jobType: "V2Ingest",
      numberRecordsProcessed: 4,
      numberRecordsFailed: 2,
    });
    expect(success.text.split("\n")[0]).toBe('"sf__Id","sf__Created",Name,NumberOfEmployees,Description');
    expect(
      success.rows
        .slice(1)
        .map((r) => r[2])
        .sort(),
    ).toEqual(["Good One", "Good Three"]);
    for (const row of success.rows.slice(1)) {
      expect(row[0]).toMatch(/^001[a-zA-Z0-9]{15}$/);
      expect(row[1]).toBe("true");
    }
    expect(success.rows.find((r) => r[2] === "Good Three")?.[4]).toBe("multi\nline");
    expect(failed.text.split("\n")[0]).toBe('"sf__Id","sf__Error",Name,NumberOfEmployees,Description');
    const missing = failed.rows.find((r) => r[4] === "no name") as string[];
    expect(missing[0]).toBe("");
    expect(missing[1]).toBe("REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --");
    expect(failed.rows.find((r) => r[4] === "bad number")?.[1]).toMatch(/^[A-Z_]+:.+:NumberOfEmployees --$/);
    expect(unprocessed.text).toBe("Name,NumberOfEmployees,Description\n");
  });

  it("answers empty result sets with a header-only CSV", async () => {
    // Act
    const { id } = await runJob({ object: "Account", operation: "insert" }, "Name\nOnly Good\n");
    const failed = await results(id, "failedResults");
    // Assess
    expect(failed.text).toBe('"sf__Id","sf__Error",Name\n');
  });

  it("upserts by external id, reporting created true/false", async () => {
    // Prepare
    await runJob({ object: "Account", operation: "insert" }, "Name,ERP_Id__c\nExisting,UPS-1\n");
    // Act
    const { id, info } = await runJob(
      { object: "Account", operation: "upsert", externalIdFieldName: "ERP_Id__c" },
      "Name,ERP_Id__c\nExisting renamed,UPS-1\nBrand new,UPS-2\n",
    );
    const success = await results(id, "successfulResults");
    // Assess
    expect(info.externalIdFieldName).toBe("ERP_Id__c");
    const created = Object.fromEntries(success.rows.slice(1).map((r) => [r[3], r[1]]));
    expect(created).toEqual({ "UPS-1": "false", "UPS-2": "true" });
  });

  it("deletes by Id and reports the Ids", async () => {
    // Prepare
    const { id: insertJob } = await runJob(
      { object: "Account", operation: "insert" },
      "Name\nDel A\nDel B\n",
    );
    const ids = (await results(insertJob, "successfulResults")).rows.slice(1).map((r) => r[0] as string);
    // Act
    const { id, info } = await runJob({ object: "Account", operation: "delete" }, `Id\n${ids.join("\n")}\n`);
    const success = await results(id, "successfulResults");
    // Assess
    expect(info.numberRecordsProcessed).toBe(2);
    expect(
      success.rows
        .slice(1)
        .map((r) => r[0])
        .sort(),
    ).toEqual([...ids].sort());
    expect(ids.every((i) => emulator.org.get("Account", i) === undefined)).toBe(true);
  });

  it("returns results in a deterministic order that is not the input order", async () => {
    // Prepare
    const names = Array.from({ length: 60 }, (_, i) => `Order ${String(i).padStart(2, "0")}`);
    // Act
    const { id } = await runJob({ object: "Account", operation: "insert" }, `Name\n${names.join("\n")}\n`);
    const first = (await results(id, "successfulResults")).rows.slice(1).map((r) => r[2]);
    const again = (await results(id, "successfulResults")).rows.slice(1).map((r) => r[2]);
    // Assess
    expect([...first].sort()).toEqual(names);
    expect(first).not.toEqual(names);
    expect(again).toEqual(first);
  });

  it("fails the job when a header column is not a field", async () => {
    // Act
    const { id, info } = await runJob({ object: "Account", operation: "insert" }, "Name,Nope__c\nA,b\n");
    const unprocessed = await results(id, "unprocessedrecords");
    // Assess
    expect(info).toMatchObject({
      state: "Failed",
      errorMessage: "InvalidBatch : Field name not found : Nope__c",
    });
    expect(unprocessed.rows).toEqual([
      ["Name", "Nope__c"],
      ["A", "b"],
    ]);
  });

  it("fails the job when the data's line endings differ from lineEnding", async () => {
    // Act
    const { info } = await runJob({ object: "Account", operation: "insert" }, "Name\r\nCRLF Co\r\n");
    // Assess
    expect(info).toMatchObject({
      state: "Failed",
      errorMessage: "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF",
    });
  });

  it("spends DailyBulkApiBatches per 10,000-row batch", async () => {
    // Prepare
    const before = emulator.limits.get("DailyBulkApiBatches").Remaining;
    const rows = Array.from({ length: 10_001 }, (_, i) => `Batch ${i}`).join("\n");
    // Act
    const { info } = await runJob({ object: "Account", operation: "insert" }, `Name\n${rows}\n`);
    // Assess
    expect(info.numberRecordsProcessed).toBe(10_001);
    expect(emulator.limits.get("DailyBulkApiBatches").Remaining).toBe(before - 2);
  });

  it("rejects bad job definitions", async () => {
    // Act
    const noExternalId = await client.post("jobs/ingest", { object: "Account", operation: "upsert" });
    const badOperation = await client.post("jobs/ingest", { object: "Account", operation: "merge" });
    const badObject = await client.post("jobs/ingest", { object: "Nope__c", operation: "insert" });
    // Assess
    expect([noExternalId.status, badOperation.status, badObject.status]).toEqual([400, 400, 400]);
  });

  it("loads through jsforce bulk2.loadAndWaitForResults", async () => {
    // Prepare
    conn.bulk2.pollInterval = 20;
    const input = [
      { Name: "jsforce A", ERP_Id__c: "JS-A" },
      { Name: "jsforce B", ERP_Id__c: "JS-B" },
      { Name: null, ERP_Id__c: "JS-C" },
    ];
    // Act
    const outcome = await conn.bulk2.loadAndWaitForResults({
      object: "Account",
      operation: "upsert",
      externalIdFieldName: "ERP_Id__c",
      input,
      pollInterval: 20,
      pollTimeout: 20_000,
    });
    // Assess
    expect(outcome.successfulResults.map((r) => (r as Record<string, unknown>).ERP_Id__c).sort()).toEqual([
      "JS-A",
      "JS-B",
    ]);
    expect(outcome.failedResults).toHaveLength(1);
    expect(outcome.failedResults[0]?.sf__Error).toMatch(/^REQUIRED_FIELD_MISSING:/);
    expect(outcome.unprocessedRecords).toEqual([]);
  });
});
