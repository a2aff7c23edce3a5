import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index";
import { ConfigurationError } from "../../../functions/errors";
import { clearSessionCache, SalesforceClient } from "../../../functions/salesforce/client";
import { parseCredentials } from "../../../functions/salesforce/credentials";
import { queryMany } from "../../../functions/salesforce/rest-query";

let emulator: Emulator;

beforeEach(async () => {
  clearSessionCache();
  emulator = await startEmulator({ port: 0 });
});

afterEach(async () => {
  await emulator.stop();
});

function client(): SalesforceClient {
  return new SalesforceClient({
    credentials: parseCredentials({ ...emulator.credentials, loginUrl: emulator.url }, "test"),
    retryDelayMs: 1,
  });
}

describe("queryMany", () => {
  it("answers 30 queries in two composite/batch calls, each query's records in order", async () => {
    // Prepare
    const ids = [
      ...emulator.org.query("SELECT Id FROM Account ORDER BY Id LIMIT 30", { includeDeleted: false }).rows(),
    ].map((row) => row.id as string);
    expect(ids).toHaveLength(30);
    const soqls = ids.map((id) => `SELECT Id, Name FROM Account WHERE Id IN ('${id}')`);
    const salesforce = client();

    // Act
    const answers = await queryMany(salesforce, { object: "Account", soqls });

    // Assess
    expect(answers.map((records) => records.map((record) => record.Id))).toEqual(ids.map((id) => [id]));
    expect(emulator.calls.count("composite")).toBe(2);
    expect(emulator.calls.count("query")).toBe(0);
  });

  it("throws a query Salesforce refused as a configuration error naming it", async () => {
    // Act
    const attempt = queryMany(client(), {
      object: "Account",
      soqls: ["SELECT Id FROM Account LIMIT 1", "SELECT Nope__c FROM Account"],
    });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConfigurationError);
    await expect(attempt).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/Nope__c/) });
  });
});
