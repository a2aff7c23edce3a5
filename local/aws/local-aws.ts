// local/aws/: embedded S3 (s3rver), DynamoDB (dynalite) and Secrets Manager
/**
 * The three local AWS services together, set up as the CDK stack sets up the real ones: the bucket(s)
 * and the state table (partition key `pk`, the `list` index, TTL on `expiresAt`). Local mode passes the returned
 * endpoints and credentials to `createAwsClients`.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  PutItemCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  ScanCommand,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { type AwsEndpoints, createAwsClients, LOCAL_REGION } from "../../functions/aws/clients";
import { listIndexMarker, listKeysOf } from "../../functions/aws/dynamo-state-store";
import {
  STATE_TABLE_LIST_INDEX,
  STATE_TABLE_PARTITION_KEY,
  STATE_TABLE_TTL_ATTRIBUTE,
} from "../../functions/contract";
import { TransientError } from "../../functions/errors";
import { type LocalDynamo, startDynamo } from "./dynamodb";
import { LOCAL_S3_CREDENTIALS, type LocalS3, startS3 } from "./s3";
import { type LocalSecretsManager, startSecretsManager } from "./secrets-manager";

export const DEFAULT_LOCAL_BUCKET = "saddledata";
export const DEFAULT_STATE_TABLE = "saddledata-state";

export interface StartLocalAwsOptions {
  /** State folder (local mode uses `.saddledata/`): s3/, dynamodb/ and secrets.json. In memory / temporary when absent. */
  directory?: string;
  buckets?: string[];
  tableName?: string;
}

export interface LocalAws {
  endpoints: Required<AwsEndpoints>;
  region: string;
  /** Accepted by all three services (S3 needs exactly these). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  buckets: string[];
  tableName: string;
  s3: LocalS3;
  dynamodb: LocalDynamo;
  secretsManager: LocalSecretsManager;
  stop(): Promise<void>;
}

export async function startLocalAws(options: StartLocalAwsOptions = {}): Promise<LocalAws> {
  const { directory } = options;
  const buckets = options.buckets ?? [DEFAULT_LOCAL_BUCKET];
  const tableName = options.tableName ?? DEFAULT_STATE_TABLE;
  if (directory !== undefined) await mkdir(join(directory, "s3"), { recursive: true });

  const started: { stop(): Promise<void> }[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> => {
    stopping ??= stopEach();
    return stopping;
  };
  const stopEach = async (): Promise<void> => {
    const results = await Promise.allSettled(started.map((service) => service.stop()));
    const failures = results.filter(
      (result): result is PromiseRejectedResult => result.status === "rejected",
    );
    if (failures.length > 0) {
      throw new AggregateError(
        failures.map((failure) => failure.reason),
        "Stopping the local AWS services failed",
      );
    }
  };

  try {
    const s3 = await startS3({
      buckets,
      ...(directory === undefined ? {} : { directory: join(directory, "s3") }),
    });
    started.push(s3);
    const dynamodb = await startDynamo(
      directory === undefined ? {} : { directory: join(directory, "dynamodb") },
    );
    started.push(dynamodb);
    const secretsManager = await startSecretsManager({
      region: LOCAL_REGION,
      ...(directory === undefined ? {} : { file: join(directory, "secrets.json") }),
    });
    started.push(secretsManager);

    const credentials = { ...LOCAL_S3_CREDENTIALS };
    const endpoints = {
      s3: s3.endpoint,
      dynamodb: dynamodb.endpoint,
      secretsManager: secretsManager.endpoint,
    };
    const clients = createAwsClients({ region: LOCAL_REGION, endpoints, credentials });
    try {
      await createStateTable(clients.dynamodb, tableName);
    } finally {
      clients.s3.destroy();
      clients.dynamodb.destroy();
      clients.secretsManager.destroy();
    }

    return {
      endpoints,
      region: LOCAL_REGION,
      credentials,
      buckets,
      tableName,
      s3,
      dynamodb,
      secretsManager,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll().catch((stopError: unknown) => {
      if (error instanceof Error && error.cause === undefined) error.cause = stopError;
    });
    throw error;
  }
}

/**
 * The table as the stack defines it, with its `list` index. A table kept from an earlier local run is
 * left as it is, unless it predates the index: DynamoDB adds an index to a table in place, dynalite
 * cannot, so such a table is rebuilt (see `rebuildWithListIndex`).
 */
export async function createStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const staging = stagingTableOf(tableName);
  const existing = await describeTable(client, tableName);
  if (existing !== undefined && !hasListIndex(existing)) {
    await rebuildWithListIndex(client, tableName);
  } else if (await describeTable(client, staging)) {
    // A rebuild stopped after the old table was copied: finish it.
    await finishRebuild(client, tableName);
  } else if (existing === undefined) {
    await createTable(client, tableName);
    await client.send(new PutItemCommand({ TableName: tableName, Item: listIndexMarker(new Date()) }));
  } else {
    await waitUntilActive(client, tableName);
  }
  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== "ENABLED") {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { Enabled: true, AttributeName: STATE_TABLE_TTL_ATTRIBUTE },
      }),
    );
  }
}

const INDEX = STATE_TABLE_LIST_INDEX;

function stagingTableOf(tableName: string): string {
  return `${tableName}.list-index`;
}

function hasListIndex(table: TableDescription): boolean {
  return (table.GlobalSecondaryIndexes ?? []).some((index) => index.IndexName === INDEX.name);
}

async function describeTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: STATE_TABLE_PARTITION_KEY, AttributeType: "S" },
          { AttributeName: INDEX.partitionKey, AttributeType: "S" },
          { AttributeName: INDEX.sortKey, AttributeType: "S" },
        ],
        KeySchema: [{ AttributeName: STATE_TABLE_PARTITION_KEY, KeyType: "HASH" }],
        GlobalSecondaryIndexes: [
          {
            IndexName: INDEX.name,
            KeySchema: [
              { AttributeName: INDEX.partitionKey, KeyType: "HASH" },
              { AttributeName: INDEX.sortKey, KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: "ALL" },
          },
        ],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilActive(client, tableName);
}

async function deleteTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const deadline = Date.now() + 10_000;
  while ((await describeTable(client, tableName)) !== undefined) {
    if (Date.now() > deadline) throw new TransientError(`DynamoDB table ${tableName} is still being deleted`);
    await sleep(10);
  }
}

/** Every item of `from` into `to`, each with its `list` index keys when it has none yet. */
async function copyItems(client: DynamoDBClient, from: string, to: string): Promise<void> {
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: from,
        ConsistentRead: true,
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    for (const item of page.Items ?? []) {
      const keys = item[INDEX.partitionKey] === undefined ? listKeysOf(item) : undefined;
      await client.send(new PutItemCommand({ TableName: to, Item: { ...item, ...keys } }));
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
}

/**
 * A local table from before the `list` index, rebuilt with it: its items are copied to a staging table
 * (`<table>.list-index`, with the index and each item's keys), the old table is dropped and created again
 * with the index, and the items are copied back. The staging table is dropped last, so a process stopped
 * half-way leaves either the old table whole (the copy starts over) or the staging table whole (the next
 * start finishes the copy back): nothing is lost. It runs once, on the first start after an upgrade.
 */
async function rebuildWithListIndex(client: DynamoDBClient, tableName: string): Promise<void> {
  const staging = stagingTableOf(tableName);
  await deleteTable(client, staging);
  await createTable(client, staging);
  await copyItems(client, tableName, staging);
  await deleteTable(client, tableName);
  await finishRebuild(client, tableName);
}

async function finishRebuild(client: DynamoDBClient, tableName: string): Promise<void> {
  const staging = stagingTableOf(tableName);
  await createTable(client, tableName);
  await copyItems(client, staging, tableName);
  await client.send(new PutItemCommand({ TableName: tableName, Item: listIndexMarker(new Date()) }));
  await deleteTable(client, staging);
}

/**
 * A new table answers ResourceNotFoundException until it is ACTIVE, in dynalite (briefly, longer when
 * persisted) as in DynamoDB. The SDK's waiter polls every 20 s at least, far too slow for local use.
 */
export async function waitUntilActive(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === "ACTIVE") return;
    if (Date.now() > deadline) {
      throw new TransientError(
        `DynamoDB table ${tableName} is still ${Table?.TableStatus} after ${timeoutMs} ms`,
      );
    }
    await sleep(10);
  }
}
