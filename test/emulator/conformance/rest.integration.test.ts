import type { Connection } from "jsforce";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../emulator/index";
import { API, type Api, api, passwordConnection, passwordToken, startTestEmulator } from "./harness";

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

describe("versions, resources, describe", () => {
  it("lists API versions up to the newest served, without a session", async () => {
    // Act
    const response = await fetch(`${emulator.url}/services/data`);
    const versions = (await response.json()) as Array<{ label: string; url: string; version: string }>;
    // Assess
    expect(response.status).toBe(200);
    expect(versions.at(-1)).toEqual({ label: "Winter '25", url: "/services/data/v62.0", version: "62.0" });
    expect(versions.find((v) => v.version === "58.0")?.label).toBe("Summer '23");
  });

  it("serves older versions and refuses newer ones with 404 NOT_FOUND", async () => {
    // Act
    const older = await client.get("/services/data/v58.0/limits");
    const newer = await client.get("/services/data/v63.0/limits");
    // Assess
    expect(older.status).toBe(200);
    expect(newer.status).toBe(404);
    expect(await newer.json()).toEqual([
      { message: "The requested resource does not exist", errorCode: "NOT_FOUND" },
    ]);
  });

  it("answers describeGlobal with encoding, maxBatchSize and sobjects[] keyed like a real org", async () => {
    // Act
    const body = await client.json<Json>(await client.get("sobjects/"));
    const account = (body.sobjects as Json[]).find((o) => o.name === "Account") as Json;
    // Assess
    expect(Object.keys(body)).toEqual(["encoding", "maxBatchSize", "sobjects"]);
    expect(body.encoding).toBe("UTF-8");
    expect(body.maxBatchSize).toBe(200);
    for (const key of [
      "name",
      "label",
      "custom",
      "queryable",
      "retrieveable",
      "replicateable",
      "createable",
    ]) {
      expect(account).toHaveProperty(key);
    }
    expect(account.keyPrefix).toBe("001");
    expect((account.urls as Json).describe).toBe(`/services/data/v${API}/sobjects/Account/describe`);
  });

  it("describes an object's fields, and 404s an unknown object", async () => {
    // Act
    const account = await client.json<Json>(await client.get("sobjects/Account/describe"));
    const unknown = await client.get("sobjects/Nope__c/describe");
    const fields = account.fields as Json[];
    const billingCity = fields.find((f) => f.name === "BillingCity") as Json;
    // Assess
    expect(account.name).toBe("Account");
    expect(fields.find((f) => f.name === "Id")?.type).toBe("id");
    expect(billingCity.compoundFieldName).toBe("BillingAddress");
    for (const key of [
      "nillable",
      "createable",
      "updateable",
      "calculated",
      "externalId",
      "filterable",
      "referenceTo",
    ]) {
      expect(billingCity).toHaveProperty(key);
    }
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual([
      { message: "The requested resource does not exist", errorCode: "NOT_FOUND" },
    ]);
  });

  it("describes through jsforce", async () => {
    // Act
    const global = await conn.describeGlobal();
    const invoice = await conn.sobject("Invoice__c").describe();
    // Assess
    expect(global.sobjects.map((o) => o.name)).toContain("Invoice__c");
    expect(invoice.fields.find((f) => f.name === "ERP_Id__c")?.externalId).toBe(true);
  });
});

describe("query and queryMore", () => {
  it("pages with nextRecordsUrl (host-relative, /query/ even for queryAll) and omits it when done", async () => {
    // Prepare
    const total = emulator.org.count("Contact", { includeDeleted: true });
    const pages: Json[] = [];
    // Act
    let response = await client.get("queryAll?q=SELECT+Id,+LastName+FROM+Contact", {
      "Sforce-Query-Options": "batchSize=200",
    });
    for (;;) {
      const page = await client.json<Json>(response);
      pages.push(page);
      if (page.done === true) break;
      response = await client.get(page.nextRecordsUrl as string);
    }
    // Assess
    expect(pages.length).toBe(Math.ceil(total / 200));
    for (const page of pages) expect(page.totalSize).toBe(total);
    expect(pages[0]?.nextRecordsUrl).toMatch(
      new RegExp(`^/services/data/v${API}/query/01g[a-zA-Z0-9]{15}-200$`),
    );
    expect(pages.at(-1)).not.toHaveProperty("nextRecordsUrl");
    const ids = pages.flatMap((p) => (p.records as Json[]).map((r) => r.Id));
    expect(new Set(ids).size).toBe(total);
  });

  it("answers SELECT COUNT() with totalSize and no records", async () => {
    // Act
    const body = await client.json<Json>(
      await client.get(`query?q=${encodeURIComponent("SELECT COUNT() FROM Contact WHERE LastName != null")}`),
    );
    // Assess
    expect(body).toEqual({ totalSize: emulator.org.count("Contact"), done: true, records: [] });
  });

  it("defaults to 2000 records a page and re-reads a page from its locator", async () => {
    // Prepare
    emulator.org.generate("Account", 2500);
    // Act
    const first = await client.json<Json>(await client.get("query?q=SELECT+Id+FROM+Account"));
    const second = await client.json<Json>(await client.get(first.nextRecordsUrl as string));
    const again = await client.json<Json>(await client.get(first.nextRecordsUrl as string));
    // Assess
    expect((first.records as Json[]).length).toBe(2000);
    expect(first.done).toBe(false);
    expect(second.done).toBe(true);
    expect((second.records as Json[]).length).toBe((first.totalSize as number) - 2000);
    expect(again).toEqual(second);
  });

  it("formats records: attributes first, nulls present, datetimes +0000, compound objects, relationships", async () => {
    // Act
    const body = await client.json<Json>(
      await client.get(
        `query?q=${encodeURIComponent("SELECT Id, Name, Website, CreatedDate, BillingAddress, Owner.Name FROM Account LIMIT 50")}`,
      ),
    );
    const records = body.records as Json[];
    const first = records[0] as Json;
    // Assess
    expect(Object.keys(first)).toEqual([
      "attributes",
      "Id",
      "Name",
      "Website",
      "CreatedDate",
      "BillingAddress",
      "Owner",
    ]);
    expect(first.attributes).toEqual({
      type: "Account",
      url: `/services/data/v${API}/sobjects/Account/${first.Id}`,
    });
    expect(first.CreatedDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    expect(records.some((r) => r.Website === null)).toBe(true);
    const address = records.map((r) => r.BillingAddress).find((a) => a !== null) as Json;
    expect(Object.keys(address)).toEqual([...Object.keys(address)].sort());
    expect(address).toHaveProperty("street");
    const owner = first.Owner as Json;
    expect((owner.attributes as Json).type).toBe("User");
    expect(typeof owner.Name).toBe("string");
  });

  it("returns base64 fields as their blob URL, which GET answers with the bytes", async () => {
    // Prepare
    const body = await client.json<Json>(await client.get("query?q=SELECT+Id,+Body+FROM+Attachment+LIMIT+1"));
    const record = (body.records as Json[])[0] as Json;
    const stored = emulator.org.get("Attachment", record.Id as string)?.Body as string;
    // Act
    const blob = await client.get(record.Body as string);
    const bytes = Buffer.from(await blob.arrayBuffer());
    // Assess
    expect(record.Body).toBe(`/services/data/v${API}/sobjects/Attachment/${record.Id}/Body`);
    expect(blob.status).toBe(200);
    expect(bytes.equals(Buffer.from(stored, "base64"))).toBe(true);
  });

  it("pages through jsforce query + queryMore", async () => {
    // Act
    const first = await conn.query("SELECT Id FROM Contact", { autoFetch: false });
    const more = first.nextRecordsUrl === undefined ? undefined : await conn.queryMore(first.nextRecordsUrl);
    const all = await conn.query("SELECT Id FROM Contact", { autoFetch: true, maxFetch: 100_000 });
    // Assess
    expect(first.totalSize).toBe(emulator.org.count("Contact"));
    expect(first.records.length + (more?.records.length ?? 0)).toBeLessThanOrEqual(first.totalSize);
    expect(all.records.length).toBe(first.totalSize);
  });

  it.each([
    ["SELECT Id FORM Account", "MALFORMED_QUERY"],
    ["SELECT Nope__x FROM Account", "INVALID_FIELD"],
    ["SELECT Id FROM Nope__c", "INVALID_TYPE"],
  ])("answers %s with 400 %s in the error array form", async (soql, code) => {
    // Act
    const response = await client.get(`query?q=${encodeURIComponent(soql)}`);
    const body = await client.json<Json[]>(response);
    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(body).toHaveLength(1);
    expect(body[0]?.errorCode).toBe(code);
    expect(typeof body[0]?.message).toBe("string");
  });

  it("answers an unknown query locator with 400 INVALID_QUERY_LOCATOR", async () => {
    // Act
    const response = await client.get("query/01gDm0000000000AAA-2000");
    // Assess
    expect(response.status).toBe(400);
    expect((await client.json<Json[]>(response))[0]?.errorCode).toBe("INVALID_QUERY_LOCATOR");
  });
});

describe("errors, limits and headers", () => {
  it("answers unknown routes 404, wrong methods 405, wrong media types 415", async () => {
    // Act
    const unknown = await client.get("no/such/thing");
    const method = await client.put("sobjects/Account/describe", {});
    const media = await client.post("sobjects/Account", "Name=x", { "content-type": "text/plain" });
    // Assess
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual([
      { message: "The requested resource does not exist", errorCode: "NOT_FOUND" },
    ]);
    expect(method.status).toBe(405);
    expect(await method.json()).toEqual([
      { message: "HTTP Method 'PUT' not allowed. Allowed are GET", errorCode: "METHOD_NOT_ALLOWED" },
    ]);
    expect(media.status).toBe(415);
    expect((await client.json<Json[]>(media))[0]?.errorCode).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("answers a malformed record Id with 400 MALFORMED_ID and its fields", async () => {
    // Prepare
    const contactId = emulator.org
      .query("SELECT Id FROM Contact LIMIT 1", { includeDeleted: false })
      .rows()
      [Symbol.iterator]()
      .next().value?.id as string;
    // Act
    const response = await client.get(`sobjects/Account/${contactId}`);
    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual([
      {
        message: `Account ID: id value of incorrect type: ${contactId}`,
        errorCode: "MALFORMED_ID",
        fields: ["Id"],
      },
    ]);
  });

  it("spends DailyApiRequests per call, reports it in /limits and Sforce-Limit-Info", async () => {
    // Act
    const first = await client.json<Json>(await client.get("limits/"));
    const response = await client.get("limits/");
    const second = await client.json<Json>(response);
    const api1 = first.DailyApiRequests as { Max: number; Remaining: number };
    const api2 = second.DailyApiRequests as { Max: number; Remaining: number };
    // Assess
    expect(api2.Remaining).toBe(api1.Remaining - 1);
    expect(response.headers.get("sforce-limit-info")).toBe(
      `api-usage=${api2.Max - api2.Remaining}/${api2.Max}`,
    );
    for (const name of ["DailyBulkV2QueryJobs", "DailyBulkV2QueryFileStorageMB", "DailyBulkApiBatches"]) {
      expect(second).toHaveProperty(name);
    }
  });

  it("refuses calls with 403 REQUEST_LIMIT_EXCEEDED once DailyApiRequests is spent", async () => {
    // Prepare
    const before = emulator.limits.get("DailyApiRequests");
    emulator.limits.set("DailyApiRequests", 1);
    try {
      // Act
      const last = await client.get("limits/");
      const refused = await client.get("limits/");
      // Assess
      expect(last.status).toBe(200);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual([
        { message: "TotalRequests Limit exceeded.", errorCode: "REQUEST_LIMIT_EXCEEDED" },
      ]);
    } finally {
      emulator.limits.set("DailyApiRequests", before.Remaining);
    }
  });

  it("counts API calls by kind, OAuth apart", async () => {
    // Prepare
    emulator.calls.reset();
    // Act
    await passwordToken(emulator);
    await client.get("limits/");
    await client.get("sobjects/Account/describe");
    await client.get("query?q=SELECT+Id+FROM+User");
    // Assess
    expect(emulator.calls.oauth).toBe(1);
    expect(emulator.calls.total).toBe(3);
    expect(emulator.calls.byKind()).toEqual({ oauth: 1, limits: 1, describe: 1, query: 1 });
  });
});

describe("single records", () => {
  it("creates, reads, updates and deletes one record", async () => {
    // Act
    const created = await client.post("sobjects/Account/", { Name: "Single Co", NumberOfEmployees: 12 });
    const { id } = await client.json<{ id: string }>(created);
    const read = await client.json<Json>(await client.get(`sobjects/Account/${id}`));
    const updated = await client.patch(`sobjects/Account/${id}`, { Name: "Single Co 2" });
    const reread = await client.json<Json>(
      await client.get(`sobjects/Account/${id}?fields=Name,NumberOfEmployees`),
    );
    const deleted = await client.delete(`sobjects/Account/${id}`);
    const gone = await client.get(`sobjects/Account/${id}`);
    // Assess
    expect(created.status).toBe(201);
    expect(read.Name).toBe("Single Co");
    expect(read).toHaveProperty("BillingAddress", null);
    expect(read.CreatedDate).toMatch(/\+0000$/);
    expect(updated.status).toBe(204);
    expect(reread).toEqual({
      attributes: { type: "Account", url: `/services/data/v${API}/sobjects/Account/${id}` },
      Name: "Single Co 2",
      NumberOfEmployees: 12,
    });
    expect(deleted.status).toBe(204);
    expect(gone.status).toBe(404);
  });

  it("answers a failed create with the DML error in the REST array form", async () => {
    // Act
    const response = await client.post("sobjects/Account/", { Website: "x" });
    const body = await client.json<Json[]>(response);
    // Assess
    expect(response.status).toBe(400);
    expect(body[0]).toMatchObject({ errorCode: "REQUIRED_FIELD_MISSING", fields: ["Name"] });
  });

  it("upserts one record by external id: 201 created, then 200 updated", async () => {
    // Act
    const first = await client.patch("sobjects/Account/ERP_Id__c/SINGLE-1", { Name: "Upserted" });
    const second = await client.patch("sobjects/Account/ERP_Id__c/SINGLE-1", { Name: "Upserted again" });
    const byExternal = await client.json<Json>(await client.get("sobjects/Account/ERP_Id__c/SINGLE-1"));
    // Assess
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ success: true, created: true });
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ success: true, created: false });
    expect(byExternal.Name).toBe("Upserted again");
  });
});

describe("composite/batch", () => {
  it("runs up to 25 sub-requests and reports each status and result", async () => {
    // Act
    const response = await client.post("composite/batch", {
      batchRequests: [
        { method: "GET", url: `v${API}/sobjects/Account/describe` },
        { method: "GET", url: `v${API}/sobjects/Nope__c/describe` },
        { method: "GET", url: `v${API}/query?q=SELECT+Id+FROM+User+LIMIT+2` },
      ],
    });
    const body = await client.json<{
      hasErrors: boolean;
      results: Array<{ statusCode: number; result: Json }>;
    }>(response);
    // Assess
    expect(response.status).toBe(200);
    expect(body.hasErrors).toBe(true);
    expect(body.results.map((r) => r.statusCode)).toEqual([200, 404, 200]);
    expect(body.results[0]?.result.name).toBe("Account");
    expect(body.results[1]?.result).toEqual([
      { message: "The requested resource does not exist", errorCode: "NOT_FOUND" },
    ]);
    expect(body.results[2]?.result.records).toHaveLength(2);
  });

  it("refuses more than 25 sub-requests", async () => {
    // Act
    const response = await client.post("composite/batch", {
      batchRequests: Array.from({ length: 26 }, () => ({ method: "GET", url: `v${API}/limits` })),
    });
    // Assess
    expect(response.status).toBe(400);
  });
});

describe("sObject Collections", () => {
  it("creates, updates, upserts and deletes arrays through jsforce, results in input order", async () => {
    // Prepare
    const records = Array.from({ length: 5 }, (_, i) => ({ Name: `Coll ${i}`, ERP_Id__c: `COLL-${i}` }));
    // Act
    const created = await conn.sobject("Account").create(records);
    const ids = created.map((r) => r.id as string);
    const updated = await conn
      .sobject("Account")
      .update(ids.map((Id, i) => ({ Id, Name: `Coll ${i} updated` })));
    const upserted = await conn.sobject("Account").upsert(
      [
        { ERP_Id__c: "COLL-0", Name: "Coll 0 upserted" },
        { ERP_Id__c: "COLL-NEW", Name: "Coll new" },
      ],
      "ERP_Id__c",
    );
    const destroyed = await conn.sobject("Account").destroy(ids);
    // Assess
    expect(created.every((r) => r.success)).toBe(true);
    expect(updated.map((r) => r.id)).toEqual(ids);
    expect(upserted.map((r) => (r as unknown as { created: boolean }).created)).toEqual([false, true]);
    expect(upserted[0]?.id).toBe(ids[0]);
    expect(destroyed.map((r) => r.id)).toEqual(ids);
    expect(ids.every((id) => emulator.org.get("Account", id) === undefined)).toBe(true);
  });

  it("reports per-item errors with statusCode, in input order", async () => {
    // Act
    const response = await client.post("composite/sobjects", {
      allOrNone: false,
      records: [
        { attributes: { type: "Account" }, Name: "Good one" },
        { attributes: { type: "Account" }, Website: "no name" },
      ],
    });
    const body = await client.json<Json[]>(response);
    // Assess
    expect(response.status).toBe(200);
    expect(body[0]).toMatchObject({ success: true, errors: [] });
    expect(body[1]).toMatchObject({
      id: null,
      success: false,
      errors: [{ statusCode: "REQUIRED_FIELD_MISSING", fields: ["Name"] }],
    });
  });

  it("rolls everything back with allOrNone, marking the valid rows ALL_OR_NONE_OPERATION_ROLLED_BACK", async () => {
    // Prepare
    const before = emulator.org.count("Account");
    // Act
    const response = await client.post("composite/sobjects", {
      allOrNone: true,
      records: [
        { attributes: { type: "Account" }, Name: "Rolled back" },
        { attributes: { type: "Account" }, Website: "no name" },
      ],
    });
    const body = await client.json<Json[]>(response);
    // Assess
    expect(body[0]).toEqual({
      id: null,
      success: false,
      errors: [
        {
          statusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
          message:
            "Record rolled back because not all records were valid and the request was using AllOrNone header",
          fields: [],
        },
      ],
    });
    expect((body[1]?.errors as Json[] | undefined)?.[0]?.statusCode).toBe("REQUIRED_FIELD_MISSING");
    expect(emulator.org.count("Account")).toBe(before);
  });

  it("restores updated rows when an allOrNone update fails", async () => {
    // Prepare
    const created = await client.json<Json>(await client.post("sobjects/Account/", { Name: "Keep me" }));
    const id = created.id as string;
    // Act
    const body = await client.json<Json[]>(
      await client.patch("composite/sobjects", {
        allOrNone: true,
        records: [
          { attributes: { type: "Account" }, id, Name: "Changed" },
          { attributes: { type: "Account" }, id: "001Dm0000000000AAA", Name: "Missing" },
        ],
      }),
    );
    // Assess
    expect((body[0]?.errors as Json[] | undefined)?.[0]?.statusCode).toBe(
      "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    );
    expect(body[1]?.success).toBe(false);
    expect(emulator.org.get("Account", id)?.Name).toBe("Keep me");
  });

  it("refuses more than 200 records", async () => {
    // Act
    const response = await client.post("composite/sobjects", {
      records: Array.from({ length: 201 }, (_, i) => ({ attributes: { type: "Account" }, Name: `n${i}` })),
    });
    // Assess
    expect(response.status).toBe(400);
    expect((await client.json<Json[]>(response))[0]?.errorCode).toBe("EXCEEDED_ID_LIMIT");
  });

  it("deletes by ids with allOrNone: nothing deleted when one id is bad", async () => {
    // Prepare
    const created = await client.json<Json>(
      await client.post("sobjects/Account/", { Name: "Do not delete" }),
    );
    const id = created.id as string;
    // Act
    const body = await client.json<Json[]>(
      await client.delete(`composite/sobjects?ids=${id},001Dm0000000000AAA&allOrNone=true`),
    );
    // Assess
    expect((body[0]?.errors as Json[] | undefined)?.[0]?.statusCode).toBe(
      "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    );
    expect(body[1]?.success).toBe(false);
    expect(emulator.org.get("Account", id)).toBeDefined();
  });
});
