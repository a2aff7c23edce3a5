import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClients } from "../../../functions/aws/clients";
import {
  SECRET_CACHE_TTL_MS,
  SecretsManagerSecretSource,
} from "../../../functions/aws/secrets-manager-secret-source";
import { ConfigurationError } from "../../../functions/errors";
import { type LocalSecretsManager, startSecretsManager } from "../../../local/aws/secrets-manager";

const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };
const VALUE = '{"clientId":"3MVG9","clientSecret":"s3cr3t-value"}';

function clientFor(endpoint: string): SecretsManagerClient {
  return createAwsClients({
    region: "us-east-1",
    endpoints: { secretsManager: endpoint },
    credentials: CREDENTIALS,
  }).secretsManager;
}

describe("SecretsManagerSecretSource", () => {
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;
  let secrets = 0;

  /** A secret no other test reads, so request counts are this test's own. */
  async function freshSecret(value = VALUE): Promise<string> {
    secrets += 1;
    const name = `saddledata/test-${secrets}`;
    await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    return name;
  }

  function gets(): number {
    return server.requestCount("GetSecretValue");
  }

  beforeAll(async () => {
    server = await startSecretsManager();
    client = clientFor(server.endpoint);
  });

  afterAll(async () => {
    client.destroy();
    await server.stop();
  });

  it("reads a secret once per TTL however often it is asked for", async () => {
    // Prepare
    const secretId = await freshSecret();
    let now = 1_000_000;
    const source = new SecretsManagerSecretSource(client, { now: () => now });
    const before = gets();

    // Act
    const values = await Promise.all([source.getSecretString(secretId), source.getSecretString(secretId)]);
    now += SECRET_CACHE_TTL_MS - 1;
    values.push(await source.getSecretString(secretId));
    const withinTtl = gets() - before;
    now += 1;
    values.push(await source.getSecretString(secretId));
    const afterTtl = gets() - before;

    // Assess
    expect(values).toEqual([VALUE, VALUE, VALUE, VALUE]);
    expect(withinTtl).toBe(1);
    expect(afterTtl).toBe(2);
  });

  it("sees a rotated value once the cached one expires", async () => {
    // Prepare
    const secretId = await freshSecret("old");
    let now = 0;
    const source = new SecretsManagerSecretSource(client, { ttlMs: 1000, now: () => now });
    await source.getSecretString(secretId);
    await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: "new" }));

    // Act
    const cached = await source.getSecretString(secretId);
    now = 1000;
    const fresh = await source.getSecretString(secretId);

    // Assess
    expect(cached).toBe("old");
    expect(fresh).toBe("new");
  });

  it("turns a missing secret into a ConfigurationError naming it, and does not cache the failure", async () => {
    // Prepare
    const source = new SecretsManagerSecretSource(client);
    const secretId = "saddledata/not-yet";

    // Act
    const missing = source.getSecretString(secretId);
    await expect(missing).rejects.toBeInstanceOf(ConfigurationError);
    await client.send(new CreateSecretCommand({ Name: secretId, SecretString: "now-here" }));
    const later = await source.getSecretString(secretId);

    // Assess
    await expect(missing).rejects.toThrow(
      "Secret saddledata/not-yet does not exist (or has no current value) in Secrets Manager",
    );
    await expect(missing).rejects.toMatchObject({ code: "ResourceNotFoundException" });
    expect(later).toBe("now-here");
  });

  it("turns a secret scheduled for deletion into a ConfigurationError that does not carry its value", async () => {
    // Prepare
    const secretId = await freshSecret();
    await client.send(new DeleteSecretCommand({ SecretId: secretId, RecoveryWindowInDays: 7 }));
    const source = new SecretsManagerSecretSource(client);

    // Act
    const error = await source.getSecretString(secretId).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(secretId);
    expect(JSON.stringify(error)).not.toContain("s3cr3t-value");
    expect(String((error as Error).message)).not.toContain("s3cr3t-value");
  });

  it("refuses a binary secret with a ConfigurationError saying how to store it", async () => {
    // Prepare
    const secretId = "saddledata/binary";
    await client.send(new CreateSecretCommand({ Name: secretId, SecretBinary: Buffer.from(VALUE) }));
    const source = new SecretsManagerSecretSource(client);

    // Act
    const read = source.getSecretString(secretId);

    // Assess
    await expect(read).rejects.toBeInstanceOf(ConfigurationError);
    await expect(read).rejects.toThrow("Secret saddledata/binary holds a binary value, not a string");
  });

  describe("when Secrets Manager refuses access", () => {
    let denying: Server;
    let denyingClient: SecretsManagerClient;

    beforeAll(async () => {
      // The local service grants everything; this endpoint answers as IAM does for a missing permission.
      denying = createServer((_request, response) => {
        response.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
        response.end(JSON.stringify({ __type: "AccessDeniedException", message: "not authorized" }));
      });
      await new Promise<void>((resolve) => denying.listen(0, "127.0.0.1", resolve));
      denyingClient = clientFor(`http://127.0.0.1:${(denying.address() as AddressInfo).port}`);
    });

    afterAll(async () => {
      denyingClient.destroy();
      await new Promise<void>((resolve, reject) =>
        denying.close((error) => (error ? reject(error) : resolve())),
      );
    });

    it("reports a ConfigurationError naming the secret and the permission to grant", async () => {
      // Prepare
      const source = new SecretsManagerSecretSource(denyingClient);

      // Act
      const read = source.getSecretString("saddledata/prod");

      // Assess
      await expect(read).rejects.toBeInstanceOf(ConfigurationError);
      await expect(read).rejects.toThrow(
        "Reading secret saddledata/prod was refused (AccessDeniedException): " +
          "give the role secretsmanager:GetSecretValue on it",
      );
    });
  });
});
