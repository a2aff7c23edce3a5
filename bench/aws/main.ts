/**
 * The benchmark's AWS process: embedded S3, DynamoDB and Secrets Manager (`startLocalAws`) in a process
 * of their own, so that storing uploaded parts (s3rver writes them to disk) is not counted in the
 * connector's memory or CPU. Prints one `LocalAwsReady` JSON line, then serves until its stdin closes.
 */
import { startLocalAws } from "../../local/aws/local-aws";
import { readJsonArgument, waitForShutdown, writeReady } from "../process/child-io";

export interface LocalAwsRequest {
  bucket: string;
}

export interface LocalAwsReady {
  region: string;
  bucket: string;
  table: string;
  endpoints: { s3: string; dynamodb: string; secretsManager: string };
  credentials: { accessKeyId: string; secretAccessKey: string };
}

const request = readJsonArgument<LocalAwsRequest>();
const aws = await startLocalAws({ buckets: [request.bucket] });
const ready: LocalAwsReady = {
  region: aws.region,
  bucket: request.bucket,
  table: aws.tableName,
  endpoints: aws.endpoints,
  credentials: aws.credentials,
};
writeReady(ready);
await waitForShutdown();
await aws.stop();
