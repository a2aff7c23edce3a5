import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type { Org } from "../../../emulator/org/types";
import { CHECK_BEFORE_RESEND } from "../../../functions/core/load/send-collections";
import { driveLoad } from "./drive-load";
import {
  dropFile,
  expectFilesAgree,
  fieldsOf,
  insertDirect,
  objectCreatedEvent,
  readResult,
  readSummary,
  rowsOf,
  startLoadHarness,
} from "./load-fixtures";

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

const DML_KINDS = ["collections", "bulkIngestCreate", "bulkIngestUpload", "bulkIngestClose"] as const;

function dmlCalls(h: LoadHarness): number {
  return DML_KINDS.reduce((sum, kind) => sum + h.emulator.calls.count(kind), 0);
}

const INVOICE_FIELDS = [
  "ERP_Id__c",
  "Amount__c",
  "Due_Date__c",
  "Paid__c",
  "Status__c",
  "Notes__c",
  "Quantity__c",
  "Tags__c",
  "Issued_At__c",
  "Discount__c",
];

const INVOICES_CSV = [
  "ERP_Id__c,Amount__c,Due_Date__c,Paid__c,Status__c,Notes__c,Quantity__c,Tags__c,Issued_At__c,Discount__c",
  'INV-1,1250.50,2026-07-01,true,Sent,"Line one, with comma\nline ""two""",3,Priority;Export,2026-06-01T10:00:00Z,12.5',
  "INV-2,99,2026-08-15,false,Draft,,1,,2026-06-02T08:30:00.000+02:00,0",
  "INV-3,0.01,2026-01-31,0,Paid,Ünïcödé ✓,40,Recurring,,",
].join("\n");

const INVOICES_JSONL = [
  {
    ERP_Id__c: "INV-1",
    Amount__c: 1250.5,
    Due_Date__c: "2026-07-01",
    Paid__c: true,
    Status__c: "Sent",
    Notes__c: 'Line one, with comma\nline "two"',
    Quantity__c: 3,
    Tags__c: "Priority;Export",
    Issued_At__c: "2026-06-01T10:00:00Z",
    Discount__c: 12.5,
  },
  {
    ERP_Id__c: "INV-2",
    Amount__c: 99,
    Due_Date__c: "2026-08-15",
    Paid__c: false,
    Status__c: "Draft",
    Notes__c: null,
    Quantity__c: 1,
    Issued_At__c: "2026-06-02T08:30:00.000+02:00",
    Discount__c: 0,
  },
  {
    ERP_Id__c: "INV-3",
    Amount__c: 0.01,
    Due_Date__c: "2026-01-31",
    Paid__c: false,
    Status__c: "Paid",
    Notes__c: "Ünïcödé ✓",
    Quantity__c: 40,
    Tags__c: "Recurring",
  },
]
  .map((record) => JSON.stringify(record))
  .join("\n");

/** What the org must hold for each of the three invoices, whichever file format carried them. */
const EXPECTED_INVOICES: Record<string, Record<string, unknown>> = {
  "INV-1": {
    ERP_Id__c: "INV-1",
    Amount__c: 1250.5,
    Due_Date__c: "2026-07-01",
    Paid__c: true,
    Status__c: "Sent",
    Notes__c: 'Line one, with comma\nline "two"',
    Quantity__c: 3,
    Tags__c: "Priority;Export",
    Issued_At__c: Date.parse("2026-06-01T10:00:00Z"),
    Discount__c: 12.5,
  },
  "INV-2": {
    ERP_Id__c: "INV-2",
    Amount__c: 99,
    Due_Date__c: "2026-08-15",
    Paid__c: false,
    Status__c: "Draft",
    Notes__c: null,
    Quantity__c: 1,
    Tags__c: null,
    Issued_At__c: Date.parse("2026-06-02T06:30:00Z"),
    Discount__c: 0,
  },
  "INV-3": {
    ERP_Id__c: "INV-3",
    Amount__c: 0.01,
    Due_Date__c: "2026-01-31",
    Paid__c: false,
    Status__c: "Paid",
    Notes__c: "Ünïcödé ✓",
    Quantity__c: 40,
    Tags__c: "Recurring",
    Issued_At__c: null,
    Discount__c: null,
  },
};

function invoicesByErpId(org: Org): Map<string, { id: string; values: Record<string, unknown> }> {
  const out = new Map<string, { id: string; values: Record<string, unknown> }>();
  const result = org.query("SELECT Id, ERP_Id__c FROM Invoice__c", { includeDeleted: false });
  for (const row of result.rows()) {
    out.set(String(row.values[1]), {
      id: row.id,
      values: fieldsOf(org, "Invoice__c", row.id, INVOICE_FIELDS),
    });
  }
  return out;
}

describe("load: insert", () => {
  for (const [format, body] of [
    ["csv", INVOICES_CSV],
    ["jsonl", INVOICES_JSONL],
  ] as const) {
    for (const api of ["collections", "bulk"] as const) {
      it(`inserts a ${format} file through ${api}: the org holds exactly the input, typed`, async () => {
        // Prepare
        const h = await start({ collectionsMaxRows: api === "collections" ? 2000 : 0 });
        const request = await dropFile(h, `inbound/Invoice__c/insert/invoices.${format}`, body);

        // Act
        const run = await driveLoad(h.runtime, request);

        // Assess
        expect(run.error).toBeUndefined();
        expect(run.summary).toMatchObject({
          outcome: "succeeded",
          api,
          counts: { read: 3, succeeded: 3, created: 3, failed: 0, unprocessed: 0, rejected: 0 },
        });
        const invoices = invoicesByErpId(h.org);
        expect(invoices.size).toBe(3);
        for (const [erpId, expected] of Object.entries(EXPECTED_INVOICES)) {
          expect(invoices.get(erpId)?.values).toEqual(expected);
        }
        const success = rowsOf(await readResult(h.runtime.store, run.summary?.files.success as string));
        expect(success.map((row) => row.sf__Id).sort()).toEqual(
          [...invoices.values()].map((i) => i.id).sort(),
        );
        expect(success.every((row) => row.sf__Created === "true")).toBe(true);
        expect(success.find((row) => row.ERP_Id__c === "INV-1")?.Notes__c).toBe(
          'Line one, with comma\nline "two"',
        );
        await expectFilesAgree(h.runtime.store, run.summary);
        const written = await readSummary(h.runtime.store, run.summary as never);
        expect(written.apiCalls).toBeGreaterThan(0);
        if (api === "bulk") expect(written.jobIds).toHaveLength(1);
        else expect(h.emulator.calls.count("bulkIngestCreate")).toBe(0);
      });
    }
  }

  it("loads a gzipped file whose name does not say so, started by its S3 event", async () => {
    // Prepare
    const h = await start();
    const key = "inbound/Invoice__c/insert/monthly export.csv";
    await dropFile(h, key, gzipSync(Buffer.from(INVOICES_CSV)));

    // Act
    const run = await driveLoad(h.runtime, await objectCreatedEvent(h, key));

    // Assess
    expect(run.summary).toMatchObject({ outcome: "succeeded", key, counts: { succeeded: 3 } });
    expect(invoicesByErpId(h.org).get("INV-3")?.values).toEqual(EXPECTED_INVOICES["INV-3"]);
  });
});

describe("load: JSON lines that reveal columns as they go", () => {
  for (const api of ["collections", "bulk"] as const) {
    it(`takes columns first seen on later lines through ${api}, and lines up rejected rows under them`, async () => {
      // Prepare
      const h = await start({ collectionsMaxRows: api === "collections" ? 2000 : 0 });
      const jsonl = [
        '{"ERP_Id__c": "J-1", "Amount__c": 1}',
        '{"ERP_Id__c": "J-2", "Amount__c": "lots"}',
        "[1, 2, 3]",
        '{"ERP_Id__c": "J-3", "Paid__c": true}',
        '{"ERP_Id__c": "J-4", "Notes__c": "late column", "Amount__c": 4}',
      ].join("\n");
      const request = await dropFile(h, "inbound/Invoice__c/insert/growing.jsonl", jsonl);

      // Act
      const run = await driveLoad(h.runtime, request);

      // Assess
      expect(run.summary).toMatchObject({
        outcome: "partial",
        api,
        counts: { read: 5, succeeded: 3, rejected: 2 },
      });
      await expectFilesAgree(h.runtime.store, run.summary);
      const rejected = await readResult(h.runtime.store, run.summary?.files.rejected as string);
      expect(rejected.header).toEqual(["line", "reason", "ERP_Id__c", "Amount__c", "Paid__c", "Notes__c"]);
      expect(rejected.rows.map((row) => row.length)).toEqual([6, 6]);
      expect(rejected.rows[0]?.slice(0, 4)).toEqual(["2", expect.stringMatching(/lots/), "J-2", "lots"]);
      expect(rejected.rows[1]?.[1]).toMatch(/not an object.*\[1, 2, 3\]/);
      const invoices = invoicesByErpId(h.org);
      expect(invoices.get("J-1")?.values).toMatchObject({ Amount__c: 1, Notes__c: null });
      expect(invoices.get("J-3")?.values).toMatchObject({ Amount__c: null, Paid__c: true });
      expect(invoices.get("J-4")?.values).toMatchObject({ Amount__c: 4, Notes__c: "late column" });
    });
  }
});

describe("load: update, upsert, delete, hardDelete", () => {
  for (const api of ["collections", "bulk"] as const) {
    it(`updates through ${api} from CSV and JSON lines, #N/A and null clearing, empty leaving alone`, async () => {
      // Prepare
      const h = await start({ collectionsMaxRows: api === "collections" ? 2000 : 0 });
      const a = insertDirect(h.org, "Account", { Name: "A", Industry: "Energy", Phone: "1" });
      const b = insertDirect(h.org, "Account", { Name: "B", Industry: "Retail", Phone: "2" });
      const csv = `Id,Name,Industry,Phone\n${a},A2,#N/A,\n`;
      const jsonl = `${JSON.stringify({ Id: b, Name: "B2", Industry: null })}\n`;
      const first = await dropFile(h, "inbound/Account/update/a.csv", csv);
      const second = await dropFile(h, "inbound/Account/update/b.jsonl", jsonl);

      // Act
      const runA = await driveLoad(h.runtime, first);
      const runB = await driveLoad(h.runtime, second);

      // Assess
      expect(runA.summary).toMatchObject({ outcome: "succeeded", counts: { succeeded: 1, created: 0 } });
      expect(runB.summary).toMatchObject({ outcome: "succeeded", counts: { succeeded: 1 } });
      expect(fieldsOf(h.org, "Account", a, ["Name", "Industry", "Phone"])).toEqual({
        Name: "A2",
        Industry: null,
        Phone: "1",
      });
      expect(fieldsOf(h.org, "Account", b, ["Name", "Industry", "Phone"])).toEqual({
        Name: "B2",
        Industry: null,
        Phone: "2",
      });
    });

    it(`upserts by external id through ${api}: creates new, updates existing, resolves Account by its ERP id`, async () => {
      // Prepare
      const h = await start({ collectionsMaxRows: api === "collections" ? 2000 : 0 });
      const acme = insertDirect(h.org, "Account", { Name: "Acme", ERP_Id__c: "ACC-1" });
      const globex = insertDirect(h.org, "Account", { Name: "Globex", ERP_Id__c: "ACC-2" });
      const existing = insertDirect(h.org, "Invoice__c", {
        ERP_Id__c: "INV-9",
        Amount__c: 1,
        Account__c: acme,
      });
      const contactExt = "Ext_Id__c";
      h.org.addField("Contact", {
        name: contactExt,
        type: "string",
        externalId: true,
        idLookup: true,
        unique: true,
        length: 20,
      });
      const jane = insertDirect(h.org, "Contact", {
        LastName: "Doe",
        FirstName: "Jane",
        [contactExt]: "C-1",
      });
      const invoices = "ERP_Id__c,Amount__c,Account__r.ERP_Id__c\nINV-9,2.5,ACC-2\nINV-10,7,ACC-1\n";
      const contacts = [
        { Ext_Id__c: "C-1", LastName: "Doe-Smith", Account: { ERP_Id__c: "ACC-1" } },
        { Ext_Id__c: "C-2", LastName: "Roe", "Account.ERP_Id__c": "ACC-2" },
      ]
        .map((record) => JSON.stringify(record))
        .join("\n");
      const invoiceFile = await dropFile(h, "inbound/Invoice__c/upsert/ERP_Id__c/i.csv", invoices);
      const contactFile = await dropFile(h, "inbound/Contact/upsert/Ext_Id__c/c.jsonl", contacts);

      // Act
      const invoiceRun = await driveLoad(h.runtime, invoiceFile);
      const contactRun = await driveLoad(h.runtime, contactFile);

      // Assess
      expect(invoiceRun.summary).toMatchObject({
        outcome: "succeeded",
        counts: { succeeded: 2, created: 1 },
      });
      expect(contactRun.summary).toMatchObject({
        outcome: "succeeded",
        counts: { succeeded: 2, created: 1 },
      });
      expect(fieldsOf(h.org, "Invoice__c", existing, ["Amount__c", "Account__c"])).toEqual({
        Amount__c: 2.5,
        Account__c: globex,
      });
      const created = invoicesByErpId(h.org).get("INV-10");
      expect(fieldsOf(h.org, "Invoice__c", created?.id as string, ["Amount__c", "Account__c"])).toEqual({
        Amount__c: 7,
        Account__c: acme,
      });
      expect(fieldsOf(h.org, "Contact", jane, ["LastName", "AccountId"])).toEqual({
        LastName: "Doe-Smith",
        AccountId: acme,
      });
      expect(h.org.count("Contact")).toBe(2);
      const success = rowsOf(await readResult(h.runtime.store, invoiceRun.summary?.files.success as string));
      expect(success.map((row) => [row.ERP_Id__c, row.sf__Created]).sort()).toEqual([
        ["INV-10", "true"],
        ["INV-9", "false"],
      ]);
    });

    it(`deletes to the recycle bin and hard-deletes through ${api} from CSV and JSON lines`, async () => {
      // Prepare
      const h = await start({ collectionsMaxRows: api === "collections" ? 2000 : 0 });
      const ids = ["A", "B", "C", "D"].map((name) => insertDirect(h.org, "Account", { Name: name }));
      const [a, b, c, d] = ids as [string, string, string, string];
      await dropFile(h, "inbound/Account/delete/d.csv", `Id\n${a}\n`);
      await dropFile(h, "inbound/Account/delete/d.jsonl", `{"Id":"${b}"}\n`);
      await dropFile(h, "inbound/Account/hardDelete/h.csv", `Id\n${c}\n`);
      await dropFile(h, "inbound/Account/hardDelete/h.jsonl", `{"Id":"${d}"}\n`);
      const bucket = h.runtime.config.bucket;

      // Act
      const runs = [];
      for (const key of ["delete/d.csv", "delete/d.jsonl", "hardDelete/h.csv", "hardDelete/h.jsonl"]) {
        runs.push(await driveLoad(h.runtime, { bucket, key: `inbound/Account/${key}` }));
      }

      // Assess
      for (const run of runs)
        expect(run.summary).toMatchObject({ outcome: "succeeded", counts: { succeeded: 1 } });
      expect(runs[2]?.summary?.api).toBe("bulk");
      expect(h.org.count("Account")).toBe(0);
      expect(h.org.get("Account", a, { includeDeleted: true })?.IsDeleted).toBe(true);
      expect(h.org.get("Account", b, { includeDeleted: true })?.IsDeleted).toBe(true);
      expect(h.org.get("Account", c, { includeDeleted: true })).toBeUndefined();
      expect(h.org.get("Account", d, { includeDeleted: true })).toBeUndefined();
    });
  }
});

describe("load: rows that fail", () => {
  for (const api of ["collections", "bulk"] as const) {
    it(`reports Salesforce's data errors in failed.csv through ${api}, loads the rest, and reconciles`, async () => {
      // Prepare
      const h = await start({ collectionsMaxRows: api === "collections" ? 2000 : 0 });
      insertDirect(h.org, "Account", { Name: "Acme", ERP_Id__c: "ACC-1" });
      insertDirect(h.org, "Invoice__c", { ERP_Id__c: "TAKEN" });
      const csv = [
        "ERP_Id__c,Amount__c,Account__r.ERP_Id__c,Notes__c,Status__c",
        "OK-1,1,ACC-1,,Sent",
        "TAKEN,2,,,Sent",
        "OK-2,3,NO-SUCH-ACCOUNT,,Sent",
        `OK-3,4,,${"x".repeat(32_769)},Sent`,
        "OK-4,five,,,Sent",
        "OK-5,6,,,Bogus",
        "OK-6,7,,,Draft",
      ].join("\n");
      const request = await dropFile(h, "inbound/Invoice__c/insert/mixed.csv", csv);
      const accounts = await dropFile(h, "inbound/Account/insert/no-name.csv", "Name,Phone\nFine,1\n,2\n");

      // Act
      const run = await driveLoad(h.runtime, request);
      const accountRun = await driveLoad(h.runtime, accounts);

      // Assess
      expect(run.error).toBeUndefined();
      expect(run.summary).toMatchObject({
        outcome: "partial",
        counts: { read: 7, succeeded: 2, failed: 3, rejected: 2, unprocessed: 0 },
      });
      const failed = rowsOf(await readResult(h.runtime.store, run.summary?.files.failed as string));
      const byErp = new Map(failed.map((row) => [row.ERP_Id__c, row.sf__Error]));
      expect(byErp.get("TAKEN")).toMatch(/^DUPLICATE_VALUE:/);
      expect(byErp.get("OK-2")).toMatch(/^(INVALID_FIELD|INVALID_CROSS_REFERENCE_KEY):/);
      expect(byErp.get("OK-3")).toMatch(/^STRING_TOO_LONG:/);
      expect(run.summary?.errorCodes.DUPLICATE_VALUE).toBe(1);
      const rejected = rowsOf(await readResult(h.runtime.store, run.summary?.files.rejected as string));
      expect(rejected.map((row) => row.line)).toEqual(["6", "7"]);
      expect(rejected[0]?.reason).toMatch(/five/);
      expect(rejected[0]?.Amount__c).toBe("five");
      expect([...invoicesByErpId(h.org).keys()].sort()).toEqual(["OK-1", "OK-6", "TAKEN"]);
      await expectFilesAgree(h.runtime.store, run.summary);
      await expectFilesAgree(h.runtime.store, accountRun.summary);
      expect(accountRun.summary).toMatchObject({ outcome: "partial", counts: { succeeded: 1, failed: 1 } });
      expect(accountRun.summary?.errorCodes).toEqual({ REQUIRED_FIELD_MISSING: 1 });
      expect(h.org.count("Account")).toBe(2);
    });

    it(`retries rows the org locked (UNABLE_TO_LOCK_ROW) through ${api} until they succeed`, async () => {
      // Prepare
      const h = await start({ collectionsMaxRows: api === "collections" ? 2000 : 0, maxRetryRounds: 3 });
      const ids = ["A", "B", "C"].map((name) => insertDirect(h.org, "Account", { Name: name }));
      h.org.lockRows([ids[0] as string], 2);
      h.org.lockRows([ids[2] as string], 1);
      const csv = `Id,Phone\n${ids.map((id, i) => `${id},555-${i}`).join("\n")}\n`;
      const request = await dropFile(h, "inbound/Account/update/locked.csv", csv);

      // Act
      const run = await driveLoad(h.runtime, request);

      // Assess
      expect(run.summary).toMatchObject({
        outcome: "succeeded",
        rounds: 3,
        counts: { read: 3, succeeded: 3 },
      });
      expect(run.summary?.retriedCodes).toEqual({ UNABLE_TO_LOCK_ROW: 3 });
      expect(ids.map((id) => h.org.get("Account", id)?.Phone)).toEqual(["555-0", "555-1", "555-2"]);
      const success = rowsOf(await readResult(h.runtime.store, run.summary?.files.success as string));
      expect(success.map((row) => row.sf__Id).sort()).toEqual([...ids].sort());
    });
  }

  it("gives up on rows still locked after the last round and reports them failed", async () => {
    // Prepare
    const h = await start({ maxRetryRounds: 1 });
    const id = insertDirect(h.org, "Account", { Name: "Busy" });
    h.org.lockRows([id], 5);
    const request = await dropFile(h, "inbound/Account/update/busy.csv", `Id,Phone\n${id},1\n`);

    // Act
    const run = await driveLoad(h.runtime, request);

    // Assess
    expect(run.summary).toMatchObject({ outcome: "partial", rounds: 2, counts: { failed: 1 } });
    expect(run.summary?.errorCodes).toEqual({ UNABLE_TO_LOCK_ROW: 1 });
    expect(run.summary?.message).toMatch(/loaded 0 of 1 row/);
  });
});

describe("load: idempotency and size", () => {
  it("loads a file once when its S3 event is delivered twice", async () => {
    // Prepare
    const h = await start();
    const key = "inbound/Invoice__c/insert/twice.csv";
    await dropFile(h, key, INVOICES_CSV);
    const event = await objectCreatedEvent(h, key);

    // Act
    const first = await driveLoad(h.runtime, event, { runId: "exec-1" });
    const second = await driveLoad(h.runtime, event, { runId: "exec-2" });

    // Assess
    expect(first.summary?.outcome).toBe("succeeded");
    expect(second.duplicate).toMatchObject({ firstRunId: "exec-1", latestStatus: "succeeded" });
    expect(second.actions).toEqual(["claim"]);
    expect(h.org.count("Invoice__c")).toBe(3);
  });

  it("splits a file over jobMaxBytes into several jobs and continues across invocations", async () => {
    // Prepare
    const h = await start({ collectionsMaxRows: 0, jobMaxBytes: 1024 });
    const lines = ["ERP_Id__c,Amount__c,Notes__c"];
    for (let i = 0; i < 250; i++) lines.push(`SPLIT-${i},${i}.25,"row ${i}, padded ${"·".repeat(i % 17)}"`);
    const request = await dropFile(h, "inbound/Invoice__c/insert/big.csv", lines.join("\r\n"));

    // Act
    const run = await driveLoad(h.runtime, request, { remainingMs: () => 1 });

    // Assess
    expect(run.error).toBeUndefined();
    expect(run.summary).toMatchObject({ outcome: "succeeded", counts: { read: 250, succeeded: 250 } });
    await expectFilesAgree(h.runtime.store, run.summary);
    const jobs = run.summary?.jobIds ?? [];
    expect(jobs.length).toBeGreaterThan(5);
    expect(new Set(jobs).size).toBe(jobs.length);
    expect(run.actions.filter((action) => action === "submit").length).toBeGreaterThanOrEqual(jobs.length);
    expect(h.org.count("Invoice__c")).toBe(250);
    const amounts = h.org.query("SELECT Amount__c FROM Invoice__c", { includeDeleted: false });
    let total = 0;
    for (const row of amounts.rows()) total += row.values[0] as number;
    expect(total).toBeCloseTo((249 * 250) / 2 + 250 * 0.25, 6);
    // Every job's results are in S3, so none is left behind in the org.
    expect(h.emulator.calls.count("bulkIngestDelete")).toBe(jobs.length);
  });

  it("continues a collections load across invocations without sending a row twice", async () => {
    // Prepare
    const h = await start({ collectionsMaxRows: 2000 });
    const lines = ["Name,AccountNumber"];
    for (let i = 0; i < 450; i++) lines.push(`Company ${i},N${i}`);
    const request = await dropFile(h, "inbound/Account/insert/many.csv", lines.join("\n"));

    // Act
    const run = await driveLoad(h.runtime, request, { remainingMs: () => 1 });

    // Assess
    expect(run.summary).toMatchObject({
      outcome: "succeeded",
      api: "collections",
      counts: { succeeded: 450 },
    });
    expect(h.emulator.calls.count("collections")).toBe(3);
    expect(h.org.count("Account")).toBe(450);
  });
});

describe("load: the file is parsed once", () => {
  it("reads the inbound file once to validate it and sends Bulk jobs from the job files it staged", async () => {
    // Prepare
    const h = await start({ collectionsMaxRows: 0, jobMaxBytes: 1024 });
    const lines = ["ERP_Id__c,Amount__c,Notes__c"];
    for (let i = 0; i < 250; i++) lines.push(`ONCE-${i},${i}.5,"row ${i}, ""quoted"""`);
    const key = "inbound/Invoice__c/insert/once.csv";
    const request = await dropFile(h, key, lines.join("\n"));
    const store = h.runtime.store;
    const opened: string[] = [];
    const counting = Object.create(store) as typeof store;
    counting.stream = (streamed) => {
      opened.push(streamed);
      return store.stream(streamed);
    };

    // Act
    const run = await driveLoad({ ...h.runtime, store: counting }, request);

    // Assess
    expect(run.summary).toMatchObject({
      outcome: "succeeded",
      api: "bulk",
      counts: { read: 250, succeeded: 250 },
    });
    // Once for the header (the plan), once for the validation pass that staged the rows; never to send.
    expect(opened.filter((name) => name === key)).toHaveLength(2);
    const staged = opened.filter((name) => name.includes("/staged/job-"));
    const jobs = run.summary?.jobIds ?? [];
    expect(jobs.length).toBeGreaterThan(5);
    expect(staged).toHaveLength(jobs.length);
    expect(new Set(staged).size).toBe(jobs.length);
    const notes = h.org.query("SELECT Notes__c FROM Invoice__c", { includeDeleted: false });
    expect([...notes.rows()].map((row) => row.values[0]).sort()).toEqual(
      Array.from({ length: 250 }, (_, i) => `row ${i}, "quoted"`).sort(),
    );
    await expectFilesAgree(h.runtime.store, run.summary);
  });

  it("writes rows staged before a JSON lines file revealed its last columns again, in one job under the whole header", async () => {
    // Prepare: Paid__c first appears on line 1,201, Notes__c on line 2,201 (the reader reveals columns
    // a batch of 1,000 lines at a time, so each appears after rows were staged without it).
    const h = await start({ collectionsMaxRows: 0 });
    const lines: string[] = [];
    for (let i = 0; i < 2500; i++) {
      const record: Record<string, unknown> = { ERP_Id__c: `LATE-${i}`, Amount__c: i };
      if (i >= 1200) record.Paid__c = i % 2 === 0;
      if (i >= 2200) record.Notes__c = `note ${i}`;
      lines.push(JSON.stringify(record));
    }
    const request = await dropFile(h, "inbound/Invoice__c/insert/late.jsonl", lines.join("\n"));

    // Act
    const run = await driveLoad(h.runtime, request);

    // Assess: rows staged before the last column appeared go in one job, the rest in another.
    expect(run.summary).toMatchObject({
      outcome: "succeeded",
      api: "bulk",
      counts: { read: 2500, succeeded: 2500 },
    });
    expect(run.summary?.jobIds).toHaveLength(2);
    await expectFilesAgree(h.runtime.store, run.summary);
    const success = await readResult(h.runtime.store, run.summary?.files.success as string);
    expect(success.header).toEqual([
      "sf__Id",
      "sf__Created",
      "ERP_Id__c",
      "Amount__c",
      "Paid__c",
      "Notes__c",
    ]);
    const invoices = invoicesByErpId(h.org);
    expect(invoices.size).toBe(2500);
    expect(invoices.get("LATE-7")?.values).toMatchObject({ Amount__c: 7, Paid__c: null, Notes__c: null });
    expect(invoices.get("LATE-1500")?.values).toMatchObject({
      Amount__c: 1500,
      Paid__c: true,
      Notes__c: null,
    });
    expect(invoices.get("LATE-2499")?.values).toMatchObject({ Paid__c: false, Notes__c: "note 2499" });
  });
});

describe("load: an insert is never repeated blindly", () => {
  it("reports rows of a collections insert whose connection dropped as unprocessed, to be checked", async () => {
    // Prepare
    const h = await start();
    h.emulator.faults.add({ kind: "collections", action: { type: "dropConnection", afterBytes: 10 } });
    const request = await dropFile(h, "inbound/Invoice__c/insert/dropped.csv", INVOICES_CSV);

    // Act
    const run = await driveLoad(h.runtime, request);

    // Assess
    expect(run.summary).toMatchObject({
      outcome: "partial",
      counts: { read: 3, unprocessed: 3, succeeded: 0 },
    });
    const unprocessed = rowsOf(await readResult(h.runtime.store, run.summary?.files.unprocessed as string));
    expect(unprocessed.map((row) => row.reason)).toEqual([
      CHECK_BEFORE_RESEND,
      CHECK_BEFORE_RESEND,
      CHECK_BEFORE_RESEND,
    ]);
    expect(h.emulator.calls.count("collections")).toBe(1);
    expect(h.org.count("Invoice__c")).toBe(3);
  });

  it("resumes from its checkpoint when an invocation dies after the call, without inserting twice", async () => {
    // Prepare
    const h = await start();
    const request = await dropFile(h, "inbound/Invoice__c/insert/crash.csv", INVOICES_CSV);
    let crashed = false;
    const store = h.runtime.store;
    const crashing = Object.create(store) as typeof store;
    crashing.upload = async (key, body, options) => {
      if (!crashed && key.includes("/parts/success-")) {
        crashed = true;
        const { TransientError } = await import("../../../functions/errors");
        throw new TransientError("simulated: the Lambda died after the collections call");
      }
      return store.upload(key, body, options);
    };
    const runtime = { ...h.runtime, store: crashing };

    // Act
    const run = await driveLoad(runtime, request);

    // Assess
    expect(crashed).toBe(true);
    expect(run.retries).toBe(1);
    expect(h.org.count("Invoice__c")).toBe(3);
    expect(h.emulator.calls.count("collections")).toBe(1);
    expect(run.summary).toMatchObject({ outcome: "partial", counts: { read: 3, unprocessed: 3 } });
  });

  it("resubmits rows of a Bulk job that failed as a whole, in a new job", async () => {
    // Prepare
    const h = await start({ collectionsMaxRows: 0 });
    h.emulator.faults.add({
      kind: "bulkIngestClose",
      action: { type: "failJob", errorMessage: "InternalServerError : boom" },
    });
    const request = await dropFile(h, "inbound/Invoice__c/insert/job-fails.csv", INVOICES_CSV);

    // Act
    const run = await driveLoad(h.runtime, request);

    // Assess
    expect(run.summary).toMatchObject({ outcome: "succeeded", rounds: 2, counts: { succeeded: 3 } });
    expect(run.summary?.jobIds).toHaveLength(2);
    expect(run.summary?.retriedCodes).toEqual({ JOB_FAILED: 3 });
    expect(h.org.count("Invoice__c")).toBe(3);
  });

  it("aborts a job whose upload failed and sends its rows in a new job", async () => {
    // Prepare
    const h = await start({ collectionsMaxRows: 0 });
    h.emulator.faults.add({ kind: "bulkIngestUpload", action: { type: "serverUnavailable" } });
    const request = await dropFile(h, "inbound/Invoice__c/insert/upload-fails.csv", INVOICES_CSV);

    // Act
    const run = await driveLoad(h.runtime, request);

    // Assess
    expect(run.summary).toMatchObject({ outcome: "succeeded", counts: { succeeded: 3 } });
    expect(run.retries).toBe(1);
    expect(h.emulator.calls.count("bulkIngestCreate")).toBe(2);
    // One PATCH aborted the first job, one closed the second.
    expect(h.emulator.calls.count("bulkIngestClose")).toBe(2);
    expect(h.org.count("Invoice__c")).toBe(3);
  });
});

describe("load: limits", () => {
  it("refuses to start below the configured reserve of daily API requests", async () => {
    // Prepare
    const h = await start();
    h.emulator.limits.set("DailyApiRequests", 500);
    const request = await dropFile(h, "inbound/Invoice__c/insert/limits.csv", INVOICES_CSV);

    // Act
    const run = await driveLoad(h.runtime, request);

    // Assess
    expect(run.error?.name).toBe("RateLimitError");
    expect(run.summary).toMatchObject({ outcome: "failed", counts: { succeeded: 0 } });
    expect(dmlCalls(h)).toBe(0);
  });
});
