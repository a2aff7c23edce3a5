import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, type RouteKind, startEmulator } from "../../../emulator/index";
import { parseSettings } from "../../../functions/core/settings";
import { ConfigurationError } from "../../../functions/errors";
import { clearSessionCache } from "../../../functions/salesforce/client";
import { parseDeploymentConfig } from "../../../lib/config";
import { type LocalEnvironment, startLocalEnvironment } from "../../../local/environment";
import { createLocalRunner, type LocalRunner } from "../../../local/stepfunctions/state-machine";

/**
 * Configuration that is wrong or hostile: unknown objects, fields and operations, and object or field
 * names built to inject SOQL (`Account WHERE Id != null`, `Name, (SELECT …)`, quotes, semicolons) in the
 * settings, the execution input, inbound keys and file headers; schedules and patterns the CDK config
 * must refuse. Each is a clear error, and none reaches Salesforce as a query (or as a write).
 */

const INJECTIONS = [
  "Account WHERE Id != null",
  "Name, (SELECT Id FROM Contacts)",
  "Account' OR '1'='1",
  "Account; DELETE FROM Account",
  'Account"',
  "Account--",
  "Account\nWHERE",
];

/** Request kinds that read or write records: none may be sent for bad configuration. */
const QUERY_OR_WRITE: RouteKind[] = [
  "query",
  "queryMore",
  "bulkQueryCreate",
  "collections",
  "recordCreate",
  "recordUpdate",
  "recordUpsert",
  "recordDelete",
  "bulkIngestCreate",
  "bulkIngestUpload",
];

describe("the CDK configuration refuses what would only fail at deployment", () => {
  const config = (connection: Record<string, unknown>) => ({
    connections: [{ name: "prod", ...connection }],
  });

  it.each([
    "rate(1 minute)",
    "rate(5 minutes)",
    "rate(1 hour)",
    "rate(12 hours)",
    "rate(1 day)",
    "cron(0 2 * * ? *)",
    "cron(0/15 8-18 ? * MON-FRI *)",
    "cron(0 12 1 * ? 2030)",
    "at(2030-01-01T00:00:00)",
  ])("accepts the schedule %s", (schedule) => {
    expect(parseDeploymentConfig(config({ schedule }), "test").connections[0]?.schedule).toBe(schedule);
  });

  it.each([
    ["rate(0 minutes)", /at least 1/],
    ["rate(1 minutes)", /singular/],
    ["rate(5 minute)", /plural/],
    ["rate(five minutes)", /Scheduler expression/],
    ["rate(-5 minutes)", /Scheduler expression/],
    ["rate(2 weeks)", /Scheduler expression/],
    ["cron(* * * * * *)", /exactly one of day-of-month and day-of-week/],
    ["cron(0 2 * * ?)", /six fields/],
    ["cron(0 2 * * ? *); rm -rf /", /Scheduler expression/],
    ["rate(1 hour) OR cron(0 2 * * ? *)", /Scheduler expression/],
    ["cron(0 2 * * ? $(id))", /Scheduler expression|characters cron does not allow/],
    ["at(2030-02-30T00:00:00)", /not a date/],
    ["at(tomorrow)", /Scheduler expression/],
    ["every hour", /Scheduler expression/],
  ])("refuses the schedule %s, naming the field", (schedule, why) => {
    const attempt = () => parseDeploymentConfig(config({ schedule }), "saddledata.config.json");
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(/connections\.0\.schedule/);
    expect(attempt).toThrow(why);
  });

  it("refuses a time zone that does not exist", () => {
    const attempt = () =>
      parseDeploymentConfig(config({ schedule: "cron(0 2 * * ? *)", scheduleTimeZone: "Mars/Olympus" }), "t");
    expect(attempt).toThrow(/connections\.0\.scheduleTimeZone: must be an IANA time zone/);
    expect(
      parseDeploymentConfig(config({ schedule: "cron(0 2 * * ? *)", scheduleTimeZone: "Europe/Paris" }), "t")
        .connections[0]?.scheduleTimeZone,
    ).toBe("Europe/Paris");
  });

  it.each(INJECTIONS)("refuses %j as an object pattern in every setting that takes one", (name) => {
    for (const settings of [
      { objects: [name] },
      { include: [name] },
      { exclude: ["Account", name] },
      { modes: { [name]: "incremental" } },
    ]) {
      const attempt = () => parseDeploymentConfig(config({ settings }), "saddledata.config.json");
      expect(attempt, JSON.stringify(settings)).toThrow(ConfigurationError);
      expect(attempt, JSON.stringify(settings)).toThrow(/is not a valid object pattern/);
      expect(() => parseSettings(settings, "SADDLEDATA_SETTINGS")).toThrow(/is not a valid object pattern/);
    }
  });
});

describe("hostile names at run time never reach Salesforce as a query or a write", () => {
  let emulator: Emulator;
  let env: LocalEnvironment;
  let runner: LocalRunner;

  beforeAll(async () => {
    clearSessionCache();
    emulator = await startEmulator({});
    env = await startLocalEnvironment({
      connection: "hostile",
      credentials: { ...emulator.credentials, loginUrl: emulator.url },
      settings: { lagSeconds: 0, lookbackSeconds: 0 },
      log: { debug() {}, info() {}, warn() {}, error() {} },
    });
    runner = await createLocalRunner({ runtime: env.runtime, waitMs: 1, retryIntervalMs: 1 });
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
    await emulator?.stop();
    clearSessionCache();
  });

  const queriesAndWrites = () => QUERY_OR_WRITE.reduce((sum, kind) => sum + emulator.calls.count(kind), 0);

  it("refuses hostile or unknown objects in a sync's execution input, naming them", async () => {
    let run = 0;
    for (const objects of [...INJECTIONS.map((name) => [name]), ["Acount"], ["Account", "Nope__c"]]) {
      // Act
      const callsBefore = emulator.calls.total;
      const execution = await runner.runSync({ objects }, { name: `hostile-sync-${++run}` });

      // Assess
      // A hostile pattern is refused before any API call; an unknown name needs the catalog to tell.
      if (INJECTIONS.includes(objects[0] as string)) expect(emulator.calls.total).toBe(callsBefore);
      expect(execution.status, JSON.stringify(objects)).toBe("FAILED");
      expect(execution.error, JSON.stringify(objects)).toBe("ConfigurationError");
      expect(execution.cause).toMatch(/not a valid object pattern|Unknown object/);
    }
    expect(queriesAndWrites()).toBe(0);
  });

  it("refuses a sync mode or input it does not know before calling Salesforce at all", async () => {
    // Prepare
    const before = emulator.calls.total;

    // Act
    const badMode = await runner.runSync({ mode: "full_refresh; DROP" }, { name: "hostile-mode" });
    const badObjects = await runner.runSync(
      { objects: "Account WHERE Id != null" },
      { name: "hostile-type" },
    );

    // Assess
    for (const execution of [badMode, badObjects]) {
      expect(execution).toMatchObject({ status: "FAILED", error: "ConfigurationError" });
      expect(execution.cause).toMatch(/Invalid discover input/);
    }
    expect(emulator.calls.total).toBe(before);
  });

  async function load(key: string, body: string, request: Record<string, unknown> = {}) {
    await env.runtime.store.put(key, body);
    return runner.runLoad({ bucket: env.runtime.config.bucket, key, ...request });
  }

  it.each([
    [
      "an object name built as SOQL",
      "inbound/Account WHERE Id != null/insert/a.csv",
      "Name\nx\n",
      /Account WHERE Id != null\W+ is not a valid Salesforce object API name/,
    ],
    [
      "a quote in the object",
      "inbound/Account' OR '1'='1/insert/a.csv",
      "Name\nx\n",
      /is not a valid Salesforce object API name/,
    ],
    ["an unknown operation", "inbound/Account/insert; DELETE/a.csv", "Name\nx\n", /is not an operation/],
    [
      "a relative object",
      "inbound/../insert/a.csv",
      "Name\nx\n",
      /\.\.\W+ is not a valid Salesforce object API name/,
    ],
    [
      "an external id field built as SOQL",
      "inbound/Account/upsert/Name, (SELECT Id FROM Contact)/a.csv",
      "Name\nx\n",
      /Name, \(SELECT Id FROM Contact\)\W+ is not a valid Salesforce field API name/,
    ],
    [
      "an unknown field in the header",
      "inbound/Account/insert/b.csv",
      "Name,Nope__c\nx,y\n",
      /Nope__c' \(column 2\) is not a field of Account/,
    ],
    [
      "a header built as SOQL",
      "inbound/Account/insert/c.csv",
      "Name,(SELECT Id FROM Contacts)\nx,y\n",
      /\(SELECT Id FROM Contacts\)' \(column 2\) is not a field/,
    ],
    [
      "a relationship column built as SOQL",
      "inbound/Contact/insert/d.csv",
      "LastName,Account.ERP_Id__c' OR '1'='1\nx,y\n",
      /Account has no field ERP_Id__c' OR '1'='1/,
    ],
    [
      "a JSON key built as SOQL",
      "inbound/Account/insert/e.jsonl",
      '{"Name":"x","Name; DELETE FROM Account":"y"}\n',
      /Name; DELETE FROM Account/,
    ],
  ])("rejects %s with a clear error, sending nothing", async (_what, key, body, why) => {
    // Act
    const execution = await load(key, body);

    // Assess
    expect(execution.status).toBe("FAILED");
    expect(["DataError", "ConfigurationError"]).toContain(execution.error);
    expect(execution.cause).toMatch(why);
    expect(queriesAndWrites()).toBe(0);
    // The object name only ever went to the describe endpoint, URL-encoded: never elsewhere.
    expect(emulator.calls.count("notFound")).toBe(0);
  });

  it("rejects hostile object and field names given by hand in a load request", async () => {
    // Prepare
    const key = "manual/accounts.csv";

    // Act
    const object = await load(key, "Name\nx\n", { object: "Account WHERE Id != null", operation: "insert" });
    const field = await load(key, "Name\nx\n", {
      object: "Account",
      operation: "upsert",
      externalIdField: "Id FROM Account WHERE Name != null",
      retry: true,
    });
    const operation = await load(key, "Name\nx\n", { object: "Account", operation: "insert; DROP" });

    // Assess
    expect(object.cause).toMatch(/Account WHERE Id != null\W+ is not a valid Salesforce object API name/);
    expect(field.cause).toMatch(
      /Id FROM Account WHERE Name != null\W+ is not a valid Salesforce field API name/,
    );
    expect(operation).toMatchObject({ status: "FAILED", error: "ConfigurationError" });
    expect(operation.cause).toMatch(/operation: must be one of insert/);
    expect(queriesAndWrites()).toBe(0);
  });
});
