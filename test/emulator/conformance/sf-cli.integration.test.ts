/**
 * The requests Salesforce's `sf` CLI (and @salesforce/core under it) makes beyond what jsforce's own
 * calls cover, as captured from sf 2.146 against the emulator: the username look-up after a login,
 * paths under an instance URL kept with a trailing slash, and `sf data query`'s column metadata.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index";
import { DEMO_USERNAME } from "../../../emulator/org/demo";
import { createOrg } from "../../../emulator/org/org";
import { API, passwordToken, passwordTokenBody, startTestEmulator } from "./harness";

let emulator: Emulator;
let token: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  token = await passwordToken(emulator);
});

afterAll(async () => {
  await emulator.stop();
});

function get(path: string, bearer: string | undefined = token): Promise<Response> {
  return fetch(`${emulator.url}${path}`, {
    headers: bearer === undefined ? {} : { Authorization: `Bearer ${bearer}` },
  });
}

describe("who the token belongs to (sf org login)", () => {
  it("answers /services/oauth2/userinfo with the OpenID claims of the token's user, by GET and POST", async () => {
    // Prepare
    const login = await passwordTokenBody(emulator);
    const [orgId, userId] = (login.id as string).split("/").slice(-2);
    // Act
    const byGet = await get("/services/oauth2/userinfo", login.access_token);
    const byPost = await fetch(`${emulator.url}/services/oauth2/userinfo`, {
      method: "POST",
      headers: { Authorization: `Bearer ${login.access_token}` },
    });
    const body = (await byGet.json()) as Record<string, unknown>;
    // Assess
    expect(byGet.status).toBe(200);
    expect(byGet.headers.get("content-type")).toMatch(/^application\/json/);
    expect(byPost.status).toBe(200);
    expect(await byPost.json()).toEqual(body);
    expect(body).toMatchObject({
      sub: login.id,
      user_id: userId,
      organization_id: orgId,
      preferred_username: emulator.credentials.username,
      given_name: "Integration",
      family_name: "Admin",
      name: "Integration Admin",
      zoneinfo: "America/Los_Angeles",
      active: true,
      user_type: "STANDARD",
    });
    // America/Los_Angeles is UTC-8 on the test org's January date.
    expect(body.utcOffset).toBe(-8 * 3_600_000);
    expect(body.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("refuses userinfo without a live session", async () => {
    // Act
    const response = await get("/services/oauth2/userinfo", "00Dnot!a-token");
    // Assess
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual([
      { message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" },
    ]);
  });

  it("stores the login username on the token's User record, which sf files the org under", async () => {
    // Prepare
    const info = (await (await get("/services/oauth2/userinfo")).json()) as { user_id: string };
    // Act
    const user = (await (await get(`/services/data/v51.0/sobjects/User/${info.user_id}`)).json()) as {
      Username: string;
    };
    const identity = (await (await get(`/id/${emulator.org.orgId}/${info.user_id}`)).json()) as Record<
      string,
      unknown
    >;
    // Assess
    expect(emulator.credentials.username).toBe(DEMO_USERNAME);
    expect(user.Username).toBe(DEMO_USERNAME);
    expect(identity).toMatchObject({
      username: DEMO_USERNAME,
      user_id: info.user_id,
      display_name: "Integration Admin",
    });
  });

  it("logs in as the running user of any org it serves, under that user's own Username", async () => {
    // Prepare
    const org = createOrg({ seed: 3, runningUsername: "integration@acme.example" });
    const other = await startEmulator({ org, seed: 3 });
    try {
      // Act
      const login = await passwordTokenBody(other);
      const user = (await (
        await fetch(`${other.url}/services/data/v${API}/sobjects/User/${org.userId}`, {
          headers: { Authorization: `Bearer ${login.access_token}` },
        })
      ).json()) as { Username: string };
      // Assess
      expect(other.credentials.username).toBe("integration@acme.example");
      expect(login.access_token).toBeDefined();
      expect(user.Username).toBe("integration@acme.example");
    } finally {
      await other.stop();
    }
  });

  it("answers sf's org-type probes (ScratchOrgInfo, Organization) with INVALID_TYPE, which sf tolerates", async () => {
    // Act
    const response = await get(
      `/services/data/v51.0/query?q=${encodeURIComponent("SELECT Id FROM ScratchOrgInfo limit 1")}`,
    );
    const body = (await response.json()) as Array<{ errorCode: string }>;
    // Assess
    expect(response.status).toBe(400);
    expect(body[0]?.errorCode).toBe("INVALID_TYPE");
  });
});

describe("paths under an instance URL with a trailing slash", () => {
  it("serves //services/data/… like /services/data/…", async () => {
    // Prepare
    const soql = encodeURIComponent("SELECT Id FROM Account ORDER BY Id LIMIT 2");
    // Act
    const versions = await get("//services/data");
    const doubled = await get(`//services/data/v${API}/query?q=${soql}`);
    const single = await get(`/services/data/v${API}/query?q=${soql}`);
    // Assess
    expect(versions.status).toBe(200);
    expect(((await versions.json()) as unknown[]).length).toBeGreaterThan(0);
    expect(doubled.status).toBe(200);
    expect(await doubled.json()).toEqual(await single.json());
  });
});

describe("query column metadata (sf data query)", () => {
  it("describes each selected column, relationship columns nested under their relationship", async () => {
    // Prepare
    const soql =
      "SELECT Id, Name, NumberOfEmployees, Owner.Name, Owner.Manager.Username FROM Account LIMIT 1";
    // Act
    const response = await get(`/services/data/v${API}/query?q=${encodeURIComponent(soql)}&columns=true`);
    const body = (await response.json()) as Record<string, unknown>;
    // Assess
    expect(response.status).toBe(200);
    expect(body).not.toHaveProperty("records");
    const field = (columnName: string, apexType: string, more: Record<string, unknown> = {}) => ({
      aggregate: false,
      apexType,
      booleanType: false,
      columnName,
      custom: false,
      displayName: columnName,
      foreignKeyName: null,
      insertable: true,
      joinColumns: [],
      numberType: false,
      textType: false,
      updatable: true,
      ...more,
    });
    const relation = (columnName: string, foreignKeyName: string, joinColumns: unknown[]) => ({
      aggregate: false,
      apexType: null,
      booleanType: false,
      columnName,
      custom: false,
      displayName: columnName,
      foreignKeyName,
      insertable: false,
      joinColumns,
      numberType: false,
      textType: false,
      updatable: false,
    });
    expect(body).toEqual({
      columnMetadata: [
        field("Id", "Id", { insertable: false, updatable: false }),
        field("Name", "String", { textType: true }),
        field("NumberOfEmployees", "Integer", { numberType: true }),
        relation("Owner", "OwnerId", [
          field("Name", "String", {
            displayName: "Owner.Name",
            textType: true,
            insertable: false,
            updatable: false,
          }),
          relation("Manager", "ManagerId", [
            field("Username", "String", { displayName: "Owner.Manager.Username", textType: true }),
          ]),
        ]),
      ],
      entityName: "Account",
      groupBy: false,
      idSelected: true,
      keyPrefix: "001",
    });
  });

  it("gives a bad query's error, as the query itself does", async () => {
    // Act
    const response = await get(
      `/services/data/v${API}/query?q=${encodeURIComponent("SELECT Nope FROM Account")}&columns=true`,
    );
    const body = (await response.json()) as Array<{ errorCode: string }>;
    // Assess
    expect(response.status).toBe(400);
    expect(body[0]?.errorCode).toBe("INVALID_FIELD");
  });
});
