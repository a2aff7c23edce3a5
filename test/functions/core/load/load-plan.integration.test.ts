import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../../emulator/index";
import { buildLoadPlan } from "../../../../functions/core/load/load-plan";
import type { LoadTarget } from "../../../../functions/core/load/load-state";
import { DataError } from "../../../../functions/errors";
import { clearSessionCache, SalesforceClient } from "../../../../functions/salesforce/client";
import { parseCredentials } from "../../../../functions/salesforce/credentials";

let emulator: Emulator;
let client: SalesforceClient;

beforeAll(async () => {
  clearSessionCache();
  emulator = await startEmulator({ port: 0 });
  client = new SalesforceClient({
    credentials: parseCredentials({ ...emulator.credentials, loginUrl: emulator.url }, "test"),
  });
});

afterAll(async () => {
  await emulator.stop();
  clearSessionCache();
});

async function rejection(target: LoadTarget, header: string[]): Promise<DataError> {
  try {
    await buildLoadPlan(client, target, header, "csv");
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error(`the header ${header.join(",")} was accepted`);
}

describe("load plan", () => {
  it("maps each column to its field, case-insensitively, with relationship columns by external id", async () => {
    // Act
    const plan = await buildLoadPlan(
      client,
      { object: "invoice__c", operation: "upsert", externalIdField: "erp_id__c" },
      ["ERP_Id__c", "amount__c", "Account__r.ERP_Id__c", "Paid__c"],
      "csv",
    );

    // Assess
    expect(plan.object).toBe("Invoice__c");
    expect(plan.externalIdField).toBe("ERP_Id__c");
    expect(plan.columns.map((column) => column.name)).toEqual([
      "ERP_Id__c",
      "Amount__c",
      "Account__r.ERP_Id__c",
      "Paid__c",
    ]);
    expect(plan.columns[1]?.field.sfType).toBe("currency");
    expect(plan.columns[2]?.relationship).toEqual({
      name: "Account__r",
      referenceField: "Account__c",
      object: "Account",
    });
    expect(plan.columns[2]?.field).toMatchObject({ name: "ERP_Id__c", externalId: true });
    expect(plan.idColumn).toBe(-1);
  });

  it("rejects headers that cannot be loaded, saying which column and what to do", async () => {
    // Act
    const unknown = await rejection({ object: "Account", operation: "insert" }, ["Name", "Colour"]);
    const semicolons = await rejection({ object: "Account", operation: "insert" }, ["Name;Industry"]);
    const readOnly = await rejection({ object: "Account", operation: "insert" }, ["Name", "CreatedDate"]);
    const idOnInsert = await rejection({ object: "Account", operation: "insert" }, ["Id", "Name"]);
    const noId = await rejection({ object: "Account", operation: "update" }, ["Name"]);
    const deleteExtra = await rejection({ object: "Account", operation: "delete" }, ["Id", "Name"]);
    const notExternal = await rejection({ object: "Account", operation: "upsert", externalIdField: "Name" }, [
      "Name",
    ]);
    const badParentKey = await rejection({ object: "Contact", operation: "insert" }, [
      "LastName",
      "Account.Name",
    ]);
    const duplicate = await rejection({ object: "Account", operation: "insert" }, ["Name", "name"]);
    const noObject = await rejection({ object: "Unicorn__c", operation: "insert" }, ["Name"]);
    const blank = await rejection({ object: "Account", operation: "insert" }, ["Name", " "]);

    // Assess
    expect(unknown).toMatchObject({ code: "UNKNOWN_FIELD", line: 1, column: 2 });
    expect(unknown.message).toContain("'Colour' (column 2) is not a field of Account");
    expect(semicolons.message).toMatch(/separate fields with semicolons/);
    expect(readOnly.message).toMatch(/CreatedDate cannot be set on insert/);
    expect(idOnInsert.message).toMatch(/cannot take their Id/);
    expect(noId).toMatchObject({ code: "MISSING_KEY_COLUMN" });
    expect(deleteExtra.message).toMatch(/holds only the Id column/);
    expect(notExternal).toMatchObject({ code: "INVALID_EXTERNAL_ID" });
    expect(badParentKey.message).toMatch(/Account.Name is not an external id field/);
    expect(duplicate).toMatchObject({ code: "DUPLICATE_COLUMN", column: 2 });
    expect(noObject).toMatchObject({ code: "UNKNOWN_OBJECT" });
    expect(noObject.message).toMatch(/no object named Unicorn__c/);
    expect(blank.message).toMatch(/Column 2 of the header has no name/);
  });
});
