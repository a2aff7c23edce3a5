/**
 * The AWS lake engine against recording fakes of the Glue and Athena clients: neither service has a
 * local implementation, so this is where the requests' order and error handling are pinned (their
 * contents are pinned by the golden tests of core/lake/athena-requests.ts).
 */
import type { AthenaClient } from "@aws-sdk/client-athena";
import type { GlueClient } from "@aws-sdk/client-glue";
import { describe, expect, it } from "vitest";
import { AthenaLakeEngine } from "../../../functions/aws/athena-lake-engine";
import type { CatalogStream } from "../../../functions/core/catalog";
import { Layout } from "../../../functions/core/layout";
import { catalogField } from "../../support/catalog-field";
import { memoryLog } from "../../support/memory-log";
import { MemoryObjectStore } from "../../support/memory-stores";

interface Sent {
  command: string;
  input: Record<string, unknown>;
}

type Answer = (input: Record<string, unknown>) => unknown;

/** A client whose `send` records each command and answers from `answers` (by command name). */
function fakeClient(sent: Sent[], answers: Record<string, Answer | Answer[]>) {
  return {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, "");
      sent.push({ command: name, input: command.input });
      const answer = answers[name];
      const next = Array.isArray(answer) ? answer.shift() : answer;
      if (!next) throw new Error(`unexpected ${name}`);
      return next(command.input);
    },
  };
}

const notFound = () => {
  throw Object.assign(new Error("Entity Not Found"), { name: "EntityNotFoundException" });
};

const STREAM = {
  object: "Account",
  fields: [catalogField("Id", "id"), catalogField("Name", "string")],
  selectFields: ["Id", "Name"],
} as CatalogStream;
/** The change log's columns: the stream's, the run id and the origin. */
const COLUMNS = [
  { name: "id", athenaType: "string" },
  { name: "name", athenaType: "string" },
  { name: "_run_id", athenaType: "string" },
  { name: "_origin", athenaType: "string" },
];

function engineWith(
  glue: Record<string, Answer | Answer[]>,
  athena: Record<string, Answer | Answer[]>,
  store?: MemoryObjectStore,
) {
  const sent: Sent[] = [];
  const engine = new AthenaLakeEngine({
    ...(store === undefined ? {} : { store }),
    glue: fakeClient(sent, glue) as unknown as GlueClient,
    athena: fakeClient(sent, athena) as unknown as AthenaClient,
    database: "saddledata_acme",
    workgroup: "saddledata-acme",
    bucket: "data-bucket",
    layout: new Layout("salesforce/acme"),
    log: memoryLog(),
    sleep: async () => undefined,
  });
  return { engine, sent };
}

describe("AthenaLakeEngine", () => {
  it("compares Ids: points the snapshot table at the run's folder, runs the SQL, reads its result file", async () => {
    // Prepare: Athena's result CSV where the workgroup writes it, in the connection's bucket.
    const store = new MemoryObjectStore("data-bucket");
    await store.put(
      "salesforce/acme/athena-results/q9.csv",
      '"kind","id"\n"delete","001000000000001AAA"\n"missing","001000000000002AAA"\n',
    );
    const { engine, sent } = engineWith(
      { GetTable: notFound, CreateTable: () => ({}) },
      {
        StartQueryExecution: () => ({ QueryExecutionId: "q9" }),
        GetQueryExecution: [
          () => ({ QueryExecution: { Status: { State: "RUNNING" } } }),
          () => ({
            QueryExecution: {
              Status: { State: "SUCCEEDED" },
              ResultConfiguration: {
                OutputLocation: "s3://data-bucket/salesforce/acme/athena-results/q9.csv",
              },
            },
          }),
        ],
      },
      store,
    );
    const stream = {
      ...STREAM,
      cursorField: "SystemModstamp",
      fields: [...STREAM.fields, catalogField("SystemModstamp", "datetime")],
    } as CatalogStream;

    // Act
    const rows = await engine.compareIds(
      stream,
      {
        runId: "sync-1",
        mergedSeq: 3,
        folder: "salesforce/acme/runs/sync-1/reconcile/Account/ids/",
        keys: ["salesforce/acme/runs/sync-1/reconcile/Account/ids/part-00000.parquet"],
      },
      "SELECT 'delete' AS kind, id FROM account",
    );

    // Assess
    expect(rows).toEqual([
      { kind: "delete", id: "001000000000001AAA" },
      { kind: "missing", id: "001000000000002AAA" },
    ]);
    expect(sent.map((entry) => entry.command)).toEqual([
      "GetTable",
      "CreateTable",
      "StartQueryExecution",
      "GetQueryExecution",
      "GetQueryExecution",
    ]);
    expect(sent[1]?.input).toMatchObject({
      DatabaseName: "saddledata_acme",
      TableInput: {
        Name: "account_ids",
        StorageDescriptor: {
          Location: "s3://data-bucket/salesforce/acme/runs/sync-1/reconcile/Account/ids/",
          Columns: [
            { Name: "id", Type: "string" },
            { Name: "systemmodstamp", Type: "timestamp" },
            { Name: "_run_id", Type: "string" },
            { Name: "_origin", Type: "string" },
          ],
        },
      },
    });
    expect(sent[2]?.input).toMatchObject({
      QueryString: "SELECT 'delete' AS kind, id FROM account",
      WorkGroup: "saddledata-acme",
    });
  });

  it("fails a comparison Athena failed as transient, so the state machine retries it", async () => {
    // Prepare
    const { engine } = engineWith(
      { GetTable: () => ({ Table: {} }), UpdateTable: () => ({}) },
      {
        StartQueryExecution: () => ({ QueryExecutionId: "q10" }),
        GetQueryExecution: () => ({
          QueryExecution: { Status: { State: "FAILED", StateChangeReason: "TABLE_NOT_FOUND" } },
        }),
      },
      new MemoryObjectStore("data-bucket"),
    );

    // Act
    const comparing = engine.compareIds(
      STREAM,
      { runId: "r", mergedSeq: 1, folder: "f/", keys: [] },
      "SELECT 1",
    );

    // Assess
    await expect(comparing).rejects.toMatchObject({
      name: "TransientError",
      message: expect.stringMatching(/q10 FAILED: TABLE_NOT_FOUND/),
    });
  });

  it("creates both tables of a new stream: the change log through Glue, the Iceberg table through Athena DDL", async () => {
    // Prepare
    const { engine, sent } = engineWith(
      { GetTable: notFound, CreateTable: () => ({}) },
      {
        StartQueryExecution: () => ({ QueryExecutionId: "q1" }),
        GetQueryExecution: [
          () => ({ QueryExecution: { Status: { State: "RUNNING" } } }),
          () => ({ QueryExecution: { Status: { State: "SUCCEEDED" } } }),
        ],
      },
    );
    // Act
    await engine.ensureTables(STREAM);
    // Assess
    expect(sent.map((entry) => entry.command)).toEqual([
      "GetTable",
      "CreateTable",
      "GetTable",
      "StartQueryExecution",
      "GetQueryExecution",
      "GetQueryExecution",
    ]);
    expect(sent[1]?.input).toMatchObject({
      DatabaseName: "saddledata_acme",
      TableInput: {
        Name: "account_changes",
        StorageDescriptor: { Location: "s3://data-bucket/salesforce/acme/data/Account/" },
      },
    });
    expect(sent[3]?.input).toMatchObject({
      WorkGroup: "saddledata-acme",
      QueryExecutionContext: { Database: "saddledata_acme", Catalog: "AwsDataCatalog" },
    });
    expect(String(sent[3]?.input.QueryString)).toContain(
      "LOCATION 's3://data-bucket/salesforce/acme/lake/Account/'",
    );
  });

  it("only adds columns to existing tables, keeping the ones of removed fields", async () => {
    // Prepare: both tables know `id`, `_run_id` and a removed field `old__c`, not `name`.
    const existing = () => ({
      Table: {
        StorageDescriptor: {
          Columns: [
            { Name: "id", Type: "string" },
            { Name: "old__c", Type: "double" },
            { Name: "_run_id", Type: "string" },
          ],
        },
      },
    });
    const { engine, sent } = engineWith(
      { GetTable: existing, UpdateTable: () => ({}) },
      {
        StartQueryExecution: () => ({ QueryExecutionId: "q2" }),
        GetQueryExecution: () => ({ QueryExecution: { Status: { State: "SUCCEEDED" } } }),
      },
    );
    // Act
    await engine.ensureTables(STREAM);
    // Assess
    const update = sent.find((entry) => entry.command === "UpdateTable")?.input as {
      TableInput: { StorageDescriptor: { Columns: unknown[] } };
    };
    expect(update.TableInput.StorageDescriptor.Columns).toEqual([
      { Name: "id", Type: "string" },
      { Name: "old__c", Type: "double" },
      { Name: "_run_id", Type: "string" },
      { Name: "name", Type: "string" },
      { Name: "_origin", Type: "string" },
    ]);
    const ddl = sent.find((entry) => entry.command === "StartQueryExecution")?.input.QueryString;
    expect(ddl).toBe("ALTER TABLE `saddledata_acme`.`account` ADD COLUMNS (`name` string)");
  });

  it("changes nothing when the tables already have every column", async () => {
    // Prepare
    const complete = () => ({
      Table: { StorageDescriptor: { Columns: COLUMNS.map((c) => ({ Name: c.name })) } },
    });
    const { engine, sent } = engineWith({ GetTable: complete }, {});
    // Act
    await engine.ensureTables(STREAM);
    // Assess
    expect(sent.map((entry) => entry.command)).toEqual(["GetTable", "GetTable"]);
  });

  it("makes the history view when it is missing or the columns changed, and leaves it otherwise", async () => {
    // Prepare: complete tables, the view missing; then complete tables and the view there.
    const complete = () => ({
      Table: { StorageDescriptor: { Columns: COLUMNS.map((c) => ({ Name: c.name })) } },
    });
    const missingView = engineWith(
      { GetTable: [complete, complete, notFound] },
      {
        StartQueryExecution: () => ({ QueryExecutionId: "q-view" }),
        GetQueryExecution: () => ({ QueryExecution: { Status: { State: "SUCCEEDED" } } }),
      },
    );
    const withView = engineWith({ GetTable: complete }, {});
    // Act
    await missingView.engine.ensureTables(STREAM, "SELECT 1 AS x");
    await withView.engine.ensureTables(STREAM, "SELECT 1 AS x");
    // Assess
    expect(missingView.sent.map((entry) => entry.command)).toEqual([
      "GetTable",
      "GetTable",
      "GetTable",
      "StartQueryExecution",
      "GetQueryExecution",
    ]);
    expect(missingView.sent[2]?.input).toMatchObject({ Name: "account_history" });
    expect(missingView.sent[3]?.input.QueryString).toBe(
      'CREATE OR REPLACE VIEW "saddledata_acme"."account_history" AS\nSELECT 1 AS x',
    );
    expect(withView.sent.map((entry) => entry.command)).toEqual(["GetTable", "GetTable", "GetTable"]);
  });

  it("registers a run's partition once: a partition that exists already is fine, another error is not", async () => {
    // Prepare
    const { engine, sent } = engineWith(
      {
        BatchCreatePartition: [
          () => ({ Errors: [{ ErrorDetail: { ErrorCode: "AlreadyExistsException" } }] }),
          () => ({
            Errors: [{ ErrorDetail: { ErrorCode: "InternalServiceException", ErrorMessage: "busy" } }],
          }),
        ],
      },
      {},
    );
    const run = { runId: "sync-1", runDate: "2026-12-07" };
    // Act & Assess
    await expect(engine.addRun(STREAM, run)).resolves.toBeUndefined();
    await expect(engine.addRun(STREAM, run)).rejects.toMatchObject({ name: "TransientError" });
    expect(sent[0]?.input).toMatchObject({
      TableName: "account_changes",
      PartitionInputList: [
        {
          Values: ["2026-12-07", "sync-1"],
          StorageDescriptor: {
            Location: "s3://data-bucket/salesforce/acme/data/Account/dt=2026-12-07/run=sync-1/",
          },
        },
      ],
    });
  });

  it("starts a merge in the workgroup and reports Athena's states", async () => {
    // Prepare
    const { engine, sent } = engineWith(
      {},
      {
        StartQueryExecution: () => ({ QueryExecutionId: "m1" }),
        GetQueryExecution: [
          () => ({ QueryExecution: { Status: { State: "QUEUED" } } }),
          () => ({ QueryExecution: { Status: { State: "SUCCEEDED" } } }),
          () => ({ QueryExecution: { Status: { State: "FAILED", StateChangeReason: "COLUMN_NOT_FOUND" } } }),
        ],
      },
    );
    // Act
    const id = await engine.startMerge(STREAM, "MERGE INTO account ...");
    // Assess
    expect(id).toBe("m1");
    expect(sent[0]?.input).toMatchObject({
      QueryString: "MERGE INTO account ...",
      WorkGroup: "saddledata-acme",
    });
    expect(await engine.status(id)).toEqual({ state: "running" });
    expect(await engine.status(id)).toEqual({ state: "succeeded" });
    expect(await engine.status(id)).toEqual({
      state: "failed",
      error: "Athena query m1 FAILED: COLUMN_NOT_FOUND",
    });
  });

  it("maintains a table with its OPTIMIZE and VACUUM, started in the workgroup on the connection's database", async () => {
    // Prepare
    const { engine, sent } = engineWith({}, { StartQueryExecution: () => ({ QueryExecutionId: "v1" }) });

    // Act
    const statements = engine.maintenance(STREAM);
    const id = await engine.startMaintenance(STREAM, statements[1] ?? "");

    // Assess
    expect(statements).toEqual([
      'OPTIMIZE "saddledata_acme"."account" REWRITE DATA USING BIN_PACK',
      "VACUUM saddledata_acme.`account`",
    ]);
    expect(id).toBe("v1");
    expect(sent[0]?.input).toMatchObject({
      QueryString: "VACUUM saddledata_acme.`account`",
      WorkGroup: "saddledata-acme",
      QueryExecutionContext: { Database: "saddledata_acme" },
    });
  });

  it("turns access denied into a configuration error that says what to deploy, and throttling into a transient one", async () => {
    // Prepare
    const denied = () => {
      throw Object.assign(new Error("no"), {
        name: "AccessDeniedException",
        $metadata: { httpStatusCode: 400 },
      });
    };
    const throttled = () => {
      throw Object.assign(new Error("slow down"), {
        name: "ThrottlingException",
        $metadata: { httpStatusCode: 400 },
      });
    };
    const { engine } = engineWith({}, { StartQueryExecution: [denied, throttled] });
    // Act & Assess
    await expect(engine.startMerge(STREAM, "MERGE")).rejects.toMatchObject({
      name: "ConfigurationError",
      message: expect.stringContaining("database saddledata_acme and workgroup saddledata-acme"),
    });
    await expect(engine.startMerge(STREAM, "MERGE")).rejects.toMatchObject({ name: "TransientError" });
  });
});

describe("AthenaLakeEngine.currentValues", () => {
  it("runs a load's lookup and reads Athena's CSV: quoted values, quotes and line breaks inside, nulls empty", async () => {
    // Prepare
    const store = new MemoryObjectStore("data-bucket");
    await store.put(
      "salesforce/acme/athena-results/q7.csv",
      '"Id","ERP_Id__c","Name","AnnualRevenue"\n"001000000000001AAA","E-1","Acme, ""the"" one\nsecond line","1250.50"\n"001000000000002AAA","E-2",,\n',
    );
    const { engine, sent } = engineWith(
      {},
      {
        StartQueryExecution: () => ({ QueryExecutionId: "q7" }),
        GetQueryExecution: () => ({
          QueryExecution: {
            Status: { State: "SUCCEEDED" },
            ResultConfiguration: { OutputLocation: "s3://data-bucket/salesforce/acme/athena-results/q7.csv" },
          },
        }),
      },
      store,
    );

    // Act
    const rows = await engine.currentValues(STREAM, 4, "SELECT 1");

    // Assess
    expect(rows).toEqual([
      {
        Id: "001000000000001AAA",
        ERP_Id__c: "E-1",
        Name: 'Acme, "the" one\nsecond line',
        AnnualRevenue: "1250.50",
      },
      { Id: "001000000000002AAA", ERP_Id__c: "E-2", Name: null, AnnualRevenue: null },
    ]);
    expect(sent.map((entry) => entry.command)).toEqual(["StartQueryExecution", "GetQueryExecution"]);
    expect(sent[0]?.input).toMatchObject({ QueryString: "SELECT 1", WorkGroup: "saddledata-acme" });
  });
});
