/**
 * @salesforce/core, the library the `sf` CLI is built on, against the emulator: its two browserless
 * logins (an access token, and the JWT bearer flow with a key file) and the calls `sf org display`,
 * `sf data query`, `sf data get/create/update/delete record`, `sf data export bulk`, `sf data import
 * bulk` and `sf limits api display` make through it.
 *
 * @salesforce/core keeps auth files, an encryption key and logs under the home directory, so this file
 * points HOME at a temporary folder (vitest runs each test file in its own process) before loading it.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../emulator/index";
import { API, passwordToken, startTestEmulator } from "./harness";

type Core = typeof import("@salesforce/core");

let emulator: Emulator;
let home: string;
let core: Core;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "sf-core-home-"));
  process.env.HOME = home;
  process.env.USERPROFILE = home;
  process.env.SF_DISABLE_LOG_FILE = "true";
  process.env.SF_USE_GENERIC_UNIX_KEYCHAIN = "true";
  process.env.SF_DISABLE_TELEMETRY = "true";
  // A set audience would send the JWT login to that URL (possibly a real Salesforce) first.
  delete process.env.SF_AUDIENCE_URL;
  core = await import("@salesforce/core");
  emulator = await startTestEmulator();
});

afterAll(async () => {
  await emulator.stop();
  await rm(home, { recursive: true, force: true });
});

async function accessTokenConnection() {
  const authInfo = await core.AuthInfo.create({
    accessTokenOptions: {
      accessToken: await passwordToken(emulator),
      instanceUrl: emulator.url,
      loginUrl: emulator.url,
    },
  });
  return { authInfo, connection: await core.Connection.create({ authInfo }) };
}

/** A JWT login as `sf org login jwt` does it, after logging out a previous login of the same user. */
async function jwtAuthInfo(keyName: string) {
  const keyFile = join(home, keyName);
  await writeFile(keyFile, emulator.jwt.privateKeyPem, { mode: 0o600 });
  await (await core.AuthRemover.create()).removeAuth(emulator.credentials.username);
  return core.AuthInfo.create({
    username: emulator.credentials.username,
    oauth2Options: {
      clientId: emulator.credentials.clientId,
      loginUrl: emulator.url,
      privateKeyFile: keyFile,
    },
  });
}

describe("@salesforce/core logins", () => {
  it("resolves the username and org of an access token (sf org login access-token)", async () => {
    // Act
    const { authInfo, connection } = await accessTokenConnection();
    // Assess
    expect(authInfo.getFields()).toMatchObject({
      username: emulator.credentials.username,
      orgId: emulator.org.orgId,
      isDevHub: false,
    });
    expect(connection.getApiVersion()).toBe(API);
    expect(connection.getUsername()).toBe(emulator.credentials.username);
  });

  it("logs in with the JWT bearer flow and a key file (sf org login jwt)", async () => {
    // Act
    const authInfo = await jwtAuthInfo("server.key");
    const connection = await core.Connection.create({ authInfo });
    const result = await connection.query<{ Id: string }>("SELECT Id FROM Account LIMIT 1");
    // Assess
    expect(authInfo.getFields()).toMatchObject({
      username: emulator.credentials.username,
      orgId: emulator.org.orgId,
      instanceUrl: emulator.url,
    });
    expect(result.records).toHaveLength(1);
  });

  it("logs in again with the JWT flow when the session expires mid-run", async () => {
    // Prepare
    const authInfo = await jwtAuthInfo("server-relogin.key");
    const connection = await core.Connection.create({ authInfo });
    const before = connection.accessToken;
    emulator.expireTokens();
    // Act
    const result = await connection.query<{ Id: string }>("SELECT Id FROM Lead LIMIT 2");
    // Assess
    expect(result.records).toHaveLength(2);
    expect(connection.accessToken).not.toBe(before);
  });
});

describe("@salesforce/core calls", () => {
  it("queries with a LIMIT and with paging, and reads the column metadata (sf data query)", async () => {
    // Prepare
    const { connection } = await accessTokenConnection();
    const total = emulator.org.count("Contact");
    emulator.org.generate("Contact", 4500 - total);
    // Act
    const limited = await connection.query<{ Name: string }>(
      "SELECT Id, Name FROM Account ORDER BY Name LIMIT 5",
    );
    const all = await connection.query<{ Id: string }>("SELECT Id FROM Contact", {
      autoFetch: true,
      maxFetch: 50_000,
    });
    const columns = (await connection.request(
      `${connection._baseUrl()}/query?q=${encodeURIComponent("SELECT Id, Account.Name FROM Contact")}&columns=true`,
    )) as { columnMetadata: Array<{ columnName: string; joinColumns: Array<{ columnName: string }> }> };
    // Assess
    expect(limited.totalSize).toBe(5);
    expect(limited.records.map((r) => r.Name)).toEqual([...limited.records.map((r) => r.Name)].sort());
    expect(all.totalSize).toBe(4500);
    expect(all.done).toBe(true);
    expect(new Set(all.records.map((r) => r.Id)).size).toBe(4500);
    expect(columns.columnMetadata.map((c) => [c.columnName, c.joinColumns.map((j) => j.columnName)])).toEqual(
      [
        ["Id", []],
        ["Account", ["Name"]],
      ],
    );
  });

  it("creates, reads, updates and deletes one record (sf data create/get/update/delete record)", async () => {
    // Prepare
    const { connection } = await accessTokenConnection();
    const accounts = connection.sobject("Account");
    // Act
    const created = await accounts.create({ Name: "sf core record", NumberOfEmployees: "12" });
    const id = created.id as string;
    await accounts.update({ Id: id, Industry: "Energy" });
    const read = (await accounts.retrieve(id)) as Record<string, unknown>;
    const removed = await accounts.destroy(id);
    // Assess
    expect(created.success).toBe(true);
    expect(read).toMatchObject({ Id: id, Name: "sf core record", NumberOfEmployees: 12, Industry: "Energy" });
    expect(removed.success).toBe(true);
    expect(emulator.org.get("Account", id)).toBeUndefined();
  });

  it("exports with a Bulk 2.0 query and loads with Bulk 2.0 ingest (sf data export/import bulk)", async () => {
    // Prepare
    const { connection } = await accessTokenConnection();
    connection.bulk2.pollInterval = 20;
    connection.bulk2.pollTimeout = 20_000;
    const accounts = emulator.org.count("Account");
    const csv =
      'Name,Industry,NumberOfEmployees\nBulk core 1,Banking,10\n"Bulk core, 2",Energy,20\n,Retail,3\n';
    // Act
    const exported = await (
      await connection.bulk2.query("SELECT Id, Name, Owner.Name FROM Account")
    ).toArray();
    const loaded = await connection.bulk2.loadAndWaitForResults({
      object: "Account",
      operation: "insert",
      input: csv,
    });
    // Assess
    expect(exported).toHaveLength(accounts);
    expect(Object.keys(exported[0] ?? {})).toEqual(["Id", "Name", "Owner.Name"]);
    expect(loaded.successfulResults.map((r) => (r as Record<string, unknown>).Name).sort()).toEqual([
      "Bulk core 1",
      "Bulk core, 2",
    ]);
    expect(loaded.failedResults).toHaveLength(1);
    expect(String(loaded.failedResults[0]?.sf__Error)).toMatch(/^REQUIRED_FIELD_MISSING:/);
  });

  it("reads the org's limits (sf limits api display)", async () => {
    // Prepare
    const { connection } = await accessTokenConnection();
    // Act
    const limits = (await connection.request(`${connection._baseUrl()}/limits`)) as Record<
      string,
      { Max: number; Remaining: number }
    >;
    // Assess
    expect(limits.DailyApiRequests?.Max).toBe(100_000);
    expect(limits.DailyApiRequests?.Remaining).toBe(emulator.limits.get("DailyApiRequests").Remaining);
  });
});
