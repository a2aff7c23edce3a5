/**
 * The lake in AWS: change logs as Glue tables (partitions registered per committed run) and current
 * states as Iceberg tables merged by Athena. The requests are built in core/lake/athena-requests.ts;
 * this adapter only sends them and sorts the answers into the connector's errors.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  type QueryExecutionState,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import {
  BatchCreatePartitionCommand,
  CreateTableCommand,
  GetTableCommand,
  GlueClient,
  type Table,
  UpdateTableCommand,
} from "@aws-sdk/client-glue";
import type { CatalogStream } from "../core/catalog";
import {
  addColumnsSql,
  changeLogTableInput,
  changeLogTableName,
  createCurrentTableSql,
  createHistoryViewSql,
  currentTableName,
  historyTableName,
  idsTableInput,
  idsTableName,
  type LakeColumnType,
  maintenanceSql,
  runPartitionInput,
} from "../core/lake/athena-requests";
import type { LakeEngine, LakeQueryState, ReconcileKind } from "../core/lake/lake-engine";
import { changeLogColumns, lakeColumns } from "../core/lake/lake-names";
import type { Layout } from "../core/layout";
import type { Log, ObjectStore } from "../core/ports";
import { ConfigurationError, TransientError } from "../errors";
import { errorName, isAccessDenied, transientOr } from "./aws-errors";

export interface AthenaLakeEngineOptions {
  athena: AthenaClient;
  glue: GlueClient;
  /** The connection's Glue database and Athena workgroup (both created by the stack). */
  database: string;
  workgroup: string;
  bucket: string;
  layout: Layout;
  log: Log;
  /** How long a DDL statement may take before the step gives up and is retried (ms). */
  ddlTimeoutMs?: number;
  /** How long an Id comparison may take before the step gives up and is retried (ms). */
  compareTimeoutMs?: number;
  /** The bucket, to read the result of an Id comparison. */
  store?: ObjectStore;
  sleep?: (ms: number) => Promise<void>;
}

/** The engine a Lambda uses: clients from the function's role and region. */
export function createAthenaLakeEngine(
  options: Omit<AthenaLakeEngineOptions, "athena" | "glue">,
): AthenaLakeEngine {
  return new AthenaLakeEngine({
    ...options,
    athena: new AthenaClient({}),
    glue: new GlueClient({}),
  });
}

const RUNNING: ReadonlySet<QueryExecutionState | string> = new Set(["QUEUED", "RUNNING"]);
const DDL_TIMEOUT_MS = 60_000;
const COMPARE_TIMEOUT_MS = 10 * 60_000;

export class AthenaLakeEngine implements LakeEngine {
  /** The deployed Iceberg tables' watermark: the state attributes every deployed stack has used. */
  readonly watermark = "athena";

  constructor(private readonly options: AthenaLakeEngineOptions) {}

  private s3(key: string): string {
    return `s3://${this.options.bucket}/${key}`;
  }

  async ensureTables(stream: CatalogStream, history?: string): Promise<void> {
    const { database, layout } = this.options;
    const columns = changeLogColumns(stream);
    const currentColumns = lakeColumns(stream).map(({ name, athenaType }) => ({ name, athenaType }));
    const location = this.s3(this.options.layout.dataFolder(stream.object));
    const changes = await this.table(changeLogTableName(stream.object));
    const tableInput = changeLogTableInput({ object: stream.object, location, columns });
    // The history view's text follows the stream's columns: made again whenever they change.
    let columnsChanged = !changes;
    if (!changes) {
      await this.attempt("create the change-log table", () =>
        this.options.glue.send(new CreateTableCommand({ DatabaseName: database, TableInput: tableInput })),
      );
    } else {
      const added = missingColumns(changes, columns);
      if (added.length > 0) {
        columnsChanged = true;
        // Columns are only ever added: a removed field keeps its column, so older runs still read.
        const existing = (changes.StorageDescriptor?.Columns ?? []).map((column) => ({
          name: column.Name ?? "",
          athenaType: column.Type ?? "string",
        }));
        const merged = changeLogTableInput({
          object: stream.object,
          location,
          columns: [...existing, ...added],
        });
        await this.attempt("add columns to the change-log table", () =>
          this.options.glue.send(new UpdateTableCommand({ DatabaseName: database, TableInput: merged })),
        );
      }
    }
    const current = await this.table(currentTableName(stream.object));
    if (!current) {
      await this.ddl(
        createCurrentTableSql({
          database,
          object: stream.object,
          location: this.s3(layout.lakeTable(stream.object)),
          columns: currentColumns,
        }),
      );
    } else {
      const added = missingColumns(current, currentColumns);
      if (added.length > 0) {
        await this.ddl(addColumnsSql({ database, table: currentTableName(stream.object), columns: added }));
      }
    }
    if (history !== undefined && (columnsChanged || !(await this.table(historyTableName(stream.object))))) {
      await this.ddl(createHistoryViewSql({ database, object: stream.object, select: history }));
    }
  }

  async addRun(stream: CatalogStream, run: { runId: string; runDate: string }): Promise<void> {
    const location = this.s3(this.options.layout.dataFolder(stream.object));
    const output = await this.attempt("register the run's partition", () =>
      this.options.glue.send(
        new BatchCreatePartitionCommand({
          DatabaseName: this.options.database,
          TableName: changeLogTableName(stream.object),
          PartitionInputList: [runPartitionInput({ location, columns: changeLogColumns(stream), ...run })],
        }),
      ),
    );
    // A partition registered by an earlier attempt is what this call wants: anything else is a failure.
    const failed = (output.Errors ?? []).filter(
      (entry) => entry.ErrorDetail?.ErrorCode !== "AlreadyExistsException",
    );
    if (failed.length > 0) {
      const detail = failed[0]?.ErrorDetail;
      throw new TransientError(
        `Glue could not register run ${run.runId} of ${stream.object} (${detail?.ErrorCode}: ${detail?.ErrorMessage}).`,
        { object: stream.object, code: detail?.ErrorCode },
      );
    }
  }

  /**
   * Point the stream's `<object>_ids` Glue table at the run's snapshot folder, run the comparison in
   * the workgroup and read its answer, the result CSV Athena writes under `athena-results/` (the
   * function reads its own results; no GetQueryResults paging of 1,000 rows a call). The statement is
   * waited for in place, bounded like DDL but longer: past the bound it is a transient failure the
   * state machine retries.
   */
  async compareIds(
    stream: CatalogStream,
    snapshot: { runId: string; mergedSeq: number; folder: string; keys: string[] },
    sql: string,
  ): Promise<Array<{ kind: ReconcileKind; id: string }>> {
    const { database, store } = this.options;
    if (store === undefined) {
      throw new ConfigurationError(
        "The Athena lake engine needs the bucket's object store to read a comparison.",
      );
    }
    const fields = stream.cursorField ? ["Id", stream.cursorField] : ["Id"];
    const columns = changeLogColumns({ ...stream, selectFields: fields, lakeTypes: undefined });
    const tableInput = idsTableInput({ object: stream.object, location: this.s3(snapshot.folder), columns });
    const existing = await this.table(idsTableName(stream.object));
    await this.attempt("point the Id snapshot table at the run's snapshot", () =>
      this.options.glue.send(
        existing
          ? new UpdateTableCommand({ DatabaseName: database, TableInput: tableInput })
          : new CreateTableCommand({ DatabaseName: database, TableInput: tableInput }),
      ),
    );
    const id = await this.start(sql);
    const location = await this.waitFor(id, this.options.compareTimeoutMs ?? COMPARE_TIMEOUT_MS);
    const prefix = `s3://${this.options.bucket}/`;
    if (!location?.startsWith(prefix)) {
      throw new ConfigurationError(
        `Athena wrote the comparison ${id} to ${location ?? "nowhere"}, not under ${prefix}: check the workgroup's result location.`,
      );
    }
    const bytes = await store.get(location.slice(prefix.length));
    if (bytes === undefined) throw new TransientError(`Athena's result of ${id} is not in ${location} yet.`);
    const rows: Array<{ kind: ReconcileKind; id: string }> = [];
    const lines = new TextDecoder().decode(bytes).split("\n");
    for (const line of lines.slice(1)) {
      const [kind, value] = line
        .replace(/\r$/, "")
        .split(",")
        .map((cell) => cell.replace(/^"|"$/g, ""));
      if (value && (kind === "delete" || kind === "missing")) rows.push({ kind, id: value });
    }
    return rows;
  }

  /**
   * A load's comparison: the statement over the Iceberg table (which holds what the watermark says,
   * the caller checked), waited for in place, its CSV result read from the bucket. Athena writes every
   * value as text (null as an empty cell); same-value.ts compares text by the field's type.
   */
  async currentValues(
    _stream: CatalogStream,
    _mergedSeq: number,
    sql: string,
  ): Promise<Array<Record<string, unknown>>> {
    const { store } = this.options;
    if (store === undefined) {
      throw new ConfigurationError(
        "The Athena lake engine needs the bucket's object store to read a lookup.",
      );
    }
    const id = await this.start(sql);
    const location = await this.waitFor(id, this.options.compareTimeoutMs ?? COMPARE_TIMEOUT_MS);
    const prefix = `s3://${this.options.bucket}/`;
    if (!location?.startsWith(prefix)) {
      throw new ConfigurationError(
        `Athena wrote the lookup ${id} to ${location ?? "nowhere"}, not under ${prefix}: check the workgroup's result location.`,
      );
    }
    // A lookup answers at most a batch of keys (a few thousand rows): read whole.
    const bytes = await store.get(location.slice(prefix.length));
    if (bytes === undefined) throw new TransientError(`Athena's result of ${id} is not in ${location} yet.`);
    const [header = [], ...lines] = athenaCsv(new TextDecoder().decode(bytes));
    return lines.map((cells) =>
      Object.fromEntries(header.map((name, index) => [name, cells[index] ?? null])),
    );
  }

  /** Wait for a statement in place, bounded; its result file's location once it succeeded. */
  private async waitFor(id: string, timeoutMs: number): Promise<string | undefined> {
    const sleep = this.options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
    const deadline = Date.now() + timeoutMs;
    for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
      const output = await this.attempt("read the query's state", () =>
        this.options.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id })),
      );
      const status = output.QueryExecution?.Status;
      const state = status?.State ?? "QUEUED";
      if (state === "SUCCEEDED") return output.QueryExecution?.ResultConfiguration?.OutputLocation;
      if (!RUNNING.has(state)) {
        throw new TransientError(
          `Athena query ${id} ${state}: ${status?.StateChangeReason ?? "no reason given"}`,
        );
      }
      if (Date.now() > deadline) {
        throw new TransientError(`Athena query ${id} still running after ${timeoutMs / 1000} s.`);
      }
      await sleep(wait);
    }
  }

  maintenance(stream: CatalogStream): string[] {
    return maintenanceSql({ database: this.options.database, object: stream.object });
  }

  async startMaintenance(stream: CatalogStream, sql: string): Promise<string> {
    const id = await this.start(sql);
    this.options.log.info("lake: maintenance started", { object: stream.object, queryId: id });
    return id;
  }

  async startMerge(stream: CatalogStream, sql: string): Promise<string> {
    const id = await this.start(sql);
    this.options.log.info("lake: merge started", { object: stream.object, queryId: id });
    return id;
  }

  async status(queryId: string): Promise<LakeQueryState> {
    const output = await this.attempt("read the query's state", () =>
      this.options.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId })),
    );
    const status = output.QueryExecution?.Status;
    const state = status?.State ?? "QUEUED";
    if (RUNNING.has(state)) return { state: "running" };
    if (state === "SUCCEEDED") return { state: "succeeded" };
    return {
      state: "failed",
      error: `Athena query ${queryId} ${state}: ${status?.StateChangeReason ?? "no reason given"}`,
    };
  }

  private async start(sql: string): Promise<string> {
    const output = await this.attempt("start an Athena query", () =>
      this.options.athena.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          WorkGroup: this.options.workgroup,
          QueryExecutionContext: { Database: this.options.database, Catalog: "AwsDataCatalog" },
        }),
      ),
    );
    if (!output.QueryExecutionId) throw new TransientError("Athena started a query but returned no id.");
    return output.QueryExecutionId;
  }

  /**
   * DDL finishes in seconds, so this step waits for it in place (bounded) rather than spending states
   * on it; past the bound it is a transient failure the state machine retries.
   */
  private async ddl(sql: string): Promise<void> {
    const sleep = this.options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
    const id = await this.start(sql);
    const deadline = Date.now() + (this.options.ddlTimeoutMs ?? DDL_TIMEOUT_MS);
    for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
      const state = await this.status(id);
      if (state.state === "succeeded") return;
      if (state.state === "failed")
        throw new ConfigurationError(`Lake DDL failed: ${state.error}`, { code: "LakeDdlFailed" });
      if (Date.now() > deadline) {
        throw new TransientError(
          `Athena DDL ${id} still running after ${(this.options.ddlTimeoutMs ?? DDL_TIMEOUT_MS) / 1000} s.`,
        );
      }
      await sleep(wait);
    }
  }

  private async table(name: string): Promise<Table | undefined> {
    try {
      const output = await this.options.glue.send(
        new GetTableCommand({ DatabaseName: this.options.database, Name: name }),
      );
      return output.Table;
    } catch (error) {
      if (errorName(error) === "EntityNotFoundException") return undefined;
      throw this.sorted(error, `read Glue table ${this.options.database}.${name}`);
    }
  }

  private async attempt<T>(action: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw this.sorted(error, action);
    }
  }

  private sorted(error: unknown, action: string): unknown {
    if (isAccessDenied(error)) {
      return new ConfigurationError(
        `The lake cannot ${action}: access denied. Deploy with the SaddleData stack, which grants the function Glue and Athena on database ${this.options.database} and workgroup ${this.options.workgroup}.`,
        { code: errorName(error), cause: error },
      );
    }
    return transientOr(error, `Lake: ${action}`);
  }
}

function missingColumns(table: Table, columns: LakeColumnType[]): LakeColumnType[] {
  const present = new Set(
    (table.StorageDescriptor?.Columns ?? []).map((column) => column.Name?.toLowerCase()),
  );
  return columns.filter((column) => !present.has(column.name));
}

/**
 * Athena's CSV results: every value quoted (`""` for a quote inside), a null as an empty unquoted cell,
 * lines ended by `\n`; a quoted value may hold line breaks.
 */
export function athenaCsv(text: string): Array<Array<string | null>> {
  const rows: Array<Array<string | null>> = [];
  let row: Array<string | null> = [];
  let at = 0;
  while (at < text.length) {
    let cell: string | null;
    if (text[at] === '"') {
      let value = "";
      at += 1;
      for (;;) {
        const quote = text.indexOf('"', at);
        if (quote === -1) throw new TransientError("Athena's result ends inside a quoted value.");
        value += text.slice(at, quote);
        if (text[quote + 1] === '"') {
          value += '"';
          at = quote + 2;
        } else {
          at = quote + 1;
          break;
        }
      }
      cell = value;
    } else {
      let end = at;
      while (end < text.length && text[end] !== "," && text[end] !== "\n" && text[end] !== "\r") end += 1;
      cell = end === at ? null : text.slice(at, end);
      at = end;
    }
    row.push(cell);
    if (text[at] === ",") {
      at += 1;
      continue;
    }
    if (text[at] === "\r") at += 1;
    if (text[at] === "\n" || at >= text.length) {
      at += 1;
      rows.push(row);
      row = [];
    }
  }
  return rows;
}
