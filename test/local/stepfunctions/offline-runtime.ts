import { createAwsClients } from "../../../functions/aws/clients";
import { parseSettings } from "../../../functions/core/settings";
import { createRuntime, type Runtime } from "../../../functions/runtime/runtime";

/**
 * A runtime whose clients point at a closed port: for runs whose handlers are scripted and never reach
 * AWS, so only the state machine's own behaviour is under test.
 */
export function offlineRuntime(): { runtime: Runtime; stop(): void } {
  const nowhere = "http://127.0.0.1:9";
  const clients = createAwsClients({
    region: "us-east-1",
    endpoints: { s3: nowhere, dynamodb: nowhere, secretsManager: nowhere },
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  const runtime = createRuntime(
    {
      connection: "acme",
      bucket: "acme-data",
      prefix: "lake/",
      table: "acme-state",
      secretId: "acme",
      apiVersion: "62.0",
      settings: parseSettings({}, "test"),
    },
    { clients, log: { debug() {}, info() {}, warn() {}, error() {} } },
  );
  return {
    runtime,
    stop() {
      clients.s3.destroy();
      clients.dynamodb.destroy();
      clients.secretsManager.destroy();
    },
  };
}
