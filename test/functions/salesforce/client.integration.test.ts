import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index";
import { ConfigurationError, RateLimitError, TransientError } from "../../../functions/errors";
import { createQueryJob, getQueryJob, openResultsPage } from "../../../functions/salesforce/bulk-query";
import { clearSessionCache, SalesforceClient } from "../../../functions/salesforce/client";
import { parseCredentials, type SalesforceCredentials } from "../../../functions/salesforce/credentials";
import { describeGlobal } from "../../../functions/salesforce/describe";
import { checkLimitReserve } from "../../../functions/salesforce/limits";
import { startRestQuery } from "../../../functions/salesforce/rest-query";

let emulator: Emulator;

beforeEach(async () => {
  clearSessionCache();
  emulator = await startEmulator({ port: 0, bulk: { queuedMs: 1, processingMsPer10k: 1 } });
});

afterEach(async () => {
  await emulator.stop();
});

function passwordCredentials(overrides: Record<string, unknown> = {}): SalesforceCredentials {
  return parseCredentials({ ...emulator.credentials, loginUrl: emulator.url, ...overrides }, "test");
}

function clientFor(credentials: SalesforceCredentials): SalesforceClient {
  return new SalesforceClient({ credentials, retryDelayMs: 1 });
}

describe("Salesforce client: login", () => {
  it("logs in with each OAuth flow and counts API calls, not token requests", async () => {
    const flows: SalesforceCredentials[] = [
      passwordCredentials(),
      parseCredentials(
        {
          authFlow: "client_credentials",
          clientId: emulator.credentials.clientId,
          clientSecret: emulator.credentials.clientSecret,
          loginUrl: emulator.url,
        },
        "t",
      ),
      parseCredentials(
        {
          authFlow: "jwt",
          clientId: emulator.credentials.clientId,
          username: emulator.credentials.username,
          privateKey: emulator.jwt.privateKeyPem,
          loginUrl: emulator.url,
        },
        "t",
      ),
    ];
    for (const credentials of flows) {
      clearSessionCache();
      const client = clientFor(credentials);
      const objects = await describeGlobal(client);
      expect(objects.map((object) => object.name)).toContain("Account");
      expect(client.calls).toEqual({ describeGlobal: 1 });
    }
  });

  it("turns a wrong password into a configuration error that says what to check and hides the value", async () => {
    const client = clientFor(passwordCredentials({ password: "not-the-password" }));
    const attempt = describeGlobal(client);
    await expect(attempt).rejects.toBeInstanceOf(ConfigurationError);
    await expect(attempt).rejects.toThrow(/check username, password and securityToken/);
    await expect(attempt).rejects.not.toThrow(/not-the-password/);
  });

  it("names the client id problem for an unknown connected app", async () => {
    const client = clientFor(passwordCredentials({ clientId: "nobody" }));
    await expect(describeGlobal(client)).rejects.toThrow(/does not know the client id/);
  });

  it("logs in again once when the session expires, and retries the call", async () => {
    const client = clientFor(passwordCredentials());
    await describeGlobal(client);
    emulator.expireTokens();
    const objects = await describeGlobal(client);
    expect(objects.length).toBeGreaterThan(0);
    // One refused with INVALID_SESSION_ID, then the retry after logging in again.
    expect(client.calls.describeGlobal).toBe(3);
  });
});

describe("Salesforce client: errors and retries", () => {
  it("maps MALFORMED_QUERY to a configuration error with the code", async () => {
    const client = clientFor(passwordCredentials());
    const attempt = startRestQuery(client, {
      object: "Account",
      soql: "SELECT Id FORM Account",
      includeDeleted: false,
    });
    await expect(attempt).rejects.toBeInstanceOf(ConfigurationError);
    await expect(attempt).rejects.toMatchObject({ code: "MALFORMED_QUERY", status: 400 });
  });

  it("retries a GET that met a 503 and succeeds", async () => {
    emulator.faults.add({ kind: "describeGlobal", action: { type: "serverUnavailable" }, times: 2 });
    const client = clientFor(passwordCredentials());
    expect((await describeGlobal(client)).length).toBeGreaterThan(0);
    expect(client.calls.describeGlobal).toBe(3);
  });

  it("gives up on a GET after its retries with a transient error", async () => {
    emulator.faults.add({ kind: "describeGlobal", action: { type: "serverError", status: 502 }, times: 10 });
    const client = clientFor(passwordCredentials());
    await expect(describeGlobal(client)).rejects.toBeInstanceOf(TransientError);
  });

  it("never retries a POST on its own", async () => {
    emulator.faults.add({ kind: "bulkQueryCreate", action: { type: "serverUnavailable" } });
    const client = clientFor(passwordCredentials());
    await expect(
      createQueryJob(client, { object: "Account", soql: "SELECT Id FROM Account", operation: "query" }),
    ).rejects.toBeInstanceOf(TransientError);
    expect(client.calls.bulkQueryCreate).toBe(1);
  });

  it("reports REQUEST_LIMIT_EXCEEDED as a rate-limit error, and refuses below the reserve", async () => {
    const client = clientFor(passwordCredentials());
    emulator.faults.add({ kind: "describeGlobal", action: { type: "requestLimitExceeded" } });
    await expect(describeGlobal(client)).rejects.toBeInstanceOf(RateLimitError);
    emulator.limits.set("DailyApiRequests", 10);
    await expect(checkLimitReserve(client, { dailyApiRequests: 50 })).rejects.toThrow(
      /left, below the reserve of 50/,
    );
  });

  it("refuses to send the session anywhere but the instance's API paths", async () => {
    const client = clientFor(passwordCredentials());
    await expect(
      client.request({ method: "GET", path: "//evil.example/steal", kind: "other" }),
    ).rejects.toThrow(/Refusing to send the Salesforce session/);
  });
});

describe("Salesforce client: org clock and Bulk pages", () => {
  it("reads the org's time from the Date header, not the local clock", async () => {
    const orgNow = Date.parse("2031-02-03T04:05:06.000Z");
    emulator.org.clock.set(orgNow, { frozen: true });
    const client = clientFor(passwordCredentials());
    await describeGlobal(client);
    expect(Math.abs(client.serverNow() - orgNow)).toBeLessThan(5_000);
  });

  it("pages Bulk results with maxRecords and the locator until the locator is null", async () => {
    const client = clientFor(passwordCredentials());
    const job = await createQueryJob(client, {
      object: "Contact",
      soql: "SELECT Id, LastName FROM Contact",
      operation: "query",
    });
    let info = await getQueryJob(client, job.id);
    while (info.state !== "JobComplete") info = await getQueryJob(client, job.id);
    let locator: string | undefined;
    let rows = 0;
    let pages = 0;
    for (;;) {
      const page = await openResultsPage(client, { jobId: job.id, maxRecords: 120, locator });
      const text = await new Response(page.body).text();
      expect(text.startsWith('"Id","LastName"\n')).toBe(true);
      rows += page.records ?? 0;
      pages++;
      if (page.nextLocator === null) break;
      locator = page.nextLocator;
    }
    expect(rows).toBe(info.numberRecordsProcessed);
    expect(pages).toBe(Math.ceil(rows / 120));
  });
});
