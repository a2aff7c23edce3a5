// functions/: everything that runs in a Lambda
/**
 * What the CDK stack and the functions agree on: the environment variables the stack sets, the state
 * table's key names and the load execution's timeout. A leaf: it imports nothing, so `lib/` can read
 * these names without pulling a handler or an adapter into the CDK app.
 */

/** The environment every connector function reads (set by the stack's grants). */
export const ENV = {
  connection: "SADDLEDATA_CONNECTION",
  bucket: "SADDLEDATA_BUCKET",
  prefix: "SADDLEDATA_PREFIX",
  table: "SADDLEDATA_TABLE",
  secretId: "SADDLEDATA_SECRET_ID",
  apiVersion: "SADDLEDATA_API_VERSION",
  settings: "SADDLEDATA_SETTINGS",
  glueDatabase: "SADDLEDATA_GLUE_DATABASE",
  athenaWorkgroup: "SADDLEDATA_ATHENA_WORKGROUP",
} as const;

/** The load trigger's environment: the state machine it starts, and the connector's prefix. */
export const LOAD_TRIGGER_ENV = {
  stateMachineArn: "SADDLEDATA_LOAD_STATE_MACHINE_ARN",
  prefix: ENV.prefix,
} as const;

export const STATE_TABLE_PARTITION_KEY = "pk";
/**
 * The table's TTL attribute (epoch seconds). Nothing the state store writes sets it: stream items hold
 * cursors and file claims keep a file from being loaded twice, so both must persist. It is there so
 * that short-lived items added later (run scratch, say) can expire without a sweeper.
 */
export const STATE_TABLE_TTL_ATTRIBUTE = "expiresAt";

/**
 * The state table's one global secondary index, which lists items without a scan (`saddledata status`,
 * the local lake). Its keys are written with every stream item and file claim:
 * - a stream: `listPk = "stream#<connection>"`, `listSk = <Object>`;
 * - a file claim: `listPk = "load#loading"` while it loads, then `"load#finished"`,
 *   `listSk = "<claimedAt>#<bucket>/<key>#<version>"` (newest last).
 * Items written before the index existed get their keys once, from the table's marker item (`pk`
 * below): see functions/aws/dynamo-state-store.ts.
 */
export const STATE_TABLE_LIST_INDEX = {
  name: "list",
  partitionKey: "listPk",
  sortKey: "listSk",
  /** The item that says every item of the table carries the index's keys (its `version`). */
  markerPk: "#list-index",
  version: 1,
} as const;

/**
 * The connection's Glue database (Glue names are lower case: letters, digits, `_`): a connection
 * `Acme-Prod` is `saddledata_acme_prod`.
 */
export function glueDatabaseName(connection: string): string {
  return `saddledata_${connection.toLowerCase().replace(/[^a-z0-9]/g, "_")}`;
}

/** The connection's Athena workgroup: its query results, engine version and encryption. */
export function athenaWorkgroupName(connection: string): string {
  return `saddledata-${connection}`;
}

/** The load state machine's execution timeout: no run can still be loading after it. */
export const LOAD_EXECUTION_TIMEOUT_HOURS = 24;

/**
 * The connector's CloudWatch metrics (embedded metric format, written by the functions' logs): the
 * namespace, the `service` dimension Powertools adds, and each metric's name. Per-object figures carry
 * the dimensions `connection` and `object`, and again `connection` alone (the connection's total, or its
 * worst lag); the org's limits carry `connection` only. The stack's dashboard and alarms read these.
 */
export const METRICS = {
  namespace: "SaddleData",
  service: "saddledata",
  /** Extract, per object per committed run. */
  records: "Records",
  bytes: "Bytes",
  apiCalls: "ApiCalls",
  duration: "DurationSeconds",
  deletes: "Deletes",
  /** The org's now minus the object's committed cursor, in seconds: at each commit and each failed run. */
  lag: "LagSeconds",
  /** An object's extract that failed (1 per failure). */
  extractFailures: "ExtractFailures",
  /** Load, per object per finished file: rows by outcome, API calls and duration. */
  loadSucceeded: "LoadRowsSucceeded",
  loadFailed: "LoadRowsFailed",
  loadUnprocessed: "LoadRowsUnprocessed",
  loadRejected: "LoadRowsRejected",
  /** Rows not sent because their records already held every value (skipUnchanged). */
  loadUnchanged: "LoadRowsUnchanged",
  loadApiCalls: "LoadApiCalls",
  loadDuration: "LoadDurationSeconds",
  /** The org's daily allowances, as read before heavy work (gauges). */
  apiRequestsRemaining: "DailyApiRequestsRemaining",
  apiRequestsMax: "DailyApiRequestsMax",
  bulkQueryJobsRemaining: "DailyBulkQueryJobsRemaining",
  bulkBatchesRemaining: "DailyBulkBatchesRemaining",
} as const;
