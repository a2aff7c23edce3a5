import { describe, expect, it } from "vitest";
import { emptyDemoSchemaOrg, mustInsert } from "./fixtures";

describe("schema evolution", () => {
  it("adds a custom object with system fields, a Name and a fresh key prefix", () => {
    const org = emptyDemoSchemaOrg();

    const def = org.addObject({
      name: "Shipment__c",
      fields: [{ name: "Weight__c", type: "double", precision: 10, scale: 2 } as never],
    });
    const id = mustInsert(org, "Shipment__c", { Name: "S-1", Weight__c: 2.5 });

    expect(def.custom).toBe(true);
    expect(def.keyPrefix).toMatch(/^a[0-9A-Za-z]{2}$/);
    expect(def.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        "Id",
        "IsDeleted",
        "OwnerId",
        "CreatedDate",
        "SystemModstamp",
        "Name",
        "Weight__c",
      ]),
    );
    expect(id.startsWith(def.keyPrefix)).toBe(true);
    expect(org.listObjects().map((o) => o.name)).toContain("Shipment__c");
    expect(org.get("Shipment__c", id)).toMatchObject({ Name: "S-1", Weight__c: 2.5 });
  });

  it("adds a field that existing and generated rows read as null", () => {
    const org = emptyDemoSchemaOrg();
    const id = mustInsert(org, "Account", { Name: "Old" });
    org.generate("Account", 3);

    const field = org.addField("Account", { name: "Segment__c", type: "string", length: 40 });
    const rows = [...org.query("SELECT Segment__c FROM Account", { includeDeleted: false }).rows()];

    expect(field).toMatchObject({
      name: "Segment__c",
      type: "string",
      length: 40,
      custom: true,
      createable: true,
    });
    expect(rows.map((r) => r.values[0])).toEqual([null, null, null, null]);
    expect(org.update("Account", { Id: id, Segment__c: "SMB" }, "json").success).toBe(true);
    expect(org.get("Account", id)?.Segment__c).toBe("SMB");
  });

  it("removes a field: queries naming it fail with INVALID_FIELD and re-adding it reads null", () => {
    const org = emptyDemoSchemaOrg();
    const id = mustInsert(org, "Account", { Name: "x", Tier__c: "Gold" });

    org.removeField("Account", "Tier__c");

    expect(() => org.query("SELECT Tier__c FROM Account", { includeDeleted: false })).toThrowError(
      expect.objectContaining({ errorCode: "INVALID_FIELD" }),
    );
    expect(org.describe("Account").fields.some((f) => f.name === "Tier__c")).toBe(false);
    org.addField("Account", { name: "Tier__c", type: "picklist" });
    expect(org.get("Account", id)?.Tier__c).toBeNull();
  });

  it("refuses a field that already exists", () => {
    const org = emptyDemoSchemaOrg();

    expect(() => org.addField("Account", { name: "name", type: "string" })).toThrowError(
      expect.objectContaining({ errorCode: "DUPLICATE_DEVELOPER_NAME" }),
    );
  });
});
