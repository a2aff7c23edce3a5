/**
 * `StateStore` over one DynamoDB table keyed by `pk` alone. Two kinds of items live in it:
 * - stream items, `pk = "<connection>#<Object>"`: cursor, lease, last run, and each lake table's
 *   watermark and merge claim (see `lakeAttributes`);
 * - file claims, `pk = "load#<bucket>/<key>#<version>"`: which run loads an inbound file version.
 * Every change is a conditional write, so two runs can never both think they own a stream or a file.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { STATE_TABLE_PARTITION_KEY } from "../contract";
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
  /** Items per Scan page for `list` (DynamoDB's 1 MB page when absent). */
  scanPageSize?: number;
}

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

  async list(connection: string): Promise<StreamState[]> {
    checkName("connection", connection);
    const states: StreamState[] = [];
    let startKey: Item | undefined;
    do {
      const output = await this.call("Scan", `${connection}#*`, () =>
        this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            ConsistentRead: true,
            // The attribute check keeps file claims out when a connection is named "load".
            FilterExpression: "begins_with(#pk, :prefix) AND #connection = :connection",
            ExpressionAttributeNames: { "#pk": STATE_TABLE_PARTITION_KEY, "#connection": "connection" },
            ExpressionAttributeValues: { ":prefix": s(`${connection}#`), ":connection": s(connection) },
            ...(this.options.scanPageSize === undefined ? {} : { Limit: this.options.scanPageSize }),
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        ),
      );
      for (const item of output.Items ?? []) {
        const object = str(item.object);
        if (object !== undefined) states.push(toStreamState({ connection, object }, item));
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey !== undefined);
    return states.sort((a, b) => (a.object < b.object ? -1 : a.object > b.object ? 1 : 0));
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
    const set: Item = { status: s(outcome.status), finishedAt: s(now.toISOString()) };
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
    if (item === undefined) return undefined;
    const claim: FileClaim = {
      bucket: file.bucket,
      key: file.key,
      version: file.version,
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
