/**
 * `StateStore` over one DynamoDB table keyed by `pk` alone. Two kinds of items live in it:
 * - stream items, `pk = "<connection>#<Object>"`: cursor, lease, last run, and each lake table's
 *   watermark and merge claim (see `lakeAttributes`);
 * - file claims, `pk = "load#<bucket>/<key>#<version>"`: which run loads an inbound file version.
 * Every change is a conditional write, so two runs can never both think they own a stream or a file.
 * Both carry the keys of the table's `list` index (STATE_TABLE_LIST_INDEX), so a connection's streams
 * and the file claims are listed by Query, never by a scan; the one scan left gives the index's keys to
 * items written before it existed, once per table (`ensureListIndex`).
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { STATE_TABLE_LIST_INDEX, STATE_TABLE_PARTITION_KEY } from "../contract";
import {
  type CommitUpdate,
  type FileClaim,
  type FileKey,
  type FileStatus,
  LAKE_WATERMARKS,
  type LakeTableState,
  type LakeWatermark,
  type MergeClaim,
  type RunStatus,
  type StateStore,
  type StreamKey,
  type StreamState,
} from "../core/ports";
import { ConfigurationError, LeaseConflictError, TransientError } from "../errors";
import { errorName, isAccessDenied, transientOr } from "./aws-errors";

const FILE_PREFIX = "load#";
/** Keeps an item far below DynamoDB's 400 KB limit whatever a run's error says. */
const MAX_ERROR_LENGTH = 2000;

type Item = Record<string, AttributeValue>;

export interface DynamoStateStoreOptions {
  /** Items per Query (and Scan) page when listing (DynamoDB's 1 MB page when absent). */
  pageSize?: number;
}

const INDEX = STATE_TABLE_LIST_INDEX;
const LOADING_CLAIMS = "load#loading";
const FINISHED_CLAIMS = "load#finished";

export class DynamoStateStore implements StateStore {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    private readonly options: DynamoStateStoreOptions = {},
  ) {}

  async get(key: StreamKey): Promise<StreamState | undefined> {
    const item = await this.read(streamPk(key));
    return item === undefined ? undefined : toStreamState(key, item);
  }

  /**
   * The connection's streams by object name: one Query of the `list` index (eventually consistent, as
   * every index read: a stream whose first lease was taken a moment ago may be missing).
   */
  async list(connection: string): Promise<StreamState[]> {
    checkName("connection", connection);
    await this.ensureListIndex();
    const states: StreamState[] = [];
    for await (const item of this.queryIndex(streamListPk(connection), { newestFirst: false })) {
      const object = str(item.object);
      if (object !== undefined) states.push(toStreamState({ connection, object }, item));
    }
    return states.sort((a, b) => (a.object < b.object ? -1 : a.object > b.object ? 1 : 0));
  }

  /**
   * File claims, newest first, from the `list` index: `{ loading: true }` every claim still loading (its
   * run has not recorded an outcome), `{ limit }` the most recent claims whatever their status.
   */
  async listFiles(query: { loading: true } | { limit: number }): Promise<FileClaim[]> {
    await this.ensureListIndex();
    const partitions = "loading" in query ? [LOADING_CLAIMS] : [LOADING_CLAIMS, FINISHED_CLAIMS];
    const limit = "limit" in query ? query.limit : undefined;
    const found: Array<{ sk: string; claim: FileClaim }> = [];
    for (const partition of partitions) {
      for await (const item of this.queryIndex(partition, { newestFirst: true, limit })) {
        const claim = toFileClaim(item);
        if (claim !== undefined) found.push({ sk: str(item[INDEX.sortKey]) ?? "", claim });
      }
    }
    found.sort((a, b) => (a.sk < b.sk ? 1 : a.sk > b.sk ? -1 : 0));
    return found.slice(0, limit).map((entry) => entry.claim);
  }

  /**
   * Gives the `list` index's keys to the items written before the index existed, once per table: when
   * the table's marker item says so, nothing is read but the marker. Otherwise one Scan finds the items
   * without keys and a conditional write gives each its keys (never overwriting keys a run wrote
   * meanwhile), then the marker is written. Returns how many items got keys.
   */
  async ensureListIndex(): Promise<number> {
    if (this.listIndexed) return 0;
    const marker = await this.read(INDEX.markerPk);
    if ((num(marker?.version) ?? 0) >= INDEX.version) {
      this.listIndexed = true;
      return 0;
    }
    let indexed = 0;
    let startKey: Item | undefined;
    do {
      const output = await this.call("Scan", "items without list keys", () =>
        this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            ConsistentRead: true,
            FilterExpression: "attribute_not_exists(#listPk)",
            ExpressionAttributeNames: { "#listPk": INDEX.partitionKey },
            ...(this.options.pageSize === undefined ? {} : { Limit: this.options.pageSize }),
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        ),
      );
      for (const item of output.Items ?? []) {
        const keys = listKeysOf(item);
        const pk = str(item[STATE_TABLE_PARTITION_KEY]);
        if (keys === undefined || pk === undefined) continue;
        try {
          await this.client.send(
            new UpdateItemCommand(
              this.update(pk, {
                set: keys,
                condition: "attribute_exists(#pk) AND attribute_not_exists(#listPk)",
                values: {},
              }),
            ),
          );
          indexed += 1;
        } catch (error) {
          if (!isConditionFailed(error)) throw this.translate(error, "UpdateItem", pk);
        }
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey !== undefined);
    await this.call("PutItem", INDEX.markerPk, () =>
      this.client.send(new PutItemCommand({ TableName: this.tableName, Item: listIndexMarker(new Date()) })),
    );
    this.listIndexed = true;
    return indexed;
  }

  private listIndexed = false;

  /** The items of one partition of the `list` index, page by page, by sort key. */
  private async *queryIndex(
    partition: string,
    options: { newestFirst: boolean; limit?: number | undefined },
  ): AsyncIterable<Item> {
    let startKey: Item | undefined;
    let left = options.limit ?? Number.POSITIVE_INFINITY;
    do {
      const pageSize = Math.min(left, this.options.pageSize ?? Number.POSITIVE_INFINITY);
      const output = await this.call("Query", `index ${INDEX.name} ${partition}`, () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: INDEX.name,
            KeyConditionExpression: "#listPk = :listPk",
            ExpressionAttributeNames: { "#listPk": INDEX.partitionKey },
            ExpressionAttributeValues: { ":listPk": s(partition) },
            ScanIndexForward: !options.newestFirst,
            ...(Number.isFinite(pageSize) ? { Limit: pageSize } : {}),
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        ),
      );
      for (const item of output.Items ?? []) {
        if (left <= 0) return;
        left -= 1;
        yield item;
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey !== undefined && left > 0);
  }

  async acquireLease(key: StreamKey, holder: string, leaseMs: number, now: number): Promise<StreamState> {
    const pk = streamPk(key);
    try {
      const output = await this.client.send(
        new UpdateItemCommand(
          this.update(pk, {
            set: {
              connection: s(key.connection),
              object: s(key.object),
              ...streamListKeys(key),
              leaseHolder: s(holder),
              leaseExpiresAt: n(now + leaseMs),
              lastRunId: s(holder),
              lastStatus: s("running" satisfies RunStatus),
            },
            condition:
              "attribute_not_exists(#leaseHolder) OR #leaseExpiresAt < :now OR #leaseHolder = :leaseHolder",
            values: { ":now": n(now) },
            returnNew: true,
          }),
        ),
      );
      return toStreamState(key, output.Attributes ?? {});
    } catch (error) {
      if (!isConditionFailed(error)) throw this.translate(error, "UpdateItem", pk);
      const current = await this.read(pk);
      const currentHolder = str(current?.leaseHolder);
      const until = num(current?.leaseExpiresAt);
      if (currentHolder === undefined || until === undefined) {
        throw new LeaseConflictError(
          `${key.object}: the lease changed while run ${holder} was taking it; start the run again`,
          { object: key.object, cause: error },
        );
      }
      throw new LeaseConflictError(
        `${key.object} is being synced by run ${currentHolder} (lease until ${iso(until)}); ` +
          "wait for it to finish or for the lease to expire",
        { object: key.object, cause: error },
      );
    }
  }

  async renewLease(key: StreamKey, holder: string, leaseMs: number, now: number): Promise<void> {
    const pk = streamPk(key);
    await this.whileHolding(key, holder, "the lease was not renewed", () =>
      this.client.send(
        new UpdateItemCommand(
          this.update(pk, {
            set: { leaseExpiresAt: n(now + leaseMs) },
            condition: "#leaseHolder = :holder",
            values: { ":holder": s(holder) },
          }),
        ),
      ),
    );
  }

  async commit(key: StreamKey, holder: string, change: CommitUpdate): Promise<void> {
    const pk = streamPk(key);
    const set: Item = {
      lastRunId: s(change.runId),
      lastStatus: s("succeeded" satisfies RunStatus),
      lastManifestKey: s(change.manifestKey),
      lastCommittedAt: s(change.committedAt),
    };
    const remove = ["leaseHolder", "leaseExpiresAt", "lastError"];
    // A full refresh commits no cursor: none must be left from an earlier incremental run.
    if (change.cursor === undefined) remove.push("cursor");
    else set.cursor = s(change.cursor);
    if (change.cursorField === undefined) remove.push("cursorField");
    else set.cursorField = s(change.cursorField);
    set.commitSeq = n(change.commitSeq);
    if (change.reconciledAt !== undefined) set.lastReconciledAt = s(change.reconciledAt);
    if (change.formulaRefreshedAt !== undefined) set.lastFormulaRefreshAt = s(change.formulaRefreshedAt);
    if (change.reconcilePending === null) remove.push("reconcilePending");
    else if (change.reconcilePending !== undefined) set.reconcilePending = s(change.reconcilePending);
    const previous = seqCondition("commitSeq", change.commitSeq - 1);
    try {
      await this.whileHolding(key, holder, "nothing was committed; the next run repeats the window", () =>
        this.client.send(
          new UpdateItemCommand(
            this.update(pk, {
              set,
              remove,
              condition: `#leaseHolder = :holder AND (${previous.condition})`,
              values: { ":holder": s(holder), ...previous.values },
            }),
          ),
        ),
      );
    } catch (error) {
      // Holding the lease but not the expected sequence: the commit number was read before another
      // commit went through, which the lease should have made impossible.
      const current = error instanceof LeaseConflictError ? await this.get(key) : undefined;
      if (current?.leaseHolder !== holder) throw error;
      throw new LeaseConflictError(
        `${key.object}: commit ${change.commitSeq} expected the stream's last commit to be ${change.commitSeq - 1} but it is ${current.commitSeq ?? 0}; nothing was committed, the next run repeats the window`,
        { object: key.object, cause: error },
      );
    }
  }

  async claimMerge(
    key: StreamKey,
    table: LakeWatermark,
    claim: MergeClaim,
    leaseMs: number,
    now: number,
  ): Promise<void> {
    const pk = streamPk(key);
    const a = lakeAttributes(table);
    const watermark = seqCondition(a.mergedSeq, claim.fromSeq);
    try {
      await this.client.send(
        new UpdateItemCommand(
          this.update(pk, {
            set: {
              [a.mergeHolder]: s(claim.holder),
              [a.mergeExpiresAt]: n(now + leaseMs),
              [a.mergeToSeq]: n(claim.toSeq),
            },
            condition:
              `(${watermark.condition}) AND (attribute_not_exists(#${a.mergeHolder}) OR ` +
              `#${a.mergeExpiresAt} < :now OR #${a.mergeHolder} = :holder)`,
            values: { ":now": n(now), ":holder": s(claim.holder), ...watermark.values },
          }),
        ),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw this.translate(error, "UpdateItem", pk);
      const current = (await this.get(key))?.lake?.[table];
      const merged = current?.mergedSeq ?? 0;
      const other =
        merged !== claim.fromSeq
          ? `the watermark moved from ${claim.fromSeq} to ${merged}`
          : `run ${current?.mergeHolder ?? "?"} is merging it (lease until ${iso(current?.mergeExpiresAt ?? now)})`;
      const into = `${key.object}: run ${claim.holder} cannot merge into the ${table} table`;
      throw new LeaseConflictError(`${into}: ${other}`, {
        object: key.object,
        cause: error,
      });
    }
  }

  async advanceMerged(
    key: StreamKey,
    table: LakeWatermark,
    claim: MergeClaim,
    mergedAt: string,
  ): Promise<void> {
    const pk = streamPk(key);
    const a = lakeAttributes(table);
    const watermark = seqCondition(a.mergedSeq, claim.fromSeq);
    try {
      await this.client.send(
        new UpdateItemCommand(
          this.update(pk, {
            set: { [a.mergedSeq]: n(claim.toSeq), [a.lastMergedAt]: s(mergedAt) },
            remove: [a.mergeHolder, a.mergeExpiresAt, a.mergeToSeq, a.lastMergeError],
            condition: `(${watermark.condition}) AND #${a.mergeHolder} = :holder`,
            values: { ":holder": s(claim.holder), ...watermark.values },
          }),
        ),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw this.translate(error, "UpdateItem", pk);
      const current = (await this.get(key))?.lake?.[table];
      throw new LeaseConflictError(
        `${key.object}: run ${claim.holder} could not advance the ${table} watermark from ${claim.fromSeq} to ${claim.toSeq}: it is ${current?.mergedSeq ?? 0} and the merge lease is ${current?.mergeHolder === undefined ? "free" : `held by run ${current.mergeHolder}`}`,
        { object: key.object, cause: error },
      );
    }
  }

  async releaseMerge(
    key: StreamKey,
    table: LakeWatermark,
    holder: string,
    error: string | undefined,
  ): Promise<void> {
    const pk = streamPk(key);
    const a = lakeAttributes(table);
    const set: Item = {};
    const remove = [a.mergeHolder, a.mergeExpiresAt, a.mergeToSeq];
    if (error === undefined) remove.push(a.lastMergeError);
    else set[a.lastMergeError] = s(error.slice(0, MAX_ERROR_LENGTH));
    try {
      await this.client.send(
        new UpdateItemCommand(
          this.update(pk, {
            set,
            remove,
            condition: `#${a.mergeHolder} = :holder`,
            values: { ":holder": s(holder) },
          }),
        ),
      );
    } catch (failure) {
      // Not holding the merge lease leaves nothing to release, and another merge's must not be touched.
      if (isConditionFailed(failure)) return;
      throw this.translate(failure, "UpdateItem", pk);
    }
  }

  async release(
    key: StreamKey,
    holder: string,
    outcome: { status: RunStatus; error?: string },
  ): Promise<void> {
    const pk = streamPk(key);
    const set: Item = { lastStatus: s(outcome.status), lastRunId: s(holder) };
    const remove = ["leaseHolder", "leaseExpiresAt"];
    if (outcome.error === undefined) remove.push("lastError");
    else set.lastError = s(outcome.error.slice(0, MAX_ERROR_LENGTH));
    try {
      await this.client.send(
        new UpdateItemCommand(
          this.update(pk, {
            set,
            remove,
            condition: "#leaseHolder = :holder",
            values: { ":holder": s(holder) },
          }),
        ),
      );
    } catch (error) {
      // Not holding the lease (it expired and was taken, or was never taken) leaves nothing to release,
      // and the new holder's state must not be overwritten.
      if (isConditionFailed(error)) return;
      throw this.translate(error, "UpdateItem", pk);
    }
  }

  async claimFile(
    file: FileKey,
    runId: string,
    now: Date,
  ): Promise<{ claimed: true } | { claimed: false; existing: FileClaim }> {
    const pk = filePk(file);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            [STATE_TABLE_PARTITION_KEY]: s(pk),
            bucket: s(file.bucket),
            key: s(file.key),
            version: s(file.version),
            runId: s(runId),
            status: s("loading" satisfies FileStatus),
            claimedAt: s(now.toISOString()),
            [INDEX.partitionKey]: s(LOADING_CLAIMS),
            [INDEX.sortKey]: s(claimListSk(now.toISOString(), pk)),
          },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": STATE_TABLE_PARTITION_KEY },
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!isConditionFailed(error)) throw this.translate(error, "PutItem", pk);
      const existing = await this.getFile(file);
      if (existing === undefined) {
        throw new TransientError(
          `The claim on ${describeFile(file)} vanished while run ${runId} read it; retry`,
          {
            cause: error,
          },
        );
      }
      return { claimed: false, existing };
    }
  }

  async finishFile(
    file: FileKey,
    runId: string,
    outcome: { status: FileStatus; summaryKey?: string },
    now: Date,
  ): Promise<void> {
    const pk = filePk(file);
    const set: Item = {
      status: s(outcome.status),
      finishedAt: s(now.toISOString()),
      [INDEX.partitionKey]: s(outcome.status === "loading" ? LOADING_CLAIMS : FINISHED_CLAIMS),
    };
    if (outcome.summaryKey !== undefined) set.summaryKey = s(outcome.summaryKey);
    try {
      await this.client.send(
        new UpdateItemCommand(
          this.update(pk, { set, condition: "#runId = :runId", values: { ":runId": s(runId) } }),
        ),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw this.translate(error, "UpdateItem", pk);
      const existing = await this.getFile(file);
      throw new LeaseConflictError(
        existing === undefined
          ? `${describeFile(file)} was never claimed, so run ${runId} cannot record its outcome; claim it first`
          : `${describeFile(file)} is claimed by run ${existing.runId}, not run ${runId}; its outcome was not recorded`,
        { cause: error },
      );
    }
  }

  async getFile(file: FileKey): Promise<FileClaim | undefined> {
    const item = await this.read(filePk(file));
    return item === undefined ? undefined : toFileClaim(item, file);
  }

  /** Runs a write conditional on `holder` holding the lease; a lost condition names who holds it now. */
  private async whileHolding(
    key: StreamKey,
    holder: string,
    consequence: string,
    write: () => Promise<unknown>,
  ): Promise<void> {
    const pk = streamPk(key);
    try {
      await write();
    } catch (error) {
      if (!isConditionFailed(error)) throw this.translate(error, "UpdateItem", pk);
      const current = await this.read(pk);
      const currentHolder = str(current?.leaseHolder);
      const until = num(current?.leaseExpiresAt);
      const now =
        currentHolder === undefined
          ? "no run holds it now"
          : `run ${currentHolder} holds it (lease until ${until === undefined ? "unknown" : iso(until)})`;
      throw new LeaseConflictError(`Run ${holder} lost the lease on ${key.object}: ${now}; ${consequence}`, {
        object: key.object,
        cause: error,
      });
    }
  }

  private async read(pk: string): Promise<Item | undefined> {
    const output = await this.call("GetItem", pk, () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { [STATE_TABLE_PARTITION_KEY]: s(pk) },
          ConsistentRead: true,
        }),
      ),
    );
    return output.Item;
  }

  private async call<T>(action: string, what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw this.translate(error, action, what);
    }
  }

  private update(
    pk: string,
    change: { set?: Item; remove?: string[]; condition: string; values?: Item; returnNew?: boolean },
  ): UpdateItemCommandInput {
    return buildUpdate(this.tableName, pk, change);
  }

  private translate(error: unknown, action: string, what: string): unknown {
    const name = errorName(error);
    if (name === "ResourceNotFoundException") {
      return new ConfigurationError(
        `DynamoDB table ${this.tableName} does not exist (${action} ${what}): check the state table name`,
        { code: name, cause: error },
      );
    }
    if (name === "ValidationException" && /specified index/i.test((error as Error).message)) {
      return new ConfigurationError(
        `DynamoDB table ${this.tableName} has no index ${INDEX.name} (${action} ${what}): deploy this version's stack (cdk deploy), which adds it in place`,
        { code: name, cause: error },
      );
    }
    if (isAccessDenied(error)) {
      return new ConfigurationError(
        `${action} ${what} on DynamoDB table ${this.tableName} was refused (${name}): check the role's permissions`,
        { code: name, cause: error },
      );
    }
    return transientOr(error, `DynamoDB ${action} ${what} on ${this.tableName}`);
  }
}

interface UpdateChange {
  set?: Item;
  remove?: string[];
  condition: string;
  values?: Item;
  returnNew?: boolean;
}

/** Every attribute goes through a `#name` placeholder, since several (object, cursor, key…) are reserved words. */
function buildUpdate(tableName: string, pk: string, change: UpdateChange): UpdateItemCommandInput {
  const names: Record<string, string> = {};
  const values: Item = { ...change.values };
  const sets = Object.entries(change.set ?? {}).map(([attribute, value]) => {
    names[`#${attribute}`] = attribute;
    values[`:${attribute}`] = value;
    return `#${attribute} = :${attribute}`;
  });
  const removes = (change.remove ?? []).map((attribute) => {
    names[`#${attribute}`] = attribute;
    return `#${attribute}`;
  });
  for (const [placeholder, attribute = ""] of change.condition.matchAll(/#(\w+)/g))
    names[placeholder] = attribute;
  const clauses = [];
  if (sets.length > 0) clauses.push(`SET ${sets.join(", ")}`);
  if (removes.length > 0) clauses.push(`REMOVE ${removes.join(", ")}`);
  return {
    TableName: tableName,
    Key: { [STATE_TABLE_PARTITION_KEY]: s(pk) },
    UpdateExpression: clauses.join(" "),
    ConditionExpression: change.condition,
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length === 0 ? {} : { ExpressionAttributeValues: values }),
    ReturnValues: change.returnNew === true ? "ALL_NEW" : "NONE",
  };
}

type LakeField = keyof LakeTableState;
const LAKE_FIELDS: readonly LakeField[] = [
  "mergedSeq",
  "mergeHolder",
  "mergeExpiresAt",
  "mergeToSeq",
  "lastMergedAt",
  "lastMergeError",
];
const LAKE_NUMBERS: ReadonlySet<LakeField> = new Set(["mergedSeq", "mergeExpiresAt", "mergeToSeq"]);

/**
 * The stream item's attributes of one lake table's watermark and claim. Athena's keep the names the
 * deployed tables have always held (`mergedSeq`, `mergeHolder`…); another engine's carry its name in
 * front (`duckdbMergedSeq`, `duckdbMergeHolder`…), so a merge by one engine never reads or moves
 * another's.
 */
function lakeAttributes(table: LakeWatermark): Record<LakeField, string> {
  const name = (field: LakeField) =>
    table === "athena" ? field : `${table}${field.charAt(0).toUpperCase()}${field.slice(1)}`;
  return Object.fromEntries(LAKE_FIELDS.map((field) => [field, name(field)])) as Record<LakeField, string>;
}

/** Each lake table's state on the item, for the tables it has any attribute of. */
function toLakeState(item: Item): StreamState["lake"] {
  const lake: NonNullable<StreamState["lake"]> = {};
  for (const table of LAKE_WATERMARKS) {
    const attributes = lakeAttributes(table);
    const state: Record<string, string | number> = {};
    for (const field of LAKE_FIELDS) {
      const value = LAKE_NUMBERS.has(field) ? num(item[attributes[field]]) : str(item[attributes[field]]);
      if (value !== undefined) state[field] = value;
    }
    if (Object.keys(state).length > 0) lake[table] = state as LakeTableState;
  }
  return Object.keys(lake).length > 0 ? lake : undefined;
}

/** A sequence attribute equal to `value`, where an absent attribute counts as 0. */
function seqCondition(attribute: string, value: number): { condition: string; values: Item } {
  const placeholder = `:${attribute}Was`;
  const equal = `#${attribute} = ${placeholder}`;
  return {
    condition: value === 0 ? `attribute_not_exists(#${attribute}) OR ${equal}` : equal,
    values: { [placeholder]: n(value) },
  };
}

/** By name: `instanceof` fails when two copies of the SDK are bundled. */
function isConditionFailed(error: unknown): boolean {
  return errorName(error) === "ConditionalCheckFailedException";
}

function streamPk(key: StreamKey): string {
  checkName("connection", key.connection);
  checkName("object", key.object);
  return `${key.connection}#${key.object}`;
}

function filePk(file: FileKey): string {
  return `${FILE_PREFIX}${file.bucket}/${file.key}#${file.version}`;
}

function streamListPk(connection: string): string {
  return `stream#${connection}`;
}

function streamListKeys(key: StreamKey): Item {
  return { [INDEX.partitionKey]: s(streamListPk(key.connection)), [INDEX.sortKey]: s(key.object) };
}

/** Claims sort by when they were claimed, then by file version (the part of the key after `load#`). */
function claimListSk(claimedAt: string, pk: string): string {
  return `${claimedAt}#${pk.slice(FILE_PREFIX.length)}`;
}

/**
 * The `list` index's keys of an item written before the index existed, or undefined for an item that is
 * neither a stream nor a file claim (the marker). A stream item names its connection and object; a file
 * claim its bucket, key, status and claim time.
 */
export function listKeysOf(item: Item): Item | undefined {
  const pk = str(item[STATE_TABLE_PARTITION_KEY]);
  const connection = str(item.connection);
  const object = str(item.object);
  if (connection !== undefined && object !== undefined && pk === `${connection}#${object}`) {
    return streamListKeys({ connection, object });
  }
  const claimedAt = str(item.claimedAt);
  if (pk?.startsWith(FILE_PREFIX) && claimedAt !== undefined && str(item.bucket) !== undefined) {
    const status = str(item.status) ?? "loading";
    return {
      [INDEX.partitionKey]: s(status === "loading" ? LOADING_CLAIMS : FINISHED_CLAIMS),
      [INDEX.sortKey]: s(claimListSk(claimedAt, pk)),
    };
  }
  return undefined;
}

/** The item that says every item of the table has its `list` index keys. */
export function listIndexMarker(at: Date): Item {
  return {
    [STATE_TABLE_PARTITION_KEY]: s(INDEX.markerPk),
    version: n(INDEX.version),
    indexedAt: s(at.toISOString()),
  };
}

/** A file claim item as the port's claim (of `file` when read by its key); undefined for another item. */
function toFileClaim(item: Item): FileClaim | undefined;
function toFileClaim(item: Item, file: FileKey): FileClaim;
function toFileClaim(item: Item, file?: FileKey): FileClaim | undefined {
  const bucket = file?.bucket ?? str(item.bucket);
  const key = file?.key ?? str(item.key);
  const version = file?.version ?? str(item.version);
  if (bucket === undefined || key === undefined || version === undefined) return undefined;
  const claim: FileClaim = {
    bucket,
    key,
    version,
    runId: str(item.runId) ?? "",
    status: (str(item.status) ?? "loading") as FileStatus,
    claimedAt: str(item.claimedAt) ?? "",
  };
  const finishedAt = str(item.finishedAt);
  if (finishedAt !== undefined) claim.finishedAt = finishedAt;
  const summaryKey = str(item.summaryKey);
  if (summaryKey !== undefined) claim.summaryKey = summaryKey;
  return claim;
}

/** "#" separates the parts of a key; inside a name it would let two streams share an item. */
function checkName(kind: "connection" | "object", name: string): void {
  if (name === "" || name.includes("#")) {
    throw new ConfigurationError(
      `Invalid ${kind} name "${name}": it must be non-empty and must not contain "#"`,
      {
        ...(kind === "object" ? { object: name } : {}),
      },
    );
  }
}

function toStreamState(key: StreamKey, item: Item): StreamState {
  const state: StreamState = { connection: key.connection, object: key.object };
  const strings = [
    "cursor",
    "cursorField",
    "leaseHolder",
    "lastRunId",
    "lastError",
    "lastManifestKey",
    "lastCommittedAt",
    "lastReconciledAt",
    "lastFormulaRefreshAt",
    "reconcilePending",
  ] as const;
  for (const field of strings) {
    const value = str(item[field]);
    if (value !== undefined) state[field] = value;
  }
  const numbers = ["leaseExpiresAt", "commitSeq"] as const;
  for (const field of numbers) {
    const value = num(item[field]);
    if (value !== undefined) state[field] = value;
  }
  const lake = toLakeState(item);
  if (lake !== undefined) state.lake = lake;
  const lastStatus = str(item.lastStatus);
  if (lastStatus !== undefined) state.lastStatus = lastStatus as RunStatus;
  return state;
}

function describeFile(file: FileKey): string {
  return `s3://${file.bucket}/${file.key} (version ${file.version})`;
}

function s(value: string): AttributeValue {
  return { S: value };
}

function n(value: number): AttributeValue {
  return { N: String(value) };
}

function str(value: AttributeValue | undefined): string | undefined {
  return value?.S;
}

function num(value: AttributeValue | undefined): number | undefined {
  return value?.N === undefined ? undefined : Number(value.N);
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
