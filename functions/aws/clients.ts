// functions/aws/: adapters implementing the core's ports over S3, DynamoDB and Secrets Manager
/**
 * The one place SDK clients are built, for Lambda and for local mode. A handler calls
 * `createAwsClients()` once per cold start and hands the clients to the adapters, so tests can build
 * their own against the local services.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

export interface AwsEndpoints {
  s3?: string;
  dynamodb?: string;
  secretsManager?: string;
}

export type AwsCredentials = NonNullable<S3ClientConfig["credentials"]>;

export interface AwsClientsOptions {
  region?: string;
  /** Each defaults to its standard environment variable, then to `AWS_ENDPOINT_URL`, then to AWS. */
  endpoints?: AwsEndpoints;
  /** Defaults to the SDK's provider chain (the Lambda role, the environment, a profile). */
  credentials?: AwsCredentials;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface AwsClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  secretsManager: SecretsManagerClient;
}

/** Region local endpoints use when none is configured: they accept any. */
export const LOCAL_REGION = "us-east-1";

export function createAwsClients(options: AwsClientsOptions = {}): AwsClients {
  const env = options.env ?? process.env;
  const endpoints = { ...resolveEndpoints(env), ...definedOnly(options.endpoints ?? {}) };
  const anyLocal = Object.values(endpoints).some((url) => url !== undefined && isLocalEndpoint(url));
  const region =
    options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (anyLocal ? LOCAL_REGION : undefined);
  const common = {
    ...(region === undefined ? {} : { region }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  };

  return {
    s3: new S3Client({
      ...common,
      ...(endpoints.s3 === undefined ? {} : { endpoint: endpoints.s3 }),
      ...(endpoints.s3 !== undefined && isLocalEndpoint(endpoints.s3) ? LOCAL_S3_SETTINGS : {}),
    }),
    dynamodb: new DynamoDBClient({
      ...common,
      ...(endpoints.dynamodb === undefined ? {} : { endpoint: endpoints.dynamodb }),
    }),
    secretsManager: new SecretsManagerClient({
      ...common,
      ...(endpoints.secretsManager === undefined ? {} : { endpoint: endpoints.secretsManager }),
    }),
  };
}

/**
 * What an S3 emulator (s3rver) needs. By default the SDK adds flexible checksums and sends streamed
 * bodies `aws-chunked` with a trailing checksum; s3rver does not decode that framing and stores it as
 * part of the object. It also serves buckets by path only.
 */
export const LOCAL_S3_SETTINGS = {
  forcePathStyle: true,
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED",
} as const satisfies S3ClientConfig;

/** The SDK's standard endpoint variables; a service-specific one wins over `AWS_ENDPOINT_URL`. */
export function resolveEndpoints(env: Readonly<Record<string, string | undefined>>): AwsEndpoints {
  const fallback = nonEmpty(env.AWS_ENDPOINT_URL);
  return definedOnly({
    s3: nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? fallback,
    dynamodb: nonEmpty(env.AWS_ENDPOINT_URL_DYNAMODB) ?? fallback,
    secretsManager: nonEmpty(env.AWS_ENDPOINT_URL_SECRETS_MANAGER) ?? fallback,
  });
}

/** An endpoint on this machine: an emulator, never AWS. */
export function isLocalEndpoint(url: string): boolean {
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return false;
  }
  return (
    hostname === "localhost" ||
    hostname.endsWith(".localhost") ||
    hostname === "[::1]" ||
    /^127(\.\d{1,3}){3}$/.test(hostname)
  );
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function definedOnly(endpoints: AwsEndpoints): AwsEndpoints {
  const out: AwsEndpoints = {};
  if (endpoints.s3 !== undefined) out.s3 = endpoints.s3;
  if (endpoints.dynamodb !== undefined) out.dynamodb = endpoints.dynamodb;
  if (endpoints.secretsManager !== undefined) out.secretsManager = endpoints.secretsManager;
  return out;
}
