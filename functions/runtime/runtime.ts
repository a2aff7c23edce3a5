import { createHash } from "node:crypto";
import { type AwsClients, createAwsClients } from "../aws/clients";
import { DynamoStateStore } from "../aws/dynamo-state-store";
import { S3ObjectStore } from "../aws/s3-object-store";
import { SecretsManagerSecretSource } from "../aws/secrets-manager-secret-source";
import { ENV } from "../contract";
import type { LakeEngine } from "../core/lake/lake-engine";
import { Layout } from "../core/layout";
import type { Log, Metrics, ObjectStore, SecretSource, StateStore } from "../core/ports";
import { type ConnectorSettings, parseSettings } from "../core/settings";
import { ConfigurationError } from "../errors";
import { DEFAULT_API_VERSION, SalesforceClient } from "../salesforce/client";
import { parseCredentials, secretValuesOf } from "../salesforce/credentials";
import { createLogger } from "./log";
import { createEmfMetrics } from "./metrics";
import { RedactingLog } from "./redacting-log";

/** What every Lambda needs to know, from its environment (set by the CDK stack). */
export interface RuntimeConfig {
  connection: string;
  bucket: string;
  prefix: string;
  table: string;
  secretId: string;
  apiVersion: string;
  settings: ConnectorSettings;
  /** The lake's Glue database and Athena workgroup: set for the functions that merge (the stack's useLake). */
  lake?: { database: string; workgroup: string };
}

export function readRuntimeConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): RuntimeConfig {
  const missing = (["connection", "bucket", "table", "secretId"] as const).filter((name) => !env[ENV[name]]);
  if (missing.length > 0) {
    throw new ConfigurationError(
      `The function's environment lacks ${missing.map((name) => ENV[name]).join(", ")}: deploy it with the SaddleData CDK stack, or set them for local runs.`,
    );
  }
  let settings: unknown = {};
  const raw = env[ENV.settings];
  if (raw) {
    try {
      settings = JSON.parse(raw);
    } catch {
      throw new ConfigurationError(`${ENV.settings} is not valid JSON.`);
    }
  }
  return {
    connection: env[ENV.connection] as string,
    bucket: env[ENV.bucket] as string,
    prefix: env[ENV.prefix] ?? "",
    table: env[ENV.table] as string,
    secretId: env[ENV.secretId] as string,
    apiVersion: env[ENV.apiVersion] || DEFAULT_API_VERSION,
    settings: parseSettings(settings, ENV.settings),
    ...(env[ENV.glueDatabase] && env[ENV.athenaWorkgroup]
      ? { lake: { database: env[ENV.glueDatabase] as string, workgroup: env[ENV.athenaWorkgroup] as string } }
      : {}),
  };
}

/** The adapters a handler works with, built once per cold start (or once per local run). */
export interface Runtime {
  readonly config: RuntimeConfig;
  readonly layout: Layout;
  readonly store: ObjectStore;
  readonly state: StateStore;
  readonly log: Log;
  /** The connection's CloudWatch metrics (embedded metric format). */
  readonly metrics: Metrics;
  /** The Salesforce client for the connection's credentials (re-read when the secret changes). */
  salesforce(): Promise<SalesforceClient>;
  /** The secret's `hashKey` for `hashFields` (undefined: none); a secret, like the credentials. */
  hashKey(): Promise<string | undefined>;
  /** Any bucket (a load may be started for a file in another bucket). */
  storeFor(bucket: string): ObjectStore;
  /** The engine that runs the lake's SQL (built on first use, then reused). */
  lake(): Promise<LakeEngine>;
}

export interface RuntimeOptions {
  clients?: AwsClients;
  secrets?: SecretSource;
  log?: Log;
  /** Where metrics go. Default: EMF documents on stdout, which CloudWatch Logs turns into metrics. */
  metrics?: Metrics;
  /**
   * Builds the lake engine from the runtime (local mode: DuckDB over the bucket). Default: Athena and
   * Glue, when the environment names the lake's database and workgroup.
   */
  lake?: (runtime: Runtime) => LakeEngine | Promise<LakeEngine>;
}

export function createRuntime(config: RuntimeConfig, options: RuntimeOptions = {}): Runtime {
  const clients = options.clients ?? createAwsClients();
  const secrets = options.secrets ?? new SecretsManagerSecretSource(clients.secretsManager);
  const log = new RedactingLog(options.log ?? createLogger());
  const stores = new Map<string, ObjectStore>();
  const storeFor = (bucket: string) => {
    let store = stores.get(bucket);
    if (!store) {
      store = new S3ObjectStore(clients.s3, bucket);
      stores.set(bucket, store);
    }
    return store;
  };
  let cached: { fingerprint: string; client: SalesforceClient; hashKey: string | undefined } | undefined;
  let lake: Promise<LakeEngine> | undefined;
  const runtime: Runtime = {
    config,
    layout: new Layout(config.prefix),
    store: storeFor(config.bucket),
    state: new DynamoStateStore(clients.dynamodb, config.table),
    log,
    metrics: options.metrics ?? createEmfMetrics({ connection: config.connection }),
    storeFor,
    async salesforce() {
      const text = await secrets.getSecretString(config.secretId);
      const fingerprint = createHash("sha256").update(text).digest("hex");
      if (cached?.fingerprint !== fingerprint) {
        const credentials = parseCredentials(text, `secret ${config.secretId}`);
        log.addSecrets(text, ...secretValuesOf(credentials));
        cached = {
          fingerprint,
          client: new SalesforceClient({ credentials, apiVersion: config.apiVersion }),
          hashKey: credentials.hashKey,
        };
        const client = cached.client;
        // The access token is a secret too: scrub it from logs once known.
        void client.session().then(
          (session) => log.addSecrets(session.accessToken),
          () => undefined,
        );
      }
      return cached.client;
    },
    async hashKey() {
      await runtime.salesforce();
      return cached?.hashKey;
    },
    lake() {
      const athena = config.lake;
      const build =
        options.lake ??
        (athena &&
          (async () => {
            // Only the lake function merges: the others never load the Athena and Glue clients.
            const { createAthenaLakeEngine } = await import("../aws/athena-lake-engine");
            return createAthenaLakeEngine({
              ...athena,
              bucket: config.bucket,
              layout: runtime.layout,
              log,
              store: runtime.store,
            });
          }));
      if (build === undefined) {
        return Promise.reject(
          new ConfigurationError(
            "No lake engine is configured for this runtime: the lake's merge needs one (DuckDB on one machine, Athena in AWS).",
          ),
        );
      }
      lake ??= Promise.resolve()
        .then(() => build(runtime))
        .catch((error: unknown) => {
          lake = undefined;
          throw error;
        });
      return lake;
    },
  };
  return runtime;
}
