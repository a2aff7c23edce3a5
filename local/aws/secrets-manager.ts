/**
 * A small Secrets Manager for local mode and tests, speaking the AWS JSON 1.1 protocol the SDK uses
 * (`X-Amz-Target: secretsmanager.<Operation>`), so the real `SecretsManagerClient` talks to it and throws
 * its own exception classes for its errors. Covers CreateSecret, GetSecretValue, PutSecretValue,
 * DescribeSecret, DeleteSecret and ListSecrets with version stages (AWSCURRENT / AWSPREVIOUS).
 *
 * It never logs, and never puts a secret value in an error. Values persisted to `file` are stored in
 * plain text (mode 0600): this is a development stand-in, not a vault.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigurationError } from "../../functions/errors";

export interface StartSecretsManagerOptions {
  /** JSON file the secrets are loaded from and saved to after each change; in memory when absent. */
  file?: string;
  region?: string;
  accountId?: string;
}

export interface LocalSecretsManager {
  endpoint: string;
  /** Requests received for `operation` (e.g. "GetSecretValue"), or for all operations. */
  requestCount(operation?: string): number;
  stop(): Promise<void>;
}

interface SecretVersion {
  secretString?: string;
  /** Base64, as on the wire. */
  secretBinary?: string;
  createdDate: number;
  stages: string[];
}

interface StoredSecret {
  name: string;
  arn: string;
  description?: string;
  createdDate: number;
  lastChangedDate: number;
  lastAccessedDate?: number;
  /** Set when deletion is scheduled. */
  deletedDate?: number;
  deletionDate?: number;
  tags?: { Key: string; Value: string }[];
  versions: Record<string, SecretVersion>;
}

type Json = Record<string, unknown>;

const CURRENT = "AWSCURRENT";
const PREVIOUS = "AWSPREVIOUS";
const DAY_SECONDS = 86_400;

class ServiceError extends Error {
  override readonly name = "ServiceError";
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startSecretsManager(
  options: StartSecretsManagerOptions = {},
): Promise<LocalSecretsManager> {
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "000000000000";
  const secrets = new Map<string, StoredSecret>(
    options.file === undefined ? [] : (await load(options.file)).map((secret) => [secret.name, secret]),
  );
  const counts = new Map<string, number>();
  let saving = Promise.resolve();

  const save = async (): Promise<void> => {
    const file = options.file;
    if (file === undefined) return;
    // Serialised so that an older snapshot never overwrites a newer one.
    saving = saving.then(async () => {
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify([...secrets.values()], null, 2)}\n`, { mode: 0o600 });
      await rename(temporary, file);
    });
    await saving;
  };

  const operations: Record<string, (input: Json) => Json | Promise<Json>> = {
    CreateSecret: async (input) => {
      const name = requireString(input, "Name");
      const existing = secrets.get(name);
      if (existing?.deletedDate !== undefined) {
        throw new ServiceError(
          "InvalidRequestException",
          `You can't create this secret because a secret with this name is already scheduled for deletion.`,
        );
      }
      if (existing !== undefined) {
        throw new ServiceError(
          "ResourceExistsException",
          `The operation failed because the secret ${name} already exists.`,
        );
      }
      const value = secretValueOf(input);
      const now = nowSeconds();
      const secret: StoredSecret = {
        name,
        arn: `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${randomSuffix()}`,
        createdDate: now,
        lastChangedDate: now,
        versions: {},
      };
      const description = optionalString(input, "Description");
      if (description !== undefined) secret.description = description;
      if (Array.isArray(input.Tags)) secret.tags = input.Tags as StoredSecret["tags"];
      let versionId: string | undefined;
      if (value !== undefined) {
        versionId = optionalString(input, "ClientRequestToken") ?? randomUUID();
        secret.versions[versionId] = { ...value, createdDate: now, stages: [CURRENT] };
      }
      secrets.set(name, secret);
      await save();
      return { ARN: secret.arn, Name: name, ...(versionId === undefined ? {} : { VersionId: versionId }) };
    },

    GetSecretValue: async (input) => {
      const secret = findLive(secrets, requireString(input, "SecretId"));
      const [versionId, version] = selectVersion(secret, input);
      secret.lastAccessedDate = startOfDay(nowSeconds());
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: versionId,
        ...(version.secretString === undefined ? {} : { SecretString: version.secretString }),
        ...(version.secretBinary === undefined ? {} : { SecretBinary: version.secretBinary }),
        VersionStages: version.stages,
        CreatedDate: version.createdDate,
      };
    },

    PutSecretValue: async (input) => {
      const secret = findLive(secrets, requireString(input, "SecretId"));
      const value = secretValueOf(input);
      if (value === undefined) {
        throw new ServiceError(
          "InvalidParameterException",
          "You must provide either SecretString or SecretBinary.",
        );
      }
      const versionId = optionalString(input, "ClientRequestToken") ?? randomUUID();
      const stages = Array.isArray(input.VersionStages) ? (input.VersionStages as string[]) : [CURRENT];
      const existing = secret.versions[versionId];
      if (existing !== undefined) {
        if (existing.secretString !== value.secretString || existing.secretBinary !== value.secretBinary) {
          throw new ServiceError(
            "ResourceExistsException",
            `A version with ID ${versionId} already exists with a different secret value.`,
          );
        }
        return { ARN: secret.arn, Name: secret.name, VersionId: versionId, VersionStages: existing.stages };
      }
      const now = nowSeconds();
      for (const stage of stages) moveStage(secret, stage, versionId);
      secret.versions[versionId] = { ...value, createdDate: now, stages: [...stages] };
      secret.lastChangedDate = now;
      await save();
      return { ARN: secret.arn, Name: secret.name, VersionId: versionId, VersionStages: stages };
    },

    DescribeSecret: (input) => {
      const secret = find(secrets, requireString(input, "SecretId"));
      return {
        ARN: secret.arn,
        Name: secret.name,
        ...(secret.description === undefined ? {} : { Description: secret.description }),
        LastChangedDate: secret.lastChangedDate,
        ...(secret.lastAccessedDate === undefined ? {} : { LastAccessedDate: secret.lastAccessedDate }),
        ...(secret.deletedDate === undefined ? {} : { DeletedDate: secret.deletedDate }),
        ...(secret.tags === undefined ? {} : { Tags: secret.tags }),
        VersionIdsToStages: versionsToStages(secret),
        CreatedDate: secret.createdDate,
      };
    },

    DeleteSecret: async (input) => {
      const secret = find(secrets, requireString(input, "SecretId"));
      const force = input.ForceDeleteWithoutRecovery === true;
      const window = typeof input.RecoveryWindowInDays === "number" ? input.RecoveryWindowInDays : undefined;
      if (force && window !== undefined) {
        throw new ServiceError(
          "InvalidParameterException",
          "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        );
      }
      if (window !== undefined && (window < 7 || window > 30)) {
        throw new ServiceError(
          "InvalidParameterException",
          "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
        );
      }
      const now = nowSeconds();
      if (force) {
        secrets.delete(secret.name);
        await save();
        return { ARN: secret.arn, Name: secret.name, DeletionDate: now };
      }
      if (secret.deletedDate === undefined) {
        secret.deletedDate = now;
        secret.deletionDate = now + (window ?? 30) * DAY_SECONDS;
        await save();
      }
      return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deletionDate };
    },

    ListSecrets: (input) => {
      const maxResults = typeof input.MaxResults === "number" ? input.MaxResults : 100;
      if (maxResults < 1 || maxResults > 100) {
        throw new ServiceError("InvalidParameterException", "MaxResults must be between 1 and 100.");
      }
      const includeDeleted = input.IncludePlannedDeletion === true;
      const names = [...secrets.values()]
        .filter((secret) => includeDeleted || secret.deletedDate === undefined)
        .map((secret) => secret.name)
        .sort();
      const token = optionalString(input, "NextToken");
      const start = token === undefined ? 0 : decodeToken(token);
      const page = names.slice(start, start + maxResults);
      const next = start + maxResults < names.length ? encodeToken(start + maxResults) : undefined;
      return {
        SecretList: page.map((name) => {
          const secret = secrets.get(name) as StoredSecret;
          return {
            ARN: secret.arn,
            Name: secret.name,
            ...(secret.description === undefined ? {} : { Description: secret.description }),
            LastChangedDate: secret.lastChangedDate,
            ...(secret.deletedDate === undefined ? {} : { DeletedDate: secret.deletedDate }),
            SecretVersionsToStages: versionsToStages(secret),
            CreatedDate: secret.createdDate,
          };
        }),
        ...(next === undefined ? {} : { NextToken: next }),
      };
    },
  };

  const server = createServer((request, response) => {
    void handle(request, response, operations, counts);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requestCount(operation) {
      if (operation !== undefined) return counts.get(operation) ?? 0;
      let total = 0;
      for (const count of counts.values()) total += count;
      return total;
    },
    stop() {
      // Idempotent, so a test can stop a server early and still leave the rest to its cleanup.
      stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }).then(() => saving);
      return stopping;
    },
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  operations: Record<string, (input: Json) => Json | Promise<Json>>,
  counts: Map<string, number>,
): Promise<void> {
  try {
    const target = request.headers["x-amz-target"];
    const [service, operation = ""] = typeof target === "string" ? target.split(".") : [];
    const run = operations[operation];
    if (request.method !== "POST" || service !== "secretsmanager" || run === undefined) {
      throw new ServiceError("UnknownOperationException", `Unknown operation ${String(target)}`);
    }
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
    const input = parseBody(await readBody(request));
    send(response, 200, await run(input));
  } catch (error) {
    if (error instanceof ServiceError) {
      send(response, 400, { __type: error.type, message: error.message });
    } else {
      // Messages of this server's own failures (a file it cannot write, say) never hold secret values.
      send(response, 500, { __type: "InternalServiceError", message: String((error as Error).message) });
    }
  }
}

function send(response: ServerResponse, status: number, body: Json): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomUUID(),
  });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseBody(text: string): Json {
  try {
    const parsed: unknown = text === "" ? {} : JSON.parse(text);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Json;
  } catch {
    // Reported below as the service reports it.
  }
  throw new ServiceError("SerializationException", "The request body is not a JSON object.");
}

function requireString(input: Json, field: string): string {
  const value = input[field];
  if (typeof value !== "string" || value === "") {
    throw new ServiceError("InvalidParameterException", `You must provide a value for ${field}.`);
  }
  return value;
}

function optionalString(input: Json, field: string): string | undefined {
  const value = input[field];
  return typeof value === "string" ? value : undefined;
}

function secretValueOf(input: Json): Pick<SecretVersion, "secretString" | "secretBinary"> | undefined {
  const secretString = optionalString(input, "SecretString");
  const secretBinary = optionalString(input, "SecretBinary");
  if (secretString !== undefined && secretBinary !== undefined) {
    throw new ServiceError(
      "InvalidParameterException",
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (secretString !== undefined) return { secretString };
  if (secretBinary !== undefined) return { secretBinary };
  return undefined;
}

/** By name or by ARN, as the service accepts either. */
function find(secrets: Map<string, StoredSecret>, secretId: string): StoredSecret {
  const byName = secrets.get(secretId);
  if (byName !== undefined) return byName;
  for (const secret of secrets.values()) {
    if (secret.arn === secretId) return secret;
  }
  throw new ServiceError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
}

function findLive(secrets: Map<string, StoredSecret>, secretId: string): StoredSecret {
  const secret = find(secrets, secretId);
  if (secret.deletedDate !== undefined) {
    throw new ServiceError(
      "InvalidRequestException",
      "You can't perform this operation on the secret because it was marked for deletion.",
    );
  }
  return secret;
}

function selectVersion(secret: StoredSecret, input: Json): [string, SecretVersion] {
  const versionId = optionalString(input, "VersionId");
  const stage = optionalString(input, "VersionStage");
  if (versionId !== undefined) {
    const version = secret.versions[versionId];
    if (version === undefined || (stage !== undefined && !version.stages.includes(stage))) {
      throw new ServiceError(
        "ResourceNotFoundException",
        `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
      );
    }
    return [versionId, version];
  }
  const wanted = stage ?? CURRENT;
  for (const [id, version] of Object.entries(secret.versions)) {
    if (version.stages.includes(wanted)) return [id, version];
  }
  throw new ServiceError(
    "ResourceNotFoundException",
    `Secrets Manager can't find the specified secret value for staging label: ${wanted}`,
  );
}

/** A stage labels one version at a time; moving AWSCURRENT turns the old current into AWSPREVIOUS. */
function moveStage(secret: StoredSecret, stage: string, toVersionId: string): void {
  for (const [id, version] of Object.entries(secret.versions)) {
    if (id === toVersionId || !version.stages.includes(stage)) continue;
    version.stages = version.stages.filter((label) => label !== stage);
    if (stage === CURRENT) {
      for (const other of Object.values(secret.versions)) {
        other.stages = other.stages.filter((label) => label !== PREVIOUS);
      }
      version.stages.push(PREVIOUS);
    }
  }
}

function versionsToStages(secret: StoredSecret): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [id, version] of Object.entries(secret.versions)) {
    if (version.stages.length > 0) out[id] = version.stages;
  }
  return out;
}

function nowSeconds(): number {
  return Date.now() / 1000;
}

/** The service records the date of last access, not the time. */
function startOfDay(seconds: number): number {
  return Math.floor(seconds / DAY_SECONDS) * DAY_SECONDS;
}

function randomSuffix(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return [...randomBytes(6)].map((byte) => alphabet[byte % alphabet.length]).join("");
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString("base64");
}

function decodeToken(token: string): number {
  try {
    const { offset } = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { offset: unknown };
    if (typeof offset === "number" && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // Reported below as the service reports it.
  }
  throw new ServiceError("InvalidNextTokenException", "The NextToken value is invalid.");
}

async function load(file: string): Promise<StoredSecret[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) {
    throw new ConfigurationError(`${file} does not hold a list of secrets: fix or remove the file`);
  }
  return parsed as StoredSecret[];
}
