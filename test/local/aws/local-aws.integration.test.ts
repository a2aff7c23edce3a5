import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { CreateSecretCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { afterEach, describe, expect, it } from "vitest";
import { type AwsClients, createAwsClients } from "../../../functions/aws/clients";
import { DynamoStateStore } from "../../../functions/aws/dynamo-state-store";
import { startDynamo } from "../../../local/aws/dynamodb";
import { type LocalAws, startLocalAws } from "../../../local/aws/local-aws";
import { recordCommands } from "../../support/recorded-commands";

describe("startLocalAws", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(directory?: string): Promise<{ aws: LocalAws; clients: AwsClients }> {
    const aws = await startLocalAws({
      buckets: ["lake", "inbound"],
      tableName: "state",
      ...(directory === undefined ? {} : { directory }),
    });
    const clients = createAwsClients({
      region: aws.region,
      endpoints: aws.endpoints,
      credentials: aws.credentials,
    });
    cleanups.push(
      () => aws.stop(),
      () => {
        clients.s3.destroy();
        clients.dynamodb.destroy();
        clients.secretsManager.destroy();
      },
    );
    return { aws, clients };
  }

  it("starts S3 with the buckets, DynamoDB with the state table, and Secrets Manager", async () => {
    // Prepare
    const { aws, clients } = await start();

    // Act
    const buckets = await Promise.all(
      ["lake", "inbound"].map((Bucket) => clients.s3.send(new HeadBucketCommand({ Bucket }))),
    );
    const table = await clients.dynamodb.send(new DescribeTableCommand({ TableName: "state" }));
    const ttl = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: "state" }));
    await clients.secretsManager.send(new CreateSecretCommand({ Name: "org", SecretString: "{}" }));
    const secret = await clients.secretsManager.send(new GetSecretValueCommand({ SecretId: "org" }));

    // Assess
    expect(buckets.map((bucket) => bucket.$metadata.httpStatusCode)).toEqual([200, 200]);
    expect(table.Table?.KeySchema).toEqual([{ AttributeName: "pk", KeyType: "HASH" }]);
    expect(table.Table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.KeySchema])).toEqual([
      [
        "list",
        [
          { AttributeName: "listPk", KeyType: "HASH" },
          { AttributeName: "listSk", KeyType: "RANGE" },
        ],
      ],
    ]);
    expect(table.Table?.TableStatus).toBe("ACTIVE");
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" });
    expect(secret.SecretString).toBe("{}");
    expect(Object.values(aws.endpoints).every((url) => url.startsWith("http://127.0.0.1:"))).toBe(true);
  });

  it("keeps objects, state and secrets in its directory across restarts", async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), "saddledata-test-local-aws-"));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const first = await start(directory);
    await first.clients.s3.send(new PutObjectCommand({ Bucket: "lake", Key: "kept.txt", Body: "kept" }));
    await first.clients.dynamodb.send(
      new PutItemCommand({ TableName: "state", Item: { pk: { S: "kept" } } }),
    );
    await first.clients.secretsManager.send(new CreateSecretCommand({ Name: "kept", SecretString: "kept" }));
    await first.aws.stop();

    // Act
    const second = await start(directory);
    const object = await second.clients.s3.send(new GetObjectCommand({ Bucket: "lake", Key: "kept.txt" }));
    const item = await second.clients.dynamodb.send(
      new GetItemCommand({ TableName: "state", Key: { pk: { S: "kept" } } }),
    );
    const secret = await second.clients.secretsManager.send(new GetSecretValueCommand({ SecretId: "kept" }));

    // Assess
    expect(await object.Body?.transformToString()).toBe("kept");
    expect(item.Item).toEqual({ pk: { S: "kept" } });
    expect(secret.SecretString).toBe("kept");
  });

  it("rebuilds a kept state table from before the list index, keeping every item, once", async () => {
    // Prepare: a state folder whose table an earlier version made (no index, items without its keys).
    const directory = await mkdtemp(join(tmpdir(), "saddledata-test-local-aws-"));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const dynamo = await startDynamo({ directory: join(directory, "dynamodb") });
    const old = createAwsClients({
      region: "us-east-1",
      endpoints: { dynamodb: dynamo.endpoint },
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    }).dynamodb;
    await old.send(
      new CreateTableCommand({
        TableName: "state",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    for (const object of ["Account", "Contact"]) {
      await old.send(
        new PutItemCommand({
          TableName: "state",
          Item: {
            pk: { S: `demo#${object}` },
            connection: { S: "demo" },
            object: { S: object },
            cursor: { S: "2026-01-01T00:00:00.000Z" },
          },
        }),
      );
    }
    old.destroy();
    await dynamo.stop();

    // Act
    const { clients } = await start(directory);
    const sent = recordCommands(clients.dynamodb);
    const listed = await new DynamoStateStore(clients.dynamodb, "state").list("demo");
    const tables = await clients.dynamodb.send(new ListTablesCommand({}));

    // Assess
    expect(listed.map((state) => [state.object, state.cursor])).toEqual([
      ["Account", "2026-01-01T00:00:00.000Z"],
      ["Contact", "2026-01-01T00:00:00.000Z"],
    ]);
    expect(tables.TableNames).toEqual(["state"]);
    expect(sent.names).not.toContain("ScanCommand");
  });

  it("removes its temporary storage when stopped", async () => {
    // Prepare
    const { aws } = await start();
    const directory = aws.s3.directory;

    // Act
    await aws.stop();

    // Assess
    expect(existsSync(directory)).toBe(false);
  });
});
