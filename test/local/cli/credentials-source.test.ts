import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../functions/errors";
import { MISSING_CREDENTIALS, resolveCredentials } from "../../../local/cli/credentials-source";

const PASSWORD_ENV = {
  SALESFORCE_CLIENT_ID: "client-id",
  SALESFORCE_CLIENT_SECRET: "client-secret-value",
  SALESFORCE_USERNAME: "etl@example.com",
  SALESFORCE_PASSWORD: "password-value",
  SALESFORCE_SECURITY_TOKEN: "token-value",
  SALESFORCE_LOGIN_URL: "https://test.salesforce.com/",
};

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "saddledata-credentials-"));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("resolveCredentials", () => {
  it("builds the password flow from the environment, kept in memory under its own secret id", async () => {
    // Act
    const choice = await resolveCredentials({}, PASSWORD_ENV);

    // Assess
    expect(choice.secretId).toBe("env:SALESFORCE_*");
    const text = await choice.secrets?.getSecretString(choice.secretId);
    expect(JSON.parse(text ?? "{}")).toEqual({
      clientId: "client-id",
      clientSecret: "client-secret-value",
      username: "etl@example.com",
      password: "password-value",
      securityToken: "token-value",
      loginUrl: "https://test.salesforce.com/",
    });
    expect(choice.secretValues.sort()).toEqual(["client-secret-value", "password-value", "token-value"]);
  });

  it("reads a JWT key file and infers the flow from it", async () => {
    // Prepare
    const keyFile = join(work, "server.key");
    await writeFile(keyFile, "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n");
    const env = {
      SALESFORCE_CLIENT_ID: "client-id",
      SALESFORCE_USERNAME: "etl@example.com",
      SALESFORCE_PRIVATE_KEY_FILE: keyFile,
    };

    // Act
    const choice = await resolveCredentials({}, env);

    // Assess
    const document = JSON.parse((await choice.secrets?.getSecretString(choice.secretId)) ?? "{}");
    expect(document).toMatchObject({
      authFlow: "jwt",
      privateKey: expect.stringContaining("BEGIN PRIVATE KEY"),
    });
    expect(choice.secretValues).toEqual([document.privateKey.trim()]);
  });

  it("names missing variables by their environment names and never repeats a value", async () => {
    // Act
    const failure = await resolveCredentials({}, { SALESFORCE_PASSWORD: "password-value" }).catch(
      (error) => error,
    );

    // Assess
    expect(failure).toBeInstanceOf(ConfigurationError);
    expect(failure.message).toContain("SALESFORCE_CLIENT_ID is missing");
    expect(failure.message).toContain("SALESFORCE_USERNAME is missing");
    expect(failure.message).not.toContain("password-value");
    expect(failure.message).not.toMatch(/\bclientId\b/);
  });

  it("says how to give credentials when none are given", async () => {
    // Act
    const failure = await resolveCredentials({}, {}).catch((error) => error);

    // Assess
    expect(failure).toBeInstanceOf(ConfigurationError);
    expect(failure.message).toBe(MISSING_CREDENTIALS);
  });

  it("prefers a file, refuses a file and a secret together, and passes a secret id through", async () => {
    // Prepare
    const file = join(work, "sf.json");
    await writeFile(
      file,
      JSON.stringify({
        clientId: "file-client",
        clientSecret: "file-secret",
        username: "u",
        password: "file-pw",
      }),
    );

    // Act
    const fromFile = await resolveCredentials({ credentials: file }, PASSWORD_ENV);
    const both = await resolveCredentials({ credentials: file, secretId: "prod" }, {}).catch(
      (error) => error,
    );
    const secret = await resolveCredentials({ secretId: "saddledata/prod" }, PASSWORD_ENV);
    const missingFile = await resolveCredentials({ credentials: join(work, "nope.json") }, {}).catch(
      (error) => error,
    );

    // Assess
    expect(JSON.parse((await fromFile.secrets?.getSecretString(fromFile.secretId)) ?? "{}").clientId).toBe(
      "file-client",
    );
    expect(both).toBeInstanceOf(ConfigurationError);
    expect(secret).toEqual({ secretId: "saddledata/prod", secretValues: [] });
    expect(missingFile).toBeInstanceOf(ConfigurationError);
    expect(missingFile.message).toContain("ENOENT");
  });
});
