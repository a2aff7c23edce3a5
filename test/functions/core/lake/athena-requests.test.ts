/**
 * Golden tests of the requests only AWS can run (Athena and Glue cannot run here): the exact DDL text and
 * Glue inputs the AWS lake engine sends.
 */
import { describe, expect, it } from "vitest";
import { athenaWorkgroupName, glueDatabaseName } from "../../../../functions/contract";
import {
  addColumnsSql,
  changeLogTableInput,
  changeLogTableName,
  createCurrentTableSql,
  currentTableName,
  maintenanceSql,
  runPartitionInput,
} from "../../../../functions/core/lake/athena-requests";

const COLUMNS = [
  { name: "id", athenaType: "string" },
  { name: "annualrevenue", athenaType: "decimal(18,2)" },
  { name: "systemmodstamp", athenaType: "timestamp" },
  { name: "isdeleted", athenaType: "boolean" },
  { name: "_run_id", athenaType: "string" },
];
const PARQUET = {
  InputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
  OutputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
  SerdeInfo: {
    SerializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    Parameters: { "serialization.format": "1" },
  },
};

describe("Athena and Glue requests of the lake", () => {
  it("names databases and tables the way Glue accepts them: lower case, letters, digits, _", () => {
    // Act & Assess
    expect(glueDatabaseName("Acme-Prod")).toBe("saddledata_acme_prod");
    expect(athenaWorkgroupName("Acme-Prod")).toBe("saddledata-Acme-Prod");
    expect(currentTableName("Invoice__c")).toBe("invoice__c");
    expect(changeLogTableName("Account")).toBe("account_changes");
  });

  it("creates the change log as a Parquet table partitioned by date and run", () => {
    // Act
    const input = changeLogTableInput({
      object: "Account",
      location: "s3://b/salesforce/acme/data/Account/",
      columns: COLUMNS,
    });
    // Assess
    expect(input).toEqual({
      Name: "account_changes",
      Description: "SaddleData change log of Salesforce Account: every landed row, by run.",
      TableType: "EXTERNAL_TABLE",
      Parameters: { classification: "parquet", EXTERNAL: "TRUE", "saddledata.object": "Account" },
      PartitionKeys: [
        { Name: "dt", Type: "string" },
        { Name: "run", Type: "string" },
      ],
      StorageDescriptor: {
        Columns: [
          { Name: "id", Type: "string" },
          { Name: "annualrevenue", Type: "decimal(18,2)" },
          { Name: "systemmodstamp", Type: "timestamp" },
          { Name: "isdeleted", Type: "boolean" },
          { Name: "_run_id", Type: "string" },
        ],
        Location: "s3://b/salesforce/acme/data/Account/",
        ...PARQUET,
      },
    });
  });

  it("registers a committed run as the partition of its folder", () => {
    // Act
    const input = runPartitionInput({
      location: "s3://b/p/data/Account/",
      columns: COLUMNS.slice(0, 1),
      runDate: "2026-12-07",
      runId: "sync-1",
    });
    // Assess
    expect(input).toEqual({
      Values: ["2026-12-07", "sync-1"],
      StorageDescriptor: {
        Columns: [{ Name: "id", Type: "string" }],
        Location: "s3://b/p/data/Account/dt=2026-12-07/run=sync-1/",
        ...PARQUET,
      },
    });
  });

  it("creates the current state as an Iceberg table in a folder of its own", () => {
    // Act
    const sql = createCurrentTableSql({
      database: "saddledata_acme",
      object: "Account",
      location: "s3://b/salesforce/acme/lake/Account/",
      columns: COLUMNS,
    });
    // Assess
    expect(sql).toBe(
      [
        "CREATE TABLE IF NOT EXISTS `saddledata_acme`.`account` (",
        "  `id` string,",
        "  `annualrevenue` decimal(18,2),",
        "  `systemmodstamp` timestamp,",
        "  `isdeleted` boolean,",
        "  `_run_id` string",
        ")",
        "LOCATION 's3://b/salesforce/acme/lake/Account/'",
        "TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd')",
      ].join("\n"),
    );
  });

  it("adds the columns of new fields to the current state", () => {
    // Act
    const sql = addColumnsSql({
      database: "saddledata_acme",
      table: "invoice__c",
      columns: [
        { name: "region__c", athenaType: "string" },
        { name: "score__c", athenaType: "decimal(5,2)" },
      ],
    });
    // Assess
    expect(sql).toBe(
      "ALTER TABLE `saddledata_acme`.`invoice__c` ADD COLUMNS (`region__c` string, `score__c` decimal(5,2))",
    );
  });

  it("maintains a current state by compacting its files, then expiring old snapshots and orphans", () => {
    // Act
    const statements = maintenanceSql({ database: "saddledata_acme", object: "Order" });

    // Assess: `order` is a reserved word, so the table is always quoted, each statement its own way.
    expect(statements).toEqual([
      'OPTIMIZE "saddledata_acme"."order" REWRITE DATA USING BIN_PACK',
      "VACUUM saddledata_acme.`order`",
    ]);
  });
});
