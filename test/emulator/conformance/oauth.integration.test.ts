import { createSign } from "node:crypto";
import { Connection, OAuth2 } from "jsforce";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../emulator/index";
import { API, ORG_NOW, passwordConnection, passwordToken, startTestEmulator } from "./harness";

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startTestEmulator();
});

afterAll(async () => {
  await emulator.stop();
});

function tokenRequest(params: Record<string, string>): Promise<Response> {
  return fetch(`${emulator.url}/services/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
  });
}

function jwt(claims: Record<string, unknown>, privateKeyPem = emulator.jwt.privateKeyPem): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${part({ alg: "RS256" })}.${part(claims)}`;
  const signature = createSign("RSA-SHA256").update(unsigned).sign(privateKeyPem).toString("base64url");
  return `${unsigned}.${signature}`;
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: emulator.credentials.clientId,
    sub: emulator.credentials.username,
    aud: "https://login.salesforce.com",
    exp: Math.floor(Date.now() / 1000) + 300,
    ...overrides,
  };
}

const JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

describe("OAuth token endpoint (raw HTTP)", () => {
  it("answers the password grant with Salesforce's success body", async () => {
    // Prepare
    const c = emulator.credentials;
    // Act
    const response = await tokenRequest({
      grant_type: "password",
      client_id: c.clientId,
      client_secret: c.clientSecret,
      username: c.username,
      password: c.password + c.securityToken,
    });
    const body = (await response.json()) as Record<string, string>;
    // Assess
    expect(response.status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(
      ["access_token", "id", "instance_url", "issued_at", "signature", "token_type"].sort(),
    );
    expect(body.instance_url).toBe(emulator.url);
    expect(body.token_type).toBe("Bearer");
    expect(body.issued_at).toMatch(/^\d{13}$/);
    const [orgId, userId] = (body.id as string).split("/").slice(-2);
    expect(body.id).toBe(`${emulator.url}/id/${orgId}/${userId}`);
    expect(orgId).toBe(emulator.org.orgId);
    expect(userId).toMatch(/^005[a-zA-Z0-9]{15}$/);
    expect(body.access_token?.startsWith(`${emulator.org.orgId.slice(0, 15)}!`)).toBe(true);
  });

  it.each([
    ["a wrong password", { password: "nope" }, "invalid_grant", "authentication failure"],
    [
      "a password without the security token",
      { password: "demo-password" },
      "invalid_grant",
      "authentication failure",
    ],
    ["an unknown client", { client_id: "who" }, "invalid_client_id", "client identifier invalid"],
    ["a wrong client secret", { client_secret: "bad" }, "invalid_client", "invalid client credentials"],
    ["an unknown grant type", { grant_type: "magic" }, "unsupported_grant_type", "grant type not supported"],
  ])("rejects %s with a 400 OAuth error body", async (_case, override, error, description) => {
    // Prepare
    const c = emulator.credentials;
    const params = {
      grant_type: "password",
      client_id: c.clientId,
      client_secret: c.clientSecret,
      username: c.username,
      password: c.password + c.securityToken,
      ...override,
    };
    // Act
    const response = await tokenRequest(params);
    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error, error_description: description });
  });

  it("issues tokens for the client credentials grant", async () => {
    // Act
    const response = await tokenRequest({
      grant_type: "client_credentials",
      client_id: emulator.credentials.clientId,
      client_secret: emulator.credentials.clientSecret,
    });
    const body = (await response.json()) as Record<string, string>;
    // Assess
    expect(response.status).toBe(200);
    expect(body.access_token).toBeTruthy();
    expect(body.instance_url).toBe(emulator.url);
  });

  it("verifies the JWT bearer assertion: signature, issuer, audience, expiry and subject", async () => {
    // Prepare
    const good = jwt(claims());
    const otherKey = (await import("node:crypto"))
      .generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    const cases: Array<[string, Record<string, string>]> = [
      ["wrong key", { error: "invalid_grant", error_description: "invalid assertion" }],
      ["wrong aud", { error: "invalid_grant", error_description: "audience is invalid" }],
      ["the org's own URL as aud", { error: "invalid_grant", error_description: "audience is invalid" }],
      ["expired", { error: "invalid_grant", error_description: "expired authorization code" }],
      ["unknown iss", { error: "invalid_client_id", error_description: "client identifier invalid" }],
      ["unknown sub", { error: "invalid_grant", error_description: "user hasn't approved this consumer" }],
    ];
    const assertions: Record<string, string> = {
      "wrong key": jwt(claims(), otherKey),
      "wrong aud": jwt(claims({ aud: "https://test.salesforce.com" })),
      "the org's own URL as aud": jwt(claims({ aud: emulator.url })),
      expired: jwt(claims({ exp: Math.floor(Date.now() / 1000) - 10 })),
      "unknown iss": jwt(claims({ iss: "someone-else" })),
      "unknown sub": jwt(claims({ sub: "nobody@example.com" })),
    };
    // Act
    const ok = await tokenRequest({ grant_type: JWT_GRANT, assertion: good });
    const failures = await Promise.all(
      cases.map(async ([name]) => {
        const response = await tokenRequest({ grant_type: JWT_GRANT, assertion: assertions[name] as string });
        return [response.status, await response.json()];
      }),
    );
    // Assess
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Record<string, string>).access_token).toBeTruthy();
    expect(failures).toEqual(cases.map(([, body]) => [400, body]));
  });

  it("answers an expired or unknown token with 401 INVALID_SESSION_ID", async () => {
    // Prepare
    const token = await passwordToken(emulator);
    const before = await fetch(`${emulator.url}/services/data/v${API}/limits`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    // Act
    emulator.expireTokens();
    const after = await fetch(`${emulator.url}/services/data/v${API}/limits`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const unknown = await fetch(`${emulator.url}/services/data/v${API}/limits`, {
      headers: { Authorization: "Bearer 00Dxx!nothing" },
    });
    // Assess
    expect(before.status).toBe(200);
    expect(after.status).toBe(401);
    expect(await after.json()).toEqual([
      { message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" },
    ]);
    expect(unknown.status).toBe(401);
  });

  it("revokes a token", async () => {
    // Prepare
    const token = await passwordToken(emulator);
    // Act
    const revoked = await fetch(`${emulator.url}/services/oauth2/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token }),
    });
    const after = await fetch(`${emulator.url}/services/data/v${API}/limits`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    // Assess
    expect(revoked.status).toBe(200);
    expect(after.status).toBe(401);
  });

  it("expires tokens after tokenTtlSeconds", async () => {
    // Prepare
    const short = await startTestEmulator({ tokenTtlSeconds: 0 });
    try {
      const token = await passwordToken(short);
      // Act
      const response = await fetch(`${short.url}/services/data/v${API}/limits`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      // Assess
      expect(response.status).toBe(401);
    } finally {
      await short.stop();
    }
  });

  it("stamps every response's Date header with the org clock", async () => {
    // Prepare
    const at = Date.UTC(2024, 3, 16, 19, 0, 0);
    emulator.org.clock.set(at, { frozen: true });
    try {
      // Act
      const token = await fetch(`${emulator.url}/services/oauth2/token`, { method: "POST" });
      const versions = await fetch(`${emulator.url}/services/data`);
      // Assess
      expect(token.headers.get("date")).toBe("Tue, 16 Apr 2024 19:00:00 GMT");
      expect(versions.headers.get("date")).toBe("Tue, 16 Apr 2024 19:00:00 GMT");
    } finally {
      emulator.org.clock.set(ORG_NOW);
      emulator.org.clock.unfreeze();
    }
  });
});

describe("OAuth through jsforce", () => {
  it("logs in with the password grant and reads the identity", async () => {
    // Act
    const conn = await passwordConnection(emulator);
    const identity = await conn.identity();
    // Assess
    expect(conn.instanceUrl).toBe(emulator.url);
    expect(conn.userInfo?.organizationId).toBe(emulator.org.orgId);
    expect(identity.username).toBe(emulator.credentials.username);
  });

  it("logs in with the client credentials grant via OAuth2", async () => {
    // Prepare
    const c = emulator.credentials;
    const conn = new Connection({
      oauth2: new OAuth2({ loginUrl: c.loginUrl, clientId: c.clientId, clientSecret: c.clientSecret }),
      version: API,
    });
    // Act
    const info = await conn.authorize({ grant_type: "client_credentials" });
    const limits = await conn.limits();
    // Assess
    expect(info.organizationId).toBe(emulator.org.orgId);
    expect(limits.DailyApiRequests?.Max).toBe(100000);
  });

  it("logs in with the JWT bearer grant", async () => {
    // Prepare
    const c = emulator.credentials;
    const conn = new Connection({
      oauth2: new OAuth2({ loginUrl: c.loginUrl, clientId: c.clientId }),
      version: API,
    });
    // Act
    const info = await conn.authorize({ grant_type: JWT_GRANT, assertion: jwt(claims()) });
    const result = await conn.query("SELECT Id FROM User LIMIT 1");
    // Assess
    expect(info.organizationId).toBe(emulator.org.orgId);
    expect(result.records).toHaveLength(1);
  });

  it("re-logs in after every token expired (password flow refreshes by itself)", async () => {
    // Prepare
    const conn = await passwordConnection(emulator);
    const firstToken = conn.accessToken;
    const oauthBefore = emulator.calls.oauth;
    // Act
    emulator.expireTokens();
    const result = await conn.query("SELECT Id FROM Account LIMIT 3");
    // Assess
    expect(result.records).toHaveLength(3);
    expect(conn.accessToken).not.toBe(firstToken);
    expect(emulator.calls.oauth).toBe(oauthBefore + 1);
  });

  it("re-logs in a client-credentials connection through its refreshFn", async () => {
    // Prepare
    const c = emulator.credentials;
    const oauth2 = new OAuth2({ loginUrl: c.loginUrl, clientId: c.clientId, clientSecret: c.clientSecret });
    const conn = new Connection({
      oauth2,
      version: API,
      refreshFn: (connection, callback) => {
        oauth2.requestToken({ grant_type: "client_credentials" }).then(
          (res) => {
            connection.accessToken = res.access_token;
            callback(undefined, res.access_token, res);
          },
          (error: Error) => callback(error),
        );
      },
    });
    await conn.authorize({ grant_type: "client_credentials" });
    // Act
    emulator.expireTokens();
    const described = await conn.describeGlobal();
    // Assess
    expect(described.sobjects.some((o) => o.name === "Account")).toBe(true);
  });
});
