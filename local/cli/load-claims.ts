/**
 * The load claims in the state table, newest first, for `saddledata status`. The StateStore port reads
 * one claim by its file version; a listing is only wanted here, so it is a read-only scan of the items
 * DynamoStateStore writes (`pk = load#<bucket>/<key>#<version>`).
 */
import { type AttributeValue, type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { STATE_TABLE_PARTITION_KEY } from "../../functions/contract";
import type { FileClaim, FileStatus } from "../../functions/core/ports";

const FILE_PREFIX = "load#";

function text(value: AttributeValue | undefined): string | undefined {
  return value !== undefined && "S" in value ? value.S : undefined;
}

export async function listLoadClaims(
  client: DynamoDBClient,
  table: string,
  limit: number,
): Promise<FileClaim[]> {
  const claims: FileClaim[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: "begins_with(#pk, :prefix)",
        ExpressionAttributeNames: { "#pk": STATE_TABLE_PARTITION_KEY },
        ExpressionAttributeValues: { ":prefix": { S: FILE_PREFIX } },
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    for (const item of page.Items ?? []) {
      const claim: FileClaim = {
        bucket: text(item.bucket) ?? "",
        key: text(item.key) ?? "",
        version: text(item.version) ?? "",
        runId: text(item.runId) ?? "",
        status: (text(item.status) ?? "loading") as FileStatus,
        claimedAt: text(item.claimedAt) ?? "",
      };
      const finishedAt = text(item.finishedAt);
      if (finishedAt !== undefined) claim.finishedAt = finishedAt;
      const summaryKey = text(item.summaryKey);
      if (summaryKey !== undefined) claim.summaryKey = summaryKey;
      claims.push(claim);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  claims.sort((a, b) => b.claimedAt.localeCompare(a.claimedAt));
  return claims.slice(0, limit);
}
