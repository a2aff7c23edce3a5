import { describe, expect, it } from "vitest";
import { buildStream, diffStream, hasChanges } from "../../../functions/core/catalog";
import type { DescribeField, DescribeObject } from "../../../functions/salesforce/describe";

function field(name: string, type: string, extra: Partial<DescribeField> = {}): DescribeField {
  return {
    name,
    type,
    nillable: true,
    createable: true,
    updateable: true,
    calculated: false,
    externalId: false,
    idLookup: false,
    unique: false,
    filterable: true,
    compoundFieldName: null,
    ...extra,
  };
}

function describeOf(name: string, fields: DescribeField[]): DescribeObject {
  return {
    name,
    label: name,
    custom: name.endsWith("__c"),
    queryable: true,
    retrieveable: true,
    replicateable: true,
    createable: true,
    updateable: true,
    deletable: true,
    fields,
  };
}

describe("catalog streams", () => {
  const account = describeOf("Account", [
    field("Id", "id", { nillable: false, createable: false, updateable: false, idLookup: true }),
    field("IsDeleted", "boolean"),
    field("Name", "string", { length: 255, nillable: false }),
    field("BillingAddress", "address", { filterable: false }),
    field("BillingCity", "string", { compoundFieldName: "BillingAddress" }),
    field("AnnualRevenue", "currency", { precision: 18, scale: 2 }),
    field("NumberOfEmployees", "int"),
    field("Tier__c", "picklist", {
      restrictedPicklist: true,
      picklistValues: [
        { value: "Gold", active: true },
        { value: "Old", active: false },
      ],
    }),
    field("LastModifiedDate", "datetime"),
    field("SystemModstamp", "datetime"),
  ]);

  it("types fields for JSON, picks SystemModstamp as cursor and Bulk as API, and selects compound components only", () => {
    const stream = buildStream(account);
    expect(stream.cursorField).toBe("SystemModstamp");
    expect(stream.api).toBe("bulk");
    expect(stream.syncModes).toEqual(["full_refresh", "incremental"]);
    expect(stream.hasIsDeleted).toBe(true);
    expect(stream.selectFields).not.toContain("BillingAddress");
    expect(stream.selectFields).toContain("BillingCity");
    const byName = new Map(stream.fields.map((f) => [f.name, f]));
    expect(byName.get("AnnualRevenue")?.json).toEqual({ type: "number" });
    expect(byName.get("NumberOfEmployees")?.json).toEqual({ type: "integer" });
    expect(byName.get("SystemModstamp")?.json).toEqual({ type: "string", format: "date-time" });
    expect(byName.get("BillingAddress")?.json).toEqual({ type: "object" });
    expect(byName.get("BillingCity")?.compoundParent).toBe("BillingAddress");
    expect(byName.get("Tier__c")?.picklistValues).toEqual(["Gold"]);
  });

  it("falls back to CreatedDate, or to full refresh only, when better cursors are missing or not filterable", () => {
    const history = buildStream(
      describeOf("AccountHistory", [
        field("Id", "id"),
        field("CreatedDate", "datetime"),
        field("SystemModstamp", "datetime", { filterable: false }),
      ]),
    );
    expect(history.cursorField).toBe("CreatedDate");
    const none = buildStream(describeOf("Thing__c", [field("Id", "id"), field("Name", "string")]));
    expect(none.cursorField).toBeNull();
    expect(none.syncModes).toEqual(["full_refresh"]);
  });

  it("uses REST, with the reason, for base64 fields and objects Bulk does not support", () => {
    const attachment = buildStream(describeOf("Attachment", [field("Id", "id"), field("Body", "base64")]));
    expect(attachment.api).toBe("rest");
    expect(attachment.apiReason).toContain("base64");
    const status = buildStream(describeOf("CaseStatus", [field("Id", "id")]));
    expect(status.api).toBe("rest");
  });

  it("reports added, removed and retyped fields", () => {
    const before = buildStream(account);
    const after = buildStream(
      describeOf("Account", [
        ...account.fields
          .filter((f) => f.name !== "NumberOfEmployees")
          .map((f) => (f.name === "Name" ? { ...f, type: "textarea" } : f)),
        field("Region__c", "string"),
      ]),
    );
    const changes = diffStream(before, after);
    expect(changes).toEqual({
      object: "Account",
      added: ["Region__c"],
      removed: ["NumberOfEmployees"],
      retyped: [{ field: "Name", from: "string", to: "textarea" }],
    });
    expect(hasChanges(changes)).toBe(true);
    expect(hasChanges(diffStream(before, before))).toBe(false);
  });
});
