import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  ResourceNotFoundException,
  ScanCommand,
  type ScanCommandOutput,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClients } from "../../../functions/aws/clients";
import { type LocalDynamo, startDynamo } from "../../../local/aws/dynamodb";
import { waitUntilActive } from "../../../local/aws/local-aws";

const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

describe("local DynamoDB (dynalite)", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(directory?: string): Promise<{ dynamo: LocalDynamo; client: DynamoDBClient }> {
    const dynamo = await startDynamo(directory === undefined ? {} : { directory });
    const { dynamodb: client } = createAwsClients({
      region: "us-east-1",
      endpoints: { dynamodb: dynamo.endpoint },
      credentials: CREDENTIALS,
    });
    cleanups.push(
      () => dynamo.stop(),
      () => client.destroy(),
    );
    return { dynamo, client };
  }

  async function createTable(client: DynamoDBClient, name: string, sortKey?: string): Promise<void> {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          ...(sortKey === undefined ? [] : [{ AttributeName: sortKey, AttributeType: "S" as const }]),
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          ...(sortKey === undefined ? [] : [{ AttributeName: sortKey, KeyType: "RANGE" as const }]),
        ],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    await waitUntilActive(client, name);
  }

  it("rejects a write whose ConditionExpression fails with the SDK's ConditionalCheckFailedException", async () => {
    // Prepare
    const { client } = await start();
    await createTable(client, "table");
    const put = () =>
      client.send(
        new PutItemCommand({
          TableName: "table",
          Item: { pk: { S: "a" } },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );

    // Act
    await put();
    const second = put();

    // Assess
    await expect(second).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });

  it("returns the item before or after an UpdateItem as ReturnValues asks", async () => {
    // Prepare
    const { client } = await start();
    await createTable(client, "table");
    await client.send(new PutItemCommand({ TableName: "table", Item: { pk: { S: "a" }, n: { N: "1" } } }));
    const increment = (returnValues: "ALL_NEW" | "UPDATED_OLD") =>
      client.send(
        new UpdateItemCommand({
          TableName: "table",
          Key: { pk: { S: "a" } },
          UpdateExpression: "SET #n = #n + :one REMOVE #gone",
          ExpressionAttributeNames: { "#n": "n", "#gone": "gone" },
          ExpressionAttributeValues: { ":one": { N: "1" } },
          ReturnValues: returnValues,
        }),
      );

    // Act
    const after = await increment("ALL_NEW");
    const before = await increment("UPDATED_OLD");

    // Assess
    expect(after.Attributes).toEqual({ pk: { S: "a" }, n: { N: "2" } });
    expect(before.Attributes).toEqual({ n: { N: "2" } });
  });

  it("pages Query and Scan results with Limit and LastEvaluatedKey", async () => {
    // Prepare
    const { client } = await start();
    await createTable(client, "table", "sk");
    for (const sk of ["1", "2", "3", "4", "5"]) {
      await client.send(new PutItemCommand({ TableName: "table", Item: { pk: { S: "p" }, sk: { S: sk } } }));
    }
    await client.send(
      new PutItemCommand({ TableName: "table", Item: { pk: { S: "other" }, sk: { S: "1" } } }),
    );

    // Act
    const queried: string[] = [];
    let queryPages = 0;
    let queryStart: QueryCommandOutput["LastEvaluatedKey"];
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: "table",
          KeyConditionExpression: "pk = :p",
          ExpressionAttributeValues: { ":p": { S: "p" } },
          Limit: 2,
          ExclusiveStartKey: queryStart,
        }),
      );
      queryPages += 1;
      queried.push(...(page.Items ?? []).map((item) => item.sk?.S ?? ""));
      queryStart = page.LastEvaluatedKey;
    } while (queryStart !== undefined);
    let scanned = 0;
    let scanPages = 0;
    let scanStart: ScanCommandOutput["LastEvaluatedKey"];
    do {
      const page = await client.send(
        new ScanCommand({ TableName: "table", Limit: 4, ExclusiveStartKey: scanStart }),
      );
      scanPages += 1;
      scanned += page.Items?.length ?? 0;
      scanStart = page.LastEvaluatedKey;
    } while (scanStart !== undefined);

    // Assess
    expect(queried).toEqual(["1", "2", "3", "4", "5"]);
    expect(queryPages).toBeGreaterThanOrEqual(3);
    expect(scanned).toBe(6);
    expect(scanPages).toBeGreaterThanOrEqual(2);
  });

  it("answers UpdateTimeToLive and DescribeTimeToLive as DynamoDB does", async () => {
    // Prepare
    const { client } = await start();
    await createTable(client, "table");
    const enable = () =>
      client.send(
        new UpdateTimeToLiveCommand({
          TableName: "table",
          TimeToLiveSpecification: { Enabled: true, AttributeName: "expiresAt" },
        }),
      );

    // Act
    const before = await client.send(new DescribeTimeToLiveCommand({ TableName: "table" }));
    const updated = await enable();
    const after = await client.send(new DescribeTimeToLiveCommand({ TableName: "table" }));
    const twice = enable();
    const missing = client.send(new DescribeTimeToLiveCommand({ TableName: "missing" }));

    // Assess
    expect(before.TimeToLiveDescription).toEqual({ TimeToLiveStatus: "DISABLED" });
    expect(updated.TimeToLiveSpecification).toEqual({ Enabled: true, AttributeName: "expiresAt" });
    expect(after.TimeToLiveDescription).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" });
    await expect(twice).rejects.toMatchObject({
      name: "ValidationException",
      message: "TimeToLive is already enabled",
    });
    await expect(missing).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it("keeps tables, items and TTL settings in a given directory across restarts", async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), "saddledata-test-dynamo-"));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const first = await start(directory);
    await createTable(first.client, "table");
    await first.client.send(new PutItemCommand({ TableName: "table", Item: { pk: { S: "kept" } } }));
    await first.client.send(
      new UpdateTimeToLiveCommand({
        TableName: "table",
        TimeToLiveSpecification: { Enabled: true, AttributeName: "expiresAt" },
      }),
    );
    await first.dynamo.stop();

    // Act
    const second = await start(directory);
    const item = await second.client.send(
      new GetItemCommand({ TableName: "table", Key: { pk: { S: "kept" } } }),
    );
    const ttl = await second.client.send(new DescribeTimeToLiveCommand({ TableName: "table" }));

    // Assess
    expect(item.Item).toEqual({ pk: { S: "kept" } });
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe("ENABLED");
  });
});
