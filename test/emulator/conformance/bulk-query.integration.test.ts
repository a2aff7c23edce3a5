import type { Connection } from "jsforce";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../emulator/index";
import {
  API,
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

async function runQueryJob(
  query: string,
  extra: Json = {},
): Promise<{ id: string; info: Json; created: Json }> {
  const response = await client.post("jobs/query", { operation: "query", query, ...extra });
  const created = await client.json<Json>(response);
  expect(response.status).toBe(200);
  const info = await waitForJob(client, "query", created.id as string);
  return { id: created.id as string, info, created };
}

async function page(id: string, params = ""): Promise<{ response: Response; text: string }> {
  const response = await client.get(`jobs/query/${id}/results${params}`);
  return { response, text: await response.text() };
}

describe("Bulk API 2.0 query jobs", () => {
  it("creates a job already UploadComplete with a 750 id, then completes with job info fields", async () => {
    // Act
    const { id, info, created } = await runQueryJob("SELECT Id, Name FROM Account");
    // Assess
    expect(id).toMatch(/^750[a-zA-Z0-9]{15}$/);
    expect(created).toMatchObject({
      operation: "query",
      object: "Account",
      state: "UploadComplete",
      concurrencyMode: "Parallel",
      contentType: "CSV",
      apiVersion: 62,
      lineEnding: "LF",
      columnDelimiter: "COMMA",
    });
    expect(created.createdDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    expect(info).toMatchObject({
      state: "JobComplete",
      jobType: "V2Query",
      numberRecordsProcessed: emulator.org.count("Account"),
      retries: 0,
    });
    expect(typeof info.totalProcessingTime).toBe("number");
  });

  it("writes apiVersion with its decimal, as Salesforce does", async () => {
    // Act
    const response = await client.post("jobs/query", { operation: "query", query: "SELECT Id FROM User" });
    // Assess
    expect(await response.text()).toContain('"apiVersion":62.0');
  });

  it("writes CSV with every field quoted, nulls empty, numbers with decimals, Z datetimes, booleans", async () => {
    // Prepare
    const created = await client.json<Json>(
      await client.post("sobjects/Account/", {
        Name: 'Quote "Co", Ltd.',
        Description: "line one\nline two",
        NumberOfEmployees: 23,
        AnnualRevenue: 1500,
      }),
    );
    const soql = `SELECT Id, Name, Description, NumberOfEmployees, AnnualRevenue, Website, IsDeleted, CreatedDate FROM Account WHERE Id = '${created.id}'`;
    // Act
    const { id } = await runQueryJob(soql);
    const { response, text } = await page(id);
    // Assess
    expect(response.headers.get("content-type")).toBe("text/csv");
    const lines = text.split("\n");
    expect(lines[0]).toBe(
      '"Id","Name","Description","NumberOfEmployees","AnnualRevenue","Website","IsDeleted","CreatedDate"',
    );
    expect(text).toMatch(
      new RegExp(
        `^.*\\n"${created.id}","Quote ""Co"", Ltd\\.","line one\\nline two","23\\.0","1500\\.0","","false","\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"\\n$`,
      ),
    );
  });

  it("pages with maxRecords: header on every page, Sforce-Locator null on the last, stable locators", async () => {
    // Prepare
    const { id } = await runQueryJob("SELECT Id, Name FROM Contact");
    const total = emulator.org.count("Contact");
    const pages: Array<{ rows: string[][]; locator: string | null; count: string | null }> = [];
    let locator = "";
    // Act
    do {
      const { response, text } = await page(
        id,
        `?maxRecords=150${locator === "" ? "" : `&locator=${locator}`}`,
      );
      pages.push({
        rows: parseCsv(text),
        locator: response.headers.get("sforce-locator"),
        count: response.headers.get("sforce-numberofrecords"),
      });
      locator = response.headers.get("sforce-locator") ?? "null";
    } while (locator !== "null");
    const second = pages[0]?.locator as string;
    const reread = parseCsv((await page(id, `?maxRecords=150&locator=${second}`)).text);
    // Assess
    expect(pages).toHaveLength(Math.ceil(total / 150));
    for (const p of pages) {
      expect(p.rows[0]).toEqual(["Id", "Name"]);
      expect(p.count).toBe(String(p.rows.length - 1));
    }
    expect(pages.at(-1)?.locator).toBe("null");
    expect(pages.slice(0, -1).every((p) => p.locator !== "null" && p.locator !== null)).toBe(true);
    expect(reread).toEqual(pages[1]?.rows);
    const ids = pages.flatMap((p) => p.rows.slice(1).map((r) => r[0]));
    expect(new Set(ids).size).toBe(total);
  });

  it("lists result page links with resultPages (v58+)", async () => {
    // Prepare
    const { id } = await runQueryJob("SELECT Id FROM Contact");
    const total = emulator.org.count("Contact");
    // Act
    const first = await client.json<Json>(await client.get(`jobs/query/${id}/resultPages?maxRecords=40`));
    const links = first.resultPages as Array<{ resultUrl: string }>;
    const next = await client.json<Json>(await client.get(first.nextRecordsUrl as string));
    const texts = await Promise.all(links.map(async (l) => (await client.get(l.resultUrl)).text()));
    // Assess
    expect(Object.keys(first)).toEqual(["resultPages", "nextRecordsUrl", "done"]);
    expect(links).toHaveLength(5);
    expect(links[0]?.resultUrl).toBe(`/services/data/v${API}/jobs/query/${id}/results?maxRecords=40`);
    expect(first.done).toBe(total <= 200);
    expect(texts.map((t) => parseCsv(t).length - 1)).toEqual([40, 40, 40, 40, 40]);
    expect((next.resultPages as unknown[]).length).toBeGreaterThan(0);
  });

  it("serves resultPages only from API v58.0", async () => {
    // Prepare
    const { id } = await runQueryJob("SELECT Id FROM User");
    // Act
    const old = await client.get(`/services/data/v57.0/jobs/query/${id}/resultPages`);
    // Assess
    expect(old.status).toBe(404);
  });

  it.each([
    [
      "a compound field",
      "SELECT Id, BillingAddress FROM Account",
      "Selecting compound data not supported in Bulk Query",
    ],
    ["COUNT(), which Bulk query does not support", "SELECT COUNT() FROM Account", "Aggregate functions"],
    [
      "an object Bulk query refuses",
      "SELECT Id FROM Attachment",
      "Entity 'Attachment' is not supported by the Bulk API.",
    ],
  ])("ends Failed with Salesforce's errorMessage for %s", async (_case, soql, message) => {
    // Act
    const { info, id } = await runQueryJob(soql);
    const results = await client.get(`jobs/query/${id}/results`);
    // Assess
    expect(info.state).toBe("Failed");
    expect(String(info.errorMessage)).toContain(message);
    expect(results.status).toBe(400);
  });

  it("ends Failed for a base64 field", async () => {
    // Prepare
    emulator.org.addField("Account", { name: "Logo__c", type: "base64", custom: true });
    // Act
    const { info } = await runQueryJob("SELECT Id, Logo__c FROM Account");
    // Assess
    expect(info).toMatchObject({
      state: "Failed",
      errorMessage: "FeatureNotEnabled : Binary field not supported",
    });
  });

  it("rejects a SOQL error at create with 400", async () => {
    // Act
    const response = await client.post("jobs/query", {
      operation: "query",
      query: "SELECT Nope__x FROM Account",
    });
    // Assess
    expect(response.status).toBe(400);
    expect((await client.json<Json[]>(response))[0]?.errorCode).toBe("INVALID_FIELD");
  });

  it("uses the job's column delimiter and line ending", async () => {
    // Act
    const { id } = await runQueryJob("SELECT Id, Name FROM User LIMIT 2", {
      columnDelimiter: "PIPE",
      lineEnding: "CRLF",
    });
    const { text } = await page(id);
    // Assess
    expect(text.startsWith('"Id"|"Name"\r\n')).toBe(true);
    expect(parseCsv(text, "|")).toHaveLength(3);
  });

  it("includes deleted rows for queryAll", async () => {
    // Prepare
    const created = await client.json<Json>(await client.post("sobjects/Account/", { Name: "Soon deleted" }));
    await client.delete(`sobjects/Account/${created.id}`);
    const soql = `SELECT Id, IsDeleted FROM Account WHERE Id = '${created.id}'`;
    // Act
    const live = await runQueryJob(soql);
    const all = await runQueryJob(soql, { operation: "queryAll" });
    // Assess
    expect(parseCsv((await page(live.id)).text)).toHaveLength(1);
    expect(parseCsv((await page(all.id)).text)[1]).toEqual([created.id, "true"]);
  });

  it("aborts, deletes, lists, and 404s unknown jobs", async () => {
    // Prepare
    const slow = await startTestEmulator({ bulk: { queuedMs: 60_000 } });
    try {
      const slowClient = api(slow, await passwordToken(slow));
      const created = await slowClient.json<Json>(
        await slowClient.post("jobs/query", { operation: "query", query: "SELECT Id FROM User" }),
      );
      // Act
      const aborted = await slowClient.json<Json>(
        await slowClient.patch(`jobs/query/${created.id}`, { state: "Aborted" }),
      );
      const again = await slowClient.patch(`jobs/query/${created.id}`, { state: "Aborted" });
      const list = await slowClient.json<Json>(await slowClient.get("jobs/query"));
      const deleted = await slowClient.delete(`jobs/query/${created.id}`);
      const missing = await slowClient.get(`jobs/query/${created.id}`);
      // Assess
      expect(aborted.state).toBe("Aborted");
      expect(again.status).toBe(400);
      expect((list.records as Json[]).map((r) => r.id)).toContain(created.id);
      expect(list.done).toBe(true);
      expect(deleted.status).toBe(204);
      expect(missing.status).toBe(404);
    } finally {
      await slow.stop();
    }
  });

  it("spends DailyBulkV2QueryJobs and refuses jobs once it is spent", async () => {
    // Prepare
    const before = emulator.limits.get("DailyBulkV2QueryJobs").Remaining;
    // Act
    await runQueryJob("SELECT Id FROM User");
    const after = emulator.limits.get("DailyBulkV2QueryJobs").Remaining;
    emulator.limits.set("DailyBulkV2QueryJobs", 0);
    const refused = await client.post("jobs/query", { operation: "query", query: "SELECT Id FROM User" });
    emulator.limits.set("DailyBulkV2QueryJobs", after);
    // Assess
    expect(after).toBe(before - 1);
    expect(refused.status).toBe(400);
    expect((await client.json<Json[]>(refused))[0]?.errorCode).toBe("LIMIT_EXCEEDED");
  });

  it("streams every record through jsforce bulk2.query", async () => {
    // Prepare
    emulator.org.generate("Contact", 3000);
    const total = emulator.org.count("Contact");
    conn.bulk2.pollInterval = 20;
    // Act
    const records = await (await conn.bulk2.query("SELECT Id, LastName, Birthdate FROM Contact")).toArray();
    // Assess
    expect(records).toHaveLength(total);
    expect(new Set(records.map((r) => r.Id)).size).toBe(total);
  });
});
