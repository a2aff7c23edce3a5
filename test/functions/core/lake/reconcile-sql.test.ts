/**
 * Id reconciliation's comparison: one SQL text for both engines. Its exact text is pinned (Athena runs
 * it, and cannot run here), and DuckDB runs the very same text over a small table and snapshot.
 */
import { describe, expect, it } from "vitest";
import { idsTableInput, idsTableName } from "../../../../functions/core/lake/athena-requests";
import { buildReconcileSql, timestampLiteral } from "../../../../functions/core/lake/reconcile-sql";
import { openDuckDb } from "../../../../local/lake/duckdb-engine";
import { smallStream } from "../../../support/lake-streams";

const TIMES = { snapshotAt: "2026-06-08T12:00:00.000Z", windowStart: "2026-06-08T11:00:00.000Z" };

describe("the Id comparison SQL", () => {
  it("is the anti-joins both ways, dated by the snapshot and the run's window", () => {
    // Act
    const sql = buildReconcileSql(smallStream(), TIMES);

    // Assess
    expect(sql).toBe(
      [
        `SELECT 'delete' AS "kind", t."id" AS "id"`,
        `FROM "thing__c" AS t`,
        `WHERE NOT EXISTS (SELECT 1 FROM "thing__c_ids" AS s WHERE s."id" = t."id")`,
        `  AND (t."systemmodstamp" IS NULL OR t."systemmodstamp" <= TIMESTAMP '2026-06-08 12:00:00.000')`,
        "UNION ALL",
        `SELECT 'missing' AS "kind", s."id" AS "id"`,
        `FROM "thing__c_ids" AS s`,
        `WHERE NOT EXISTS (SELECT 1 FROM "thing__c" AS t WHERE t."id" = s."id")`,
        `  AND (s."systemmodstamp" IS NULL OR s."systemmodstamp" < TIMESTAMP '2026-06-08 11:00:00.000')`,
      ].join("\n"),
    );
    expect(idsTableName("Invoice__c")).toBe("invoice__c_ids");
    expect(() => timestampLiteral("yesterday")).toThrow(/not a datetime/);
  });

  it("finds, run by DuckDB, what the table holds but the org lost and what the org has but the table lacks", async () => {
    // Prepare: A and B live in both; C deleted in the org; D modified after the snapshot (kept); E in
    // the org but lost by the table; F created in the run's window (its query has it).
    const db = await openDuckDb();
    try {
      await db.connection.run(`CREATE TABLE thing__c (id string, systemmodstamp timestamp, name string)`);
      await db.connection.run(`INSERT INTO thing__c VALUES
        ('A', TIMESTAMP '2026-06-01 00:00:00', 'a'), ('B', TIMESTAMP '2026-06-02 00:00:00', 'b'),
        ('C', TIMESTAMP '2026-06-03 00:00:00', 'c'), ('D', TIMESTAMP '2026-06-08 12:30:00', 'd')`);
      await db.connection.run(`CREATE TABLE thing__c_ids (id string, systemmodstamp timestamp)`);
      await db.connection.run(`INSERT INTO thing__c_ids VALUES
        ('A', TIMESTAMP '2026-06-01 00:00:00'), ('B', TIMESTAMP '2026-06-02 00:00:00'),
        ('E', TIMESTAMP '2026-05-01 00:00:00'), ('F', TIMESTAMP '2026-06-08 11:30:00')`);

      // Act
      const rows = (
        await db.connection.runAndReadAll(buildReconcileSql(smallStream(), TIMES))
      ).getRowObjectsJS();

      // Assess
      expect(rows.map((row) => `${row.kind} ${row.id}`).sort()).toEqual(["delete C", "missing E"]);
    } finally {
      db.close();
    }
  });

  it("points the Athena Id snapshot table at one run's snapshot folder (Glue input)", () => {
    // Act
    const input = idsTableInput({
      object: "Account",
      location: "s3://b/salesforce/acme/runs/sync-1/reconcile/Account/ids/",
      columns: [
        { name: "id", athenaType: "string" },
        { name: "systemmodstamp", athenaType: "timestamp" },
      ],
    });

    // Assess
    expect(input).toEqual({
      Name: "account_ids",
      Description:
        "SaddleData Id snapshot of Salesforce Account: the org's live Ids at the last reconciliation.",
      TableType: "EXTERNAL_TABLE",
      Parameters: { classification: "parquet", EXTERNAL: "TRUE", "saddledata.object": "Account" },
      StorageDescriptor: {
        Columns: [
          { Name: "id", Type: "string" },
          { Name: "systemmodstamp", Type: "timestamp" },
        ],
        Location: "s3://b/salesforce/acme/runs/sync-1/reconcile/Account/ids/",
        InputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        OutputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        SerdeInfo: {
          SerializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
          Parameters: { "serialization.format": "1" },
        },
      },
    });
  });
});
