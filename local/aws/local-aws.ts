// local/aws/: embedded S3 (s3rver), DynamoDB (dynalite) and Secrets Manager
/**
 * The three local AWS services together, set up as the CDK stack sets up the real ones: the bucket(s)
 * and the state table (partition key `pk`, TTL on `expiresAt`). Local mode passes the returned
 * endpoints and credentials to `createAwsClients`.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { type AwsEndpoints, createAwsClients, LOCAL_REGION } from "../../functions/aws/clients";
import { STATE_TABLE_PARTITION_KEY, STATE_TABLE_TTL_ATTRIBUTE } from "../../functions/contract";
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

/** The table as the stack defines it; a table kept from an earlier local run is left as it is. */
export async function createStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: STATE_TABLE_PARTITION_KEY, AttributeType: "S" }],
        KeySchema: [{ AttributeName: STATE_TABLE_PARTITION_KEY, KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilActive(client, tableName);
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
