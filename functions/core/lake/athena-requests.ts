/**
 * Every request only AWS can run for the lake, in one place: the Glue table of a stream's change log
 * and its partitions, and the Athena DDL of its current-state Iceberg table. Pure builders (golden
 * tests pin them, since Athena and Glue cannot run here); functions/aws/athena-lake-engine.ts sends
 * them. The MERGE itself is not here: both engines run the same text, built beside this file.
 *
 * Names follow Glue's rules (lower case; the database is named in functions/contract.ts): Salesforce
 * names (letters, digits, `_`) lower-cased are valid table and column names as they are.
 */

/** A lake column: its lower-case name and its Athena (Hive DDL) type, e.g. `decimal(18,2)`. */
export interface LakeColumnType {
  name: string;
  athenaType: string;
}

/** The change log's partition columns, in key order: `data/<Object>/dt=<date>/run=<runId>/`. */
export const CHANGE_LOG_PARTITION_KEYS = ["dt", "run"] as const;

const PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
const PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
const PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";

/** The current-state table of an object: `Invoice__c` → `invoice__c`. */
export function currentTableName(object: string): string {
  return object.toLowerCase();
}

/** The history view of an object (see core/lake/history-sql.ts): `Invoice__c` → `invoice__c_history`. */
export function historyTableName(object: string): string {
  return `${object.toLowerCase()}_history`;
}

/** The change-log table of an object: `Invoice__c` → `invoice__c_changes`. */
export function changeLogTableName(object: string): string {
  return `${object.toLowerCase()}_changes`;
}

/**
 * The Id snapshot table of an object (Id reconciliation): `Invoice__c` → `invoice__c_ids` (no
 * Salesforce object name ends in `_ids`, so it never meets another stream's table).
 */
export function idsTableName(object: string): string {
  return `${object.toLowerCase()}_ids`;
}

function storageDescriptor(columns: LakeColumnType[], location: string) {
  return {
    Columns: columns.map((column) => ({ Name: column.name, Type: column.athenaType })),
    Location: location,
    InputFormat: PARQUET_INPUT,
    OutputFormat: PARQUET_OUTPUT,
    SerdeInfo: { SerializationLibrary: PARQUET_SERDE, Parameters: { "serialization.format": "1" } },
  };
}

/**
 * Glue `TableInput` of a stream's change log: an external Parquet table over `data/<Object>/`,
 * partitioned by date and run. Partitions are registered one by one when a run commits (not declared
 * by projection): only committed runs become visible, never the parts of a run that failed.
 */
export function changeLogTableInput(input: { object: string; location: string; columns: LakeColumnType[] }) {
  return {
    Name: changeLogTableName(input.object),
    Description: `SaddleData change log of Salesforce ${input.object}: every landed row, by run.`,
    TableType: "EXTERNAL_TABLE",
    Parameters: { classification: "parquet", EXTERNAL: "TRUE", "saddledata.object": input.object },
    PartitionKeys: CHANGE_LOG_PARTITION_KEYS.map((name) => ({ Name: name, Type: "string" })),
    StorageDescriptor: storageDescriptor(input.columns, input.location),
  };
}

/** Glue `PartitionInput` of one committed run: `<location>dt=<runDate>/run=<runId>/`. */
export function runPartitionInput(input: {
  location: string;
  columns: LakeColumnType[];
  runDate: string;
  runId: string;
}) {
  return {
    Values: [input.runDate, input.runId],
    StorageDescriptor: storageDescriptor(
      input.columns,
      `${input.location}dt=${input.runDate}/run=${input.runId}/`,
    ),
  };
}

/**
 * Glue `TableInput` of a stream's Id snapshot table (`<object>_ids`, Id reconciliation): an external
 * Parquet table over one run's snapshot folder, `runs/<runId>/reconcile/<Object>/ids/`, outside the
 * change log. Not partitioned: each reconciliation points the table at its own folder (UpdateTable)
 * before its comparison runs; the stream's lease keeps two reconciliations of it apart.
 */
export function idsTableInput(input: { object: string; location: string; columns: LakeColumnType[] }) {
  return {
    Name: idsTableName(input.object),
    Description: `SaddleData Id snapshot of Salesforce ${input.object}: the org's live Ids at the last reconciliation.`,
    TableType: "EXTERNAL_TABLE",
    Parameters: { classification: "parquet", EXTERNAL: "TRUE", "saddledata.object": input.object },
    StorageDescriptor: storageDescriptor(input.columns, input.location),
  };
}

const ddlName = (name: string) => `\`${name}\``;

/**
 * Athena DDL of a stream's current-state table: an Iceberg table (Parquet, ZSTD) at `location`, a
 * folder of its own, never a bucket root (VACUUM fails there).
 */
export function createCurrentTableSql(input: {
  database: string;
  object: string;
  location: string;
  columns: LakeColumnType[];
}): string {
  const columns = input.columns.map((column) => `  ${ddlName(column.name)} ${column.athenaType}`).join(",\n");
  return [
    `CREATE TABLE IF NOT EXISTS ${ddlName(input.database)}.${ddlName(currentTableName(input.object))} (`,
    columns,
    ")",
    `LOCATION '${input.location}'`,
    "TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet', 'write_compression' = 'zstd')",
  ].join("\n");
}

/**
 * Athena DDL of a stream's history view (`<object>_history`, see core/lake/history-sql.ts: the same
 * SELECT DuckDB runs), made again whenever the stream's columns change.
 */
export function createHistoryViewSql(input: { database: string; object: string; select: string }): string {
  return `CREATE OR REPLACE VIEW "${input.database}"."${historyTableName(input.object)}" AS\n${input.select}`;
}

/** Athena DDL adding the columns of fields added since the table was created. */
export function addColumnsSql(input: { database: string; table: string; columns: LakeColumnType[] }): string {
  const columns = input.columns.map((column) => `${ddlName(column.name)} ${column.athenaType}`).join(", ");
  return `ALTER TABLE ${ddlName(input.database)}.${ddlName(input.table)} ADD COLUMNS (${columns})`;
}

/**
 * Athena's maintenance of a current-state Iceberg table, run after a merge when it is due (see
 * core/lake/merge.ts): OPTIMIZE rewrites the small files and delete files each MERGE leaves into fewer,
 * larger ones; VACUUM then expires snapshots older than the table's `vacuum_max_snapshot_age_seconds`
 * (5 days by default) and removes the files nothing references any more (it needs s3:DeleteObject on
 * the table's folder, or it succeeds and deletes nothing). OPTIMIZE is parsed like the MERGE, so its
 * identifier is double-quoted; VACUUM takes only backticks (its documented quirk).
 */
export function maintenanceSql(input: { database: string; object: string }): string[] {
  const table = currentTableName(input.object);
  return [
    `OPTIMIZE "${input.database}"."${table}" REWRITE DATA USING BIN_PACK`,
    `VACUUM ${input.database}.${ddlName(table)}`,
  ];
}
