/**
 * `SecretSource` over Secrets Manager with a warm cache: a Lambda container reads each secret at most
 * once per TTL, however many invocations it serves. A secret's value never appears in an error.
 */
import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import type { SecretSource } from "../core/ports";
import { ConfigurationError } from "../errors";
import { errorName, isAccessDenied, transientOr } from "./aws-errors";

export const SECRET_CACHE_TTL_MS = 5 * 60 * 1000;

export interface SecretsManagerSecretSourceOptions {
  ttlMs?: number;
  /** Epoch milliseconds; replaceable so tests can move time. */
  now?: () => number;
}

interface CacheEntry {
  value: Promise<string>;
  expiresAt: number;
}

/** Errors that retrying cannot fix; everything else about a read is left to `transientOr`. */
const CONFIGURATION_ERRORS: Record<string, string> = {
  ResourceNotFoundException:
    "does not exist (or has no current value) in Secrets Manager: create it, or fix the secret id",
  InvalidRequestException:
    "cannot be read (it may be scheduled for deletion): restore it, or point to another secret",
  DecryptionFailure: "cannot be decrypted with its KMS key: give the role kms:Decrypt on that key",
};

export class SecretsManagerSecretSource implements SecretSource {
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly client: SecretsManagerClient,
    options: SecretsManagerSecretSourceOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? SECRET_CACHE_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  getSecretString(secretId: string): Promise<string> {
    const now = this.now();
    const cached = this.cache.get(secretId);
    if (cached !== undefined && cached.expiresAt > now) return cached.value;
    // Concurrent callers share one request; a failed read is not cached, so the next call tries again.
    const value = this.read(secretId);
    this.cache.set(secretId, { value, expiresAt: now + this.ttlMs });
    value.catch(() => {
      if (this.cache.get(secretId)?.value === value) this.cache.delete(secretId);
    });
    return value;
  }

  private async read(secretId: string): Promise<string> {
    let output: GetSecretValueCommandOutput;
    try {
      output = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    } catch (error) {
      throw this.translate(error, secretId);
    }
    if (output.SecretString === undefined) {
      throw new ConfigurationError(
        `Secret ${secretId} holds a binary value, not a string: store the credentials as a JSON string`,
      );
    }
    return output.SecretString;
  }

  private translate(error: unknown, secretId: string): unknown {
    const name = errorName(error);
    const problem = CONFIGURATION_ERRORS[name];
    if (problem !== undefined) {
      return new ConfigurationError(`Secret ${secretId} ${problem}`, { code: name, cause: error });
    }
    if (isAccessDenied(error)) {
      return new ConfigurationError(
        `Reading secret ${secretId} was refused (${name}): give the role secretsmanager:GetSecretValue on it`,
        { code: name, cause: error },
      );
    }
    return transientOr(error, `Reading secret ${secretId}`);
  }
}
