// local/: local mode: the same runtime wired to embedded AWS services
/**
 * Local mode's composition root: the same `Runtime` the Lambdas build from their environment, wired
 * to the embedded S3 / DynamoDB / Secrets Manager (or to real AWS when a bucket and table are named).
 * The command line, the end-to-end tests and the benchmarks all start here.
 */
import { join } from "node:path";
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { type AwsClients, createAwsClients } from "../functions/aws/clients";
import { type Log, type Metrics, NO_METRICS, type SecretSource } from "../functions/core/ports";
import { parseSettings } from "../functions/core/settings";
import { createRuntime, type Runtime, type RuntimeConfig } from "../functions/runtime/runtime";
import { DEFAULT_API_VERSION } from "../functions/salesforce/client";
import { DEFAULT_LOCAL_BUCKET, DEFAULT_STATE_TABLE, type LocalAws, startLocalAws } from "./aws/local-aws";
import type { DuckDbLakeEngine } from "./lake/duckdb-engine";

export interface LocalEnvironmentOptions {
  /** State folder for the embedded services (`.saddledata/`); in memory when absent. */
  directory?: string;
  connection?: string;
  /** Connection settings (validated with the same schema as the CDK config). */
  settings?: unknown;
  /** Credentials document to store as the connection's secret (local Secrets Manager). */
  credentials?: Record<string, unknown>;
  /** Use this existing secret instead (with real AWS, a Secrets Manager secret id or ARN). */
  secretId?: string;
  /**
   * Read the secret from here instead of Secrets Manager: credentials the command line took from the
   * environment or a file, which must not be written to a secret (least of all in a real account).
   */
  secrets?: SecretSource;
  /** Real AWS instead of the embedded services: the standard credential chain and endpoint variables. */
  aws?: { bucket: string; table: string; region?: string };
  prefix?: string;
  apiVersion?: string;
  log?: Log;
  /**
   * Where the runtime's metrics go. Default: nowhere, like the log without `--verbose`: in a Lambda they
   * are EMF lines on stdout for CloudWatch, which on one machine would only clutter the output.
   */
  metrics?: Metrics;
  /** Where the local lake keeps downloaded files (default: `<directory>/lake-cache`, else a temporary folder). */
  lakeCacheDir?: string;
}

export interface LocalEnvironment {
  runtime: Runtime;
  clients: AwsClients;
  /** The embedded services, when used. */
  aws?: LocalAws;
  stop(): Promise<void>;
}

async function putSecret(client: SecretsManagerClient, name: string, value: string): Promise<void> {
  try {
    await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
  }
}

export async function startLocalEnvironment(
  options: LocalEnvironmentOptions = {},
): Promise<LocalEnvironment> {
  const connection = options.connection ?? "local";
  const settings = parseSettings(options.settings ?? {}, "the local settings");
  let aws: LocalAws | undefined;
  let clients: AwsClients;
  let bucket: string;
  let table: string;
  if (options.aws) {
    clients = createAwsClients(options.aws.region ? { region: options.aws.region } : {});
    bucket = options.aws.bucket;
    table = options.aws.table;
  } else {
    aws = await startLocalAws({
      buckets: [DEFAULT_LOCAL_BUCKET],
      tableName: DEFAULT_STATE_TABLE,
      ...(options.directory ? { directory: options.directory } : {}),
    });
    clients = createAwsClients({
      region: aws.region,
      endpoints: aws.endpoints,
      credentials: aws.credentials,
    });
    bucket = DEFAULT_LOCAL_BUCKET;
    table = aws.tableName;
  }
  try {
    const secretId = options.secretId ?? `saddledata/${connection}`;
    if (options.credentials)
      await putSecret(clients.secretsManager, secretId, JSON.stringify(options.credentials));
    const config: RuntimeConfig = {
      connection,
      bucket,
      prefix: options.prefix ?? "",
      table,
      secretId,
      apiVersion: options.apiVersion ?? DEFAULT_API_VERSION,
      settings,
    };
    let lake: DuckDbLakeEngine | undefined;
    const lakeCacheDir =
      options.lakeCacheDir ?? (options.directory ? join(options.directory, "lake-cache") : undefined);
    const runtime = createRuntime(config, {
      clients,
      ...(options.log ? { log: options.log } : {}),
      metrics: options.metrics ?? NO_METRICS,
      ...(options.secrets ? { secrets: options.secrets } : {}),
      // The lake engine on one machine: DuckDB over the bucket, loaded only when a merge needs it.
      lake: async (built) => {
        const { DuckDbLakeEngine } = await import("./lake/duckdb-engine");
        lake = new DuckDbLakeEngine({
          store: built.store,
          state: built.state,
          layout: built.layout,
          connection: built.config.connection,
          log: built.log,
          ...(lakeCacheDir === undefined ? {} : { cacheDir: lakeCacheDir }),
        });
        return lake;
      },
    });
    return {
      runtime,
      clients,
      aws,
      async stop() {
        await lake?.close();
        clients.s3.destroy();
        clients.dynamodb.destroy();
        clients.secretsManager.destroy();
        await aws?.stop();
      },
    };
  } catch (error) {
    await aws?.stop();
    throw error;
  }
}
