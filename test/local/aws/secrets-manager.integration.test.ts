import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterEach, describe, expect, it } from "vitest";
import { createAwsClients } from "../../../functions/aws/clients";
import { type LocalSecretsManager, startSecretsManager } from "../../../local/aws/secrets-manager";

const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

describe("local Secrets Manager", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(
    file?: string,
  ): Promise<{ server: LocalSecretsManager; client: SecretsManagerClient }> {
    const server = await startSecretsManager(file === undefined ? {} : { file });
    const { secretsManager: client } = createAwsClients({
      region: "us-east-1",
      endpoints: { secretsManager: server.endpoint },
      credentials: CREDENTIALS,
    });
    cleanups.push(
      () => server.stop(),
      () => client.destroy(),
    );
    return { server, client };
  }

  it("creates, reads, describes and rotates a secret with the service's response shapes", async () => {
    // Prepare
    const { client } = await start();
    const created = await client.send(
      new CreateSecretCommand({
        Name: "saddledata/prod",
        SecretString: '{"password":"one"}',
        Description: "org",
      }),
    );

    // Act
    const first = await client.send(new GetSecretValueCommand({ SecretId: "saddledata/prod" }));
    const put = await client.send(
      new PutSecretValueCommand({ SecretId: created.ARN, SecretString: '{"password":"two"}' }),
    );
    const current = await client.send(new GetSecretValueCommand({ SecretId: "saddledata/prod" }));
    const previous = await client.send(
      new GetSecretValueCommand({ SecretId: "saddledata/prod", VersionStage: "AWSPREVIOUS" }),
    );
    const described = await client.send(new DescribeSecretCommand({ SecretId: "saddledata/prod" }));

    // Assess
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:saddledata\/prod-[A-Za-z]{6}$/,
    );
    expect(created.Name).toBe("saddledata/prod");
    expect(first).toMatchObject({
      ARN: created.ARN,
      Name: "saddledata/prod",
      VersionId: created.VersionId,
      SecretString: '{"password":"one"}',
      VersionStages: ["AWSCURRENT"],
    });
    expect(first.CreatedDate).toBeInstanceOf(Date);
    expect(put.VersionStages).toEqual(["AWSCURRENT"]);
    expect(current).toMatchObject({ VersionId: put.VersionId, SecretString: '{"password":"two"}' });
    expect(previous).toMatchObject({ VersionId: created.VersionId, VersionStages: ["AWSPREVIOUS"] });
    expect(described).toMatchObject({ ARN: created.ARN, Name: "saddledata/prod", Description: "org" });
    expect(described.VersionIdsToStages).toEqual({
      [created.VersionId as string]: ["AWSPREVIOUS"],
      [put.VersionId as string]: ["AWSCURRENT"],
    });
    expect(described.CreatedDate).toBeInstanceOf(Date);
  });

  it("answers with the error shapes the SDK turns into its own exception classes", async () => {
    // Prepare
    const { client } = await start();
    await client.send(new CreateSecretCommand({ Name: "taken", SecretString: "value" }));
    await client.send(new CreateSecretCommand({ Name: "doomed", SecretString: "value" }));
    await client.send(new DeleteSecretCommand({ SecretId: "doomed", RecoveryWindowInDays: 7 }));

    // Act
    const missing = client.send(new GetSecretValueCommand({ SecretId: "missing" }));
    const duplicate = client.send(new CreateSecretCommand({ Name: "taken", SecretString: "other" }));
    const both = client.send(
      new CreateSecretCommand({ Name: "both", SecretString: "a", SecretBinary: Buffer.from("b") }),
    );
    const deleted = client.send(new GetSecretValueCommand({ SecretId: "doomed" }));
    const noStage = client.send(new GetSecretValueCommand({ SecretId: "taken", VersionStage: "AWSPENDING" }));

    // Assess
    await expect(missing).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(missing).rejects.toThrow("Secrets Manager can't find the specified secret.");
    await expect(duplicate).rejects.toBeInstanceOf(ResourceExistsException);
    await expect(both).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(deleted).rejects.toBeInstanceOf(InvalidRequestException);
    await expect(noStage).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it("lists secrets page by page and forgets a force-deleted one", async () => {
    // Prepare
    const { client } = await start();
    for (const name of ["c", "a", "b"]) {
      await client.send(new CreateSecretCommand({ Name: name, SecretString: name }));
    }
    await client.send(new DeleteSecretCommand({ SecretId: "b", ForceDeleteWithoutRecovery: true }));

    // Act
    const first = await client.send(new ListSecretsCommand({ MaxResults: 1 }));
    const second = await client.send(new ListSecretsCommand({ MaxResults: 1, NextToken: first.NextToken }));
    const gone = client.send(new DescribeSecretCommand({ SecretId: "b" }));

    // Assess
    expect(first.SecretList?.map((secret) => secret.Name)).toEqual(["a"]);
    expect(second.SecretList?.map((secret) => secret.Name)).toEqual(["c"]);
    expect(second.NextToken).toBeUndefined();
    await expect(gone).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it("counts requests per operation", async () => {
    // Prepare
    const { server, client } = await start();
    await client.send(new CreateSecretCommand({ Name: "counted", SecretString: "value" }));

    // Act
    await client.send(new GetSecretValueCommand({ SecretId: "counted" }));
    await client.send(new GetSecretValueCommand({ SecretId: "counted" }));
    await client.send(new GetSecretValueCommand({ SecretId: "missing" })).catch(() => undefined);

    // Assess
    expect(server.requestCount("GetSecretValue")).toBe(3);
    expect(server.requestCount("CreateSecret")).toBe(1);
    expect(server.requestCount()).toBe(4);
  });

  it("persists secrets to its file, readable only by the owner, and loads them on start", async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), "saddledata-test-secrets-"));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const file = join(directory, "secrets.json");
    const first = await start(file);
    const created = await first.client.send(new CreateSecretCommand({ Name: "kept", SecretString: "first" }));
    await first.client.send(new PutSecretValueCommand({ SecretId: "kept", SecretString: "second" }));
    await first.server.stop();

    // Act
    const second = await start(file);
    const value = await second.client.send(new GetSecretValueCommand({ SecretId: "kept" }));
    const described = await second.client.send(new DescribeSecretCommand({ SecretId: "kept" }));

    // Assess
    expect(value.SecretString).toBe("second");
    expect(described.ARN).toBe(created.ARN);
    expect(JSON.parse(await readFile(file, "utf8"))).toHaveLength(1);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});
