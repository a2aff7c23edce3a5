/**
 * One command's working set: the local environment (embedded services under the state folder, or real
 * AWS), the runtime built from it, and a redactor for anything printed. Opened from the shared options,
 * closed in `finally`, so nothing is left running.
 */
import { resolve } from "node:path";
import { ConfigurationError } from "../../functions/errors";
import type { Runtime } from "../../functions/runtime/runtime";
import { type LocalEnvironment, type LocalEnvironmentOptions, startLocalEnvironment } from "../environment";
import { cliLog, cliMetrics } from "./cli-log";
import { resolveCredentials } from "./credentials-source";
import {
  type CredentialOptions,
  DEFAULT_STATE_DIR,
  type OutputOptions,
  type StorageOptions,
} from "./options";
import { readSettingsFile } from "./settings-file";
import { lockStateDir } from "./state-lock";
import type { Terminal } from "./terminal";

export interface Session {
  env: LocalEnvironment;
  runtime: Runtime;
  /** Where the data goes, for people: the state folder or s3://bucket. */
  storage: string;
  /** The state folder, with the embedded services. */
  stateDir?: string;
  /** The embedded services' region (absent with real AWS). */
  region?: string;
  /** The sync Map's concurrency from a deployment config, when given. */
  mapConcurrency?: number;
  /** The connection's schedule from a deployment config, when it has one. */
  schedule?: { expression: string; timeZone?: string };
  redact(text: string): string;
  stop(): Promise<void>;
}

export type SessionOptions = StorageOptions & CredentialOptions & OutputOptions;

const MASK = "[redacted]";

export function redactor(values: string[]): (text: string) => string {
  const secrets = values.filter((value) => value.length >= 4);
  return (text) => secrets.reduce((out, secret) => out.split(secret).join(MASK), text);
}

export async function openSession(
  options: SessionOptions,
  terminal: Terminal,
  needs: { credentials: boolean },
): Promise<Session> {
  if ((options.bucket === undefined) !== (options.table === undefined)) {
    throw new ConfigurationError(
      "Give --bucket and --table together to use AWS, or neither to use the embedded services under --state-dir.",
    );
  }
  const file =
    options.settings === undefined ? undefined : await readSettingsFile(options.settings, options.connection);
  const credentials = needs.credentials ? await resolveCredentials(options, terminal.env) : undefined;

  const environment: LocalEnvironmentOptions = {
    connection: options.connection ?? file?.connection ?? "local",
    settings: file?.settings ?? {},
    log: cliLog(terminal, options.verbose === true),
    metrics: cliMetrics(
      terminal,
      options.connection ?? file?.connection ?? "local",
      options.verbose === true,
    ),
  };
  const prefix = options.prefix ?? file?.prefix;
  if (prefix !== undefined) environment.prefix = prefix;
  if (file?.apiVersion !== undefined) environment.apiVersion = file.apiVersion;
  if (credentials) {
    environment.secretId = credentials.secretId;
    if (credentials.secrets) environment.secrets = credentials.secrets;
  }
  let stateDir: string | undefined;
  let storage: string;
  if (options.bucket !== undefined && options.table !== undefined) {
    environment.aws = {
      bucket: options.bucket,
      table: options.table,
      ...(options.region === undefined ? {} : { region: options.region }),
    };
    storage = `s3://${options.bucket} and DynamoDB table ${options.table}`;
  } else {
    stateDir = resolve(terminal.cwd, options.stateDir ?? DEFAULT_STATE_DIR);
    environment.directory = stateDir;
    storage = `${stateDir} (embedded S3 and DynamoDB)`;
  }
  const unlock = stateDir === undefined ? async () => undefined : await lockStateDir(stateDir);
  let env: LocalEnvironment;
  try {
    env = await startLocalEnvironment(environment);
  } catch (error) {
    await unlock();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  const session: Session = {
    env,
    runtime: env.runtime,
    storage,
    redact: redactor(credentials?.secretValues ?? []),
    stop: () => {
      stopping ??= env.stop().finally(unlock);
      return stopping;
    },
  };
  if (stateDir !== undefined) session.stateDir = stateDir;
  if (env.aws) session.region = env.aws.region;
  if (file?.mapConcurrency !== undefined) session.mapConcurrency = file.mapConcurrency;
  if (file?.schedule !== undefined) session.schedule = file.schedule;
  return session;
}
