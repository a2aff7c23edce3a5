import type { Connection } from "jsforce";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../emulator/index";
import {
  type Api,
  api,
  ORG_NOW,
  passwordConnection,
  passwordToken,
  startTestEmulator,
  waitForJob,
} from "./harness";

let emulator: Emulator;
let client: Api;
let conn: Connection;

const MINUTE = 60_000;
const DAY = 86_400_000;
const WIRE_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/;

beforeAll(async () => {
  emulator = await startTestEmulator();
  // Every deletion of this file happens at ORG_NOW; the tests move the clock where they need it.
  emulator.org.clock.set(ORG_NOW, { frozen: true });
  client = api(emulator, await passwordToken(emulator));
  conn = await passwordConnection(emulator);
});

afterAll(async () => {
  await emulator.stop();
});

type Json = Record<string, unknown>;

/** `+00:00` offsets, URL-encoded as the documentation asks. */
function iso(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "+00:00");
}

function deletedPath(object: string, start: number, end: number): string {
  return `sobjects/${object}/deleted/?start=${encodeURIComponent(iso(start))}&end=${encodeURIComponent(iso(end))}`;
}

async function control(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${emulator.url}/__emulator${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function create(object: string, fields: Json): Promise<string> {
  const response = await client.post(`sobjects/${object}/`, fields);
  expect(response.status).toBe(201);
  return (await client.json<Json>(response)).id as string;
}

async function queryAllIds(object: string): Promise<string[]> {
  const response = await client.get(`queryAll?q=${encodeURIComponent(`SELECT Id FROM ${object}`)}`);
  const body = await client.json<{ records: Json[] }>(response);
  return body.records.map((r) => r.Id as string);
}

async function bulkHardDelete(object: string, ids: string[]): Promise<Json> {
  const job = await client.json<Json>(
    await client.post("jobs/ingest", { object, operation: "hardDelete", contentType: "CSV" }),
  );
  await client.put(`jobs/ingest/${job.id}/batches`, `Id\n${ids.join("\n")}\n`);
  await client.patch(`jobs/ingest/${job.id}`, { state: "UploadComplete" });
  return waitForJob(client, "ingest", job.id as string);
}

describe("sObject Get Deleted (sobjects/{Object}/deleted/)", () => {
  it("lists REST and Bulk hard deletes for jsforce, in Salesforce's shape, whole minutes covered", async () => {
    // Prepare
    const soft = await create("Account", { Name: "Deleted by REST" });
    const hard = await create("Account", { Name: "Hard-deleted by Bulk" });
    expect((await client.delete(`sobjects/Account/${soft}`)).status).toBe(204);
    expect(await bulkHardDelete("Account", [hard])).toMatchObject({ state: "JobComplete" });
    emulator.org.clock.set(ORG_NOW + 5 * MINUTE + 30_000, { frozen: true });
    // Act
    const viaJsforce = await conn
      .sobject("Account")
      .deleted(new Date(ORG_NOW - MINUTE), new Date(ORG_NOW + MINUTE));
    const raw = await client.json<Json>(
      await client.get(deletedPath("Account", ORG_NOW - MINUTE, ORG_NOW + 10 * MINUTE)),
    );
    const queryAll = await queryAllIds("Account");
    // Assess
    expect(viaJsforce.deletedRecords.map((r) => r.id).sort()).toEqual([soft, hard].sort());
    expect(Object.keys(raw)).toEqual(["deletedRecords", "earliestDateAvailable", "latestDateCovered"]);
    const records = raw.deletedRecords as Json[];
    expect(Object.keys(records[0] as Json)).toEqual(["id", "deletedDate"]);
    expect((records[0] as Json).deletedDate).toBe("2025-01-15T12:00:00.000+0000");
    expect(raw.earliestDateAvailable).toMatch(WIRE_DATETIME);
    expect(raw.earliestDateAvailable).toBe("2024-12-31T12:06:00.000+0000");
    expect(raw.latestDateCovered).toBe("2025-01-15T12:05:00.000+0000");
    expect(viaJsforce.latestDateCovered).toBe("2025-01-15T12:01:00.000+0000");
    expect(queryAll).toContain(soft);
    expect(queryAll).not.toContain(hard);
    emulator.org.clock.set(ORG_NOW, { frozen: true });
  });

  it("keeps hard-deleted rows out of Bulk queryAll too", async () => {
    // Prepare
    const hard = await create("Account", { Name: "Gone for Bulk queryAll" });
    await bulkHardDelete("Account", [hard]);
    // Act
    const job = await client.json<Json>(
      await client.post("jobs/query", {
        operation: "queryAll",
        query: `SELECT Id FROM Account WHERE Id = '${hard}'`,
      }),
    );
    await waitForJob(client, "query", job.id as string);
    const text = await (await client.get(`jobs/query/${job.id}/results`)).text();
    // Assess
    expect(text.trim()).toBe('"Id"');
  });

  it("answers parameter problems like Salesforce: missing, unencoded '+', no zone", async () => {
    // Act
    const missing = await client.get(`sobjects/Account/deleted/?end=${encodeURIComponent(iso(ORG_NOW))}`);
    const unencoded = await client.get(
      `sobjects/Account/deleted/?start=${iso(ORG_NOW - DAY)}&end=${encodeURIComponent(iso(ORG_NOW))}`,
    );
    const noZone = await client.get(
      `sobjects/Account/deleted/?start=2025-01-14T12%3A00%3A00&end=${encodeURIComponent(iso(ORG_NOW))}`,
    );
    const zulu = await client.get(
      "sobjects/Account/deleted/?start=2025-01-14T12:00:00Z&end=2025-01-15T12:00:00Z",
    );
    // Assess
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual([
      { message: "Missing required parameter: start", errorCode: "MISSING_ARGUMENT" },
    ]);
    expect(unencoded.status).toBe(400);
    expect(await unencoded.json()).toEqual([
      expect.objectContaining({
        errorCode: "ILLEGAL_QUERY_PARAMETER_VALUE",
        message: expect.stringMatching(
          /^start date is not in the correct format: '2025-01-14T12:00:00 00:00'/,
        ),
      }),
    ]);
    expect(noZone.status).toBe(400);
    expect(zulu.status).toBe(200);
  });

  it("refuses with INVALID_REPLICATION_DATE a window under a minute and a start the log no longer covers", async () => {
    // Act
    const sameMinute = await client.get(deletedPath("Account", ORG_NOW - 50_000, ORG_NOW - 10_000));
    const sixteenDays = await client.get(deletedPath("Account", ORG_NOW - 16 * DAY, ORG_NOW));
    // Assess
    expect(sameMinute.status).toBe(400);
    expect(await sameMinute.json()).toEqual([
      {
        message: "startDate must be at least one minute greater than endDate",
        errorCode: "INVALID_REPLICATION_DATE",
      },
    ]);
    expect(sixteenDays.status).toBe(400);
    expect(await sixteenDays.json()).toEqual([
      expect.objectContaining({ errorCode: "INVALID_REPLICATION_DATE" }),
    ]);
  });

  it("answers 404 for an unknown object and INVALID_TYPE for one that is not replicateable", async () => {
    // Act
    const unknown = await client.get(deletedPath("Nope__c", ORG_NOW - DAY, ORG_NOW));
    const history = await client.get(deletedPath("AccountHistory", ORG_NOW - DAY, ORG_NOW));
    // Assess
    expect(unknown.status).toBe(404);
    expect(history.status).toBe(400);
    expect(await history.json()).toEqual([
      { message: "sObject type AccountHistory is not replicable", errorCode: "INVALID_TYPE" },
    ]);
  });

  it("fails with EXCEEDED_ID_LIMIT past the Id limit set through the control API", async () => {
    // Prepare
    for (const name of ["One", "Two"]) {
      await client.delete(
        `sobjects/Opportunity/${await create("Opportunity", { Name: name, StageName: "Prospecting", CloseDate: "2025-02-01" })}`,
      );
    }
    const set = await (await control("POST", "/delete-log", { maxIds: 1 })).json();
    // Act
    const over = await client.get(deletedPath("Opportunity", ORG_NOW - MINUTE, ORG_NOW + MINUTE));
    await control("POST", "/delete-log", { maxIds: 600_000 });
    const settings = await (await control("GET", "/delete-log")).json();
    const within = await client.get(deletedPath("Opportunity", ORG_NOW - MINUTE, ORG_NOW + MINUTE));
    // Assess
    expect(set).toEqual({ maxIds: 1, coverageLagMs: 0 });
    expect(over.status).toBe(400);
    expect(await over.json()).toEqual([expect.objectContaining({ errorCode: "EXCEEDED_ID_LIMIT" })]);
    expect(settings).toEqual({ maxIds: 600_000, coverageLagMs: 0 });
    expect(((await within.json()) as Json).deletedRecords).toHaveLength(2);
  });

  it("counts as an API call of kind getDeleted, and faults match that kind", async () => {
    // Prepare
    const before = emulator.calls.count("getDeleted");
    emulator.faults.add({ kind: "getDeleted", action: { type: "serverUnavailable" } });
    // Act
    const faulted = await client.get(deletedPath("Account", ORG_NOW - DAY, ORG_NOW));
    const served = await client.get(deletedPath("Account", ORG_NOW - DAY, ORG_NOW));
    // Assess
    expect(faulted.status).toBe(503);
    expect(served.status).toBe(200);
    expect(emulator.calls.count("getDeleted")).toBe(before + 2);
    expect(emulator.faults.fired().at(-1)).toMatchObject({ kind: "getDeleted", action: "serverUnavailable" });
  });

  it("logs a REST DELETE on an object without a recycle bin, which queryAll never shows", async () => {
    // Prepare
    emulator.org.addObject({ name: "Ledger__c", undeletable: false });
    const id = await create("Ledger__c", { Name: "No recycle bin" });
    // Act
    const deleted = await client.delete(`sobjects/Ledger__c/${id}`);
    const log = await client.json<Json>(
      await client.get(deletedPath("Ledger__c", ORG_NOW - MINUTE, ORG_NOW + MINUTE)),
    );
    // Assess
    expect(deleted.status).toBe(204);
    expect(await queryAllIds("Ledger__c")).toEqual([]);
    expect(log.deletedRecords).toEqual([{ id, deletedDate: "2025-01-15T12:00:00.000+0000" }]);
  });

  it("logs nothing for the inserts an allOrNone collection rolls back", async () => {
    // Prepare
    const window = deletedPath("Case", ORG_NOW - MINUTE, ORG_NOW + MINUTE);
    const before = (await client.json<Json>(await client.get(window))).deletedRecords as Json[];
    // Act
    const response = await client.post("composite/sobjects", {
      allOrNone: true,
      records: [
        { attributes: { type: "Case" }, Subject: "Rolled back" },
        { attributes: { type: "Case" }, No_Such_Field__c: "fails the whole request" },
      ],
    });
    const after = (await client.json<Json>(await client.get(window))).deletedRecords as Json[];
    // Assess
    expect(((await response.json()) as Json[]).every((r) => r.success === false)).toBe(true);
    expect(after).toEqual(before);
  });
});

describe("recycle bin and fields through the control API", () => {
  it("empties one object's recycle bin: gone from queryAll, the delete log starts at the purge", async () => {
    // Prepare
    const id = await create("Lead", { LastName: "Binned", Company: "Acme" });
    await client.delete(`sobjects/Lead/${id}`);
    emulator.org.clock.set(ORG_NOW + 2 * MINUTE + 10_000, { frozen: true });
    // Act
    const refused = await control("POST", "/recycle-bin", { object: "Lead" });
    const emptied = await (await control("POST", "/recycle-bin", { object: "Lead", empty: true })).json();
    emulator.org.clock.set(ORG_NOW + 10 * MINUTE, { frozen: true });
    const before = await client.get(deletedPath("Lead", ORG_NOW - MINUTE, ORG_NOW + 9 * MINUTE));
    const from = await client.json<Json>(
      await client.get(deletedPath("Lead", ORG_NOW + 3 * MINUTE, ORG_NOW + 9 * MINUTE)),
    );
    // Assess
    expect(refused.status).toBe(400);
    expect(emptied).toEqual({ emptied: 1, at: ORG_NOW + 2 * MINUTE + 10_000 });
    expect(await queryAllIds("Lead")).not.toContain(id);
    expect(before.status).toBe(400);
    expect(await before.json()).toEqual([expect.objectContaining({ errorCode: "INVALID_REPLICATION_DATE" })]);
    expect(from.earliestDateAvailable).toBe("2025-01-15T12:03:00.000+0000");
    expect(from.deletedRecords).toEqual([]);
    emulator.org.clock.set(ORG_NOW, { frozen: true });
  });

  it("adds a field that already holds values on old rows, their SystemModstamp unmoved; refuses bad values", async () => {
    // Prepare
    const id = await create("Contact", { LastName: "Granted" });
    emulator.org.clock.set(ORG_NOW + DAY, { frozen: true });
    // Act
    const added = await control("POST", "/fields", {
      object: "Contact",
      field: { name: "Shoe_Size__c", type: "double", precision: 4, scale: 1 },
      values: { [id]: 42.5 },
    });
    const refused = await control("POST", "/fields", {
      object: "Contact",
      field: { name: "Birth_Year__c", type: "int" },
      values: { [id]: "nineteen eighty" },
    });
    const record = await client.json<Json>(
      await client.get(`sobjects/Contact/${id}?fields=Shoe_Size__c,SystemModstamp`),
    );
    const describe = await client.json<{ fields: Json[] }>(await client.get("sobjects/Contact/describe"));
    // Assess
    expect(added.status).toBe(200);
    expect(record).toMatchObject({ Shoe_Size__c: 42.5, SystemModstamp: "2025-01-15T12:00:00.000+0000" });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as Json).error).toMatch(
      new RegExp(`Contact\\.Birth_Year__c: "nineteen eighty" for ${id} is not a int value`),
    );
    expect(describe.fields.map((f) => f.name)).not.toContain("Birth_Year__c");
    emulator.org.clock.set(ORG_NOW, { frozen: true });
  });

  it("lets soft-deleted rows age out of queryAll 15 days later on the org clock", async () => {
    // Prepare
    const id = await create("Contact", { LastName: "Ages out" });
    await client.delete(`sobjects/Contact/${id}`);
    // Act
    await control("POST", "/clock", { advanceMs: 15 * DAY - 1 });
    const lastMoment = await queryAllIds("Contact");
    await control("POST", "/clock", { advanceMs: 1 });
    const after = await queryAllIds("Contact");
    // Assess
    expect(lastMoment).toContain(id);
    expect(after).not.toContain(id);
    emulator.org.clock.set(ORG_NOW, { frozen: true });
  });
});
