import { describe, expect, it } from "vitest";
import { emptyDemoSchemaOrg, mustInsert, T0 } from "./fixtures";

describe("insert", () => {
  it("stores canonical values and stamps the system fields with the clock", () => {
    const org = emptyDemoSchemaOrg();

    const result = org.insert(
      "Account",
      { Name: "Acme, Inc.", AnnualRevenue: 1500000, NumberOfEmployees: 12, Website: "https://acme.example" },
      "json",
    );

    expect(result).toMatchObject({ success: true, created: true, errors: [] });
    const stored = org.get("Account", result.id as string);
    expect(stored).toMatchObject({
      Id: result.id,
      Name: "Acme, Inc.",
      AnnualRevenue: 1500000,
      IsDeleted: false,
      CreatedDate: T0,
      LastModifiedDate: T0,
      SystemModstamp: T0,
      CreatedById: org.userId,
      LastModifiedById: org.userId,
      OwnerId: org.userId,
    });
  });

  it("gives 5,000 inserts under a frozen clock one shared SystemModstamp", () => {
    const org = emptyDemoSchemaOrg();

    for (let i = 0; i < 5000; i++) mustInsert(org, "Account", { Name: `Bulk ${i}` });

    const stamps = new Set(
      [...org.query("SELECT SystemModstamp FROM Account", { includeDeleted: false }).rows()].map(
        (r) => r.values[0],
      ),
    );
    expect(stamps).toEqual(new Set([T0]));
  });

  it("reports missing required fields by name", () => {
    const org = emptyDemoSchemaOrg();

    const account = org.insert("Account", { Industry: "Banking" }, "json");
    const lead = org.insert("Lead", { FirstName: "Ann" }, "json");

    expect(account.errors).toEqual([
      {
        statusCode: "REQUIRED_FIELD_MISSING",
        message: "Required fields are missing: [Name]",
        fields: ["Name"],
      },
    ]);
    expect(lead.errors[0]).toMatchObject({
      statusCode: "REQUIRED_FIELD_MISSING",
      message: "Required fields are missing: [LastName, Company]",
      fields: ["LastName", "Company"],
    });
    expect(org.count("Account")).toBe(0);
  });

  it("refuses text longer than the field", () => {
    const org = emptyDemoSchemaOrg();

    const result = org.insert("Account", { Name: "x", Site: "s".repeat(81) }, "json");

    expect(result.errors[0]).toEqual({
      statusCode: "STRING_TOO_LONG",
      message: `Account Site: data value too large: ${"s".repeat(81)} (max length=80)`,
      fields: ["Site"],
    });
  });

  it("refuses values outside a restricted picklist and accepts any value in an open one", () => {
    const org = emptyDemoSchemaOrg();

    const bad = org.insert("Invoice__c", { Status__c: "Lost" }, "json");
    const open = org.insert("Account", { Name: "x", Industry: "Space Mining" }, "json");

    expect(bad.errors[0]).toEqual({
      statusCode: "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
      message: "Status: bad value for restricted picklist field: Lost",
      fields: ["Status__c"],
    });
    expect(open.success).toBe(true);
  });

  it("refuses read-only fields, naming them", () => {
    const org = emptyDemoSchemaOrg();

    const result = org.insert(
      "Opportunity",
      { Name: "x", StageName: "Prospecting", CloseDate: "2025-02-01", IsWon: true, ExpectedRevenue: 3 },
      "json",
    );

    expect(result.errors[0]).toMatchObject({
      statusCode: "INVALID_FIELD_FOR_INSERT_UPDATE",
      fields: ["IsWon", "ExpectedRevenue"],
    });
    expect(result.errors[0]?.message).toMatch(
      /^Unable to create\/update fields: IsWon, ExpectedRevenue\. Please check/,
    );
  });

  it("refuses unknown columns with INVALID_FIELD", () => {
    const org = emptyDemoSchemaOrg();

    const result = org.insert("Account", { Name: "x", Colour__c: "red" }, "json");

    expect(result.errors).toEqual([
      {
        statusCode: "INVALID_FIELD",
        message: "No such column 'Colour__c' on sobject of type Account",
        fields: [],
      },
    ]);
  });

  it("refuses malformed ids, ids of the wrong object and unknown ids in lookups", () => {
    const org = emptyDemoSchemaOrg();
    const contactId = mustInsert(org, "Contact", { LastName: "Lee" });
    const ghost = `${contactId.slice(0, 3)}${contactId.slice(3, 14)}Z`.replace(/^003/, "001");

    const malformed = org.insert("Contact", { LastName: "a", AccountId: "not-an-id" }, "json");
    const wrongType = org.insert("Contact", { LastName: "a", AccountId: contactId }, "json");
    const unknown = org.insert("Contact", { LastName: "a", AccountId: ghost }, "json");

    expect(malformed.errors[0]).toEqual({
      statusCode: "MALFORMED_ID",
      message: "Account ID: id value of incorrect type: not-an-id",
      fields: ["AccountId"],
    });
    expect(wrongType.errors[0]).toMatchObject({
      statusCode: "FIELD_INTEGRITY_EXCEPTION",
      fields: ["AccountId"],
    });
    expect(unknown.errors[0]).toEqual({
      statusCode: "INVALID_CROSS_REFERENCE_KEY",
      message: "invalid cross reference id",
      fields: ["AccountId"],
    });
  });

  it("accepts 15-character ids in lookups and stores the 18-character form", () => {
    const org = emptyDemoSchemaOrg();
    const accountId = mustInsert(org, "Account", { Name: "Parent" });

    const contactId = mustInsert(org, "Contact", { LastName: "Child", AccountId: accountId.slice(0, 15) });

    expect(org.get("Contact", contactId)?.AccountId).toBe(accountId);
  });

  it("reports JSON values of the wrong type as the REST deserializer does", () => {
    const org = emptyDemoSchemaOrg();

    const number = org.insert("Account", { Name: "x", AnnualRevenue: "lots" }, "json");
    const date = org.insert("Contact", { LastName: "x", Birthdate: "31/01/1990" }, "json");
    const bool = org.insert("Contact", { LastName: "x", DoNotCall: "maybe" }, "json");

    expect(number.errors[0]).toEqual({
      statusCode: "JSON_PARSER_ERROR",
      message:
        "Cannot deserialize instance of currency from VALUE_STRING value lots or request may be missing a required field",
      fields: [],
    });
    expect(date.errors[0]?.message).toContain("instance of date from VALUE_STRING value 31/01/1990");
    expect(bool.errors[0]?.message).toContain("instance of boolean from VALUE_STRING value maybe");
  });

  it("reports CSV values that do not parse as the Bulk API does, with the column number", () => {
    const org = emptyDemoSchemaOrg();

    const result = org.insert("Account", { Name: "x", NumberOfEmployees: "12.5" }, "csv");
    const date = org.insert("Contact", { LastName: "x", Phone: "1", Birthdate: "1990-02-30" }, "csv");
    const bool = org.insert("Contact", { LastName: "x", DoNotCall: "yes" }, "csv");

    expect(result.errors[0]).toEqual({
      statusCode: "INVALID_FIELD",
      message:
        "Failed to deserialize field at col 2. Due to, '12.5' is not a valid value for the type xsd:int",
      fields: ["NumberOfEmployees"],
    });
    expect(date.errors[0]?.message).toBe(
      "Failed to deserialize field at col 3. Due to, '1990-02-30' is not a valid value for the type xsd:date",
    );
    expect(bool.errors[0]?.message).toContain("'yes' is not a valid value for the type xsd:boolean");
  });

  it("parses CSV booleans, numbers, dates, datetimes with offsets and #N/A", () => {
    const org = emptyDemoSchemaOrg();

    const id = mustInsertCsv(org, {
      LastName: "Csv",
      DoNotCall: "1",
      HasOptedOutOfEmail: "FALSE",
      Birthdate: "1990-01-31",
      EmailBouncedDate: "2024-01-31T10:00:00+0100",
      Title: "#N/A",
      Department: "",
    });

    expect(org.get("Contact", id)).toMatchObject({
      DoNotCall: true,
      HasOptedOutOfEmail: false,
      Birthdate: "1990-01-31",
      EmailBouncedDate: Date.UTC(2024, 0, 31, 9, 0, 0),
      Title: null,
      Department: null,
    });
  });

  it("refuses a duplicate value in a unique field", () => {
    const org = emptyDemoSchemaOrg();
    const first = mustInsert(org, "Invoice__c", { ERP_Id__c: "E-1" });

    const result = org.insert("Invoice__c", { ERP_Id__c: "e-1" }, "json");

    expect(result.errors[0]).toEqual({
      statusCode: "DUPLICATE_VALUE",
      message: `duplicate value found: ERP_Id__c duplicates value on record with id: ${first}`,
      fields: [],
    });
  });

  it("fills defaults: booleans false, picklist defaults, auto-numbers, owner", () => {
    const org = emptyDemoSchemaOrg();

    const first = mustInsert(org, "Invoice__c", {});
    const second = mustInsert(org, "Invoice__c", {});

    expect(org.get("Invoice__c", first)).toMatchObject({
      Paid__c: false,
      Status__c: "Draft",
      Name: "INV-000001",
    });
    expect(org.get("Invoice__c", second)?.Name).toBe("INV-000002");
    expect(org.get("Lead", mustInsert(org, "Lead", { LastName: "L", Company: "C" }))?.Status).toBe(
      "Open - Not Contacted",
    );
  });

  it("rounds numbers to the field's scale and refuses numbers beyond its precision", () => {
    const org = emptyDemoSchemaOrg();

    const id = mustInsert(org, "Invoice__c", { Amount__c: 10.005, Quantity__c: 2.4 });
    const tooBig = org.insert("Account", { Name: "x", NumberOfEmployees: 123456789 }, "json");

    expect(org.get("Invoice__c", id)).toMatchObject({ Amount__c: 10.01, Quantity__c: 2 });
    expect(tooBig.errors[0]).toMatchObject({
      statusCode: "NUMBER_OUTSIDE_VALID_RANGE",
      fields: ["NumberOfEmployees"],
    });
  });
});

function mustInsertCsv(org: ReturnType<typeof emptyDemoSchemaOrg>, input: Record<string, string>): string {
  const result = org.insert("Contact", input, "csv");
  if (!result.success || !result.id) throw new Error(JSON.stringify(result.errors));
  return result.id;
}

describe("update", () => {
  it("changes fields, bumps LastModifiedDate and SystemModstamp, keeps CreatedDate", () => {
    const org = emptyDemoSchemaOrg();
    const id = mustInsert(org, "Account", { Name: "Before" });
    org.clock.advance(60_000);

    const result = org.update("Account", { Id: id, Name: "After", Phone: null }, "json");

    expect(result).toMatchObject({ id, success: true });
    expect(org.get("Account", id)).toMatchObject({
      Name: "After",
      CreatedDate: T0,
      LastModifiedDate: T0 + 60_000,
      SystemModstamp: T0 + 60_000,
    });
  });

  it("leaves fields unchanged for empty CSV values and clears them for #N/A", () => {
    const org = emptyDemoSchemaOrg();
    const id = mustInsert(org, "Account", { Name: "Keep", Phone: "555", Site: "HQ" });

    const result = org.update("Account", { Id: id, Phone: "", Site: "#N/A" }, "csv");

    expect(result.success).toBe(true);
    expect(org.get("Account", id)).toMatchObject({ Name: "Keep", Phone: "555", Site: null });
  });

  it("needs an Id, a well-formed one, of a row that exists and is not deleted", () => {
    const org = emptyDemoSchemaOrg();
    const id = mustInsert(org, "Account", { Name: "x" });
    const contact = mustInsert(org, "Contact", { LastName: "x" });
    org.delete("Account", id);

    expect(org.update("Account", { Name: "y" }, "json").errors[0]).toEqual({
      statusCode: "MISSING_ARGUMENT",
      message: "Id not specified in an update call",
      fields: [],
    });
    expect(org.update("Account", { Id: "bogus", Name: "y" }, "json").errors[0]).toEqual({
      statusCode: "MALFORMED_ID",
      message: "Account ID: id value of incorrect type: bogus",
      fields: ["Id"],
    });
    expect(org.update("Account", { Id: contact, Name: "y" }, "json").errors[0]?.statusCode).toBe(
      "MALFORMED_ID",
    );
    expect(org.update("Account", { Id: id, Name: "y" }, "json").errors[0]).toEqual({
      statusCode: "ENTITY_IS_DELETED",
      message: "entity is deleted",
      fields: [],
    });
  });

  it("refuses to clear a required field and to write a non-updateable one", () => {
    const org = emptyDemoSchemaOrg();
    const id = mustInsert(org, "Account", { Name: "x" });

    const clear = org.update("Account", { Id: id, Name: null }, "json");
    const readOnly = org.update("Account", { Id: id, CreatedDate: "2020-01-01T00:00:00Z" }, "json");

    expect(clear.errors[0]).toMatchObject({ statusCode: "REQUIRED_FIELD_MISSING", fields: ["Name"] });
    expect(readOnly.errors[0]).toMatchObject({
      statusCode: "INVALID_FIELD_FOR_INSERT_UPDATE",
      fields: ["CreatedDate"],
    });
  });

  it("fails with UNABLE_TO_LOCK_ROW while a row is locked, then succeeds", () => {
    const org = emptyDemoSchemaOrg();
    const id = mustInsert(org, "Account", { Name: "x" });
    org.lockRows([id], 2);

    const first = org.update("Account", { Id: id, Name: "1" }, "json");
    const second = org.update("Account", { Id: id, Name: "2" }, "json");
    const third = org.update("Account", { Id: id, Name: "3" }, "json");

    expect(first.errors[0]).toEqual({
      statusCode: "UNABLE_TO_LOCK_ROW",
      message: `unable to obtain exclusive access to this record or 1 records: ${id}`,
      fields: [],
    });
    expect(second.success).toBe(false);
    expect(third.success).toBe(true);
    expect(org.get("Account", id)?.Name).toBe("3");
  });

  it("fails an insert whose parent row is locked", () => {
    const org = emptyDemoSchemaOrg();
    const account = mustInsert(org, "Account", { Name: "Parent" });
    org.lockRows([account]);

    const result = org.insert("Contact", { LastName: "Child", AccountId: account }, "json");

    expect(result.errors[0]?.statusCode).toBe("UNABLE_TO_LOCK_ROW");
  });
});

describe("relationships by external id", () => {
  it("resolves Account.ERP_Id__c columns (CSV) and nested JSON to the parent's Id", () => {
    const org = emptyDemoSchemaOrg();
    const account = mustInsert(org, "Account", { Name: "Parent", ERP_Id__c: "ERP-7" });

    const csv = org.insert("Contact", { LastName: "Csv", "Account.ERP_Id__c": "erp-7" }, "csv");
    const json = org.insert("Invoice__c", { Account__r: { ERP_Id__c: "ERP-7" } }, "json");

    expect(org.get("Contact", csv.id as string)?.AccountId).toBe(account);
    expect(org.get("Invoice__c", json.id as string)?.Account__c).toBe(account);
  });

  it("reports an unknown foreign key and a non-external-id key field", () => {
    const org = emptyDemoSchemaOrg();

    const missing = org.insert("Contact", { LastName: "x", "Account.ERP_Id__c": "nope" }, "csv");
    const notExternal = org.insert("Contact", { LastName: "x", "Account.Phone": "1" }, "csv");

    expect(missing.errors[0]).toEqual({
      statusCode: "INVALID_FIELD",
      message: "Foreign key external ID: nope not found for field ERP_Id__c in entity Account",
      fields: [],
    });
    expect(notExternal.errors[0]?.message).toBe(
      "Field name provided, Phone is not an External ID or indexed field for Account",
    );
  });
});

describe("upsert", () => {
  it("inserts when no row has the external id and updates when one has", () => {
    const org = emptyDemoSchemaOrg();

    const created = org.upsert("Invoice__c", "ERP_Id__c", { ERP_Id__c: "E-1", Amount__c: 10 }, "json");
    org.clock.advance(1000);
    const updated = org.upsert("Invoice__c", "ERP_Id__c", { ERP_Id__c: "E-1", Amount__c: 20 }, "json");

    expect(created).toMatchObject({ success: true, created: true });
    expect(updated).toMatchObject({ success: true, created: false, id: created.id });
    expect(org.get("Invoice__c", created.id as string)).toMatchObject({
      Amount__c: 20,
      SystemModstamp: T0 + 1000,
    });
    expect(org.count("Invoice__c")).toBe(1);
  });

  it("fails when several rows share the external id", () => {
    const org = emptyDemoSchemaOrg();
    const a = mustInsert(org, "Account", { Name: "a", ERP_Id__c: "DUP" });
    const b = mustInsert(org, "Account", { Name: "b", ERP_Id__c: "DUP" });

    const result = org.upsert("Account", "ERP_Id__c", { ERP_Id__c: "DUP", Name: "c" }, "csv");

    expect(result.errors[0]).toEqual({
      statusCode: "DUPLICATE_EXTERNAL_ID",
      message: `ERP Id: more than one record found for external id field: [${a}, ${b}]`,
      fields: ["ERP_Id__c"],
    });
  });

  it("fails when the external id value is missing", () => {
    const org = emptyDemoSchemaOrg();

    const result = org.upsert("Invoice__c", "ERP_Id__c", { Amount__c: 5 }, "json");

    expect(result.errors[0]).toEqual({
      statusCode: "MISSING_ARGUMENT",
      message: "ERP_Id__c not specified",
      fields: [],
    });
  });

  it("refuses a key field that is not an external id", () => {
    const org = emptyDemoSchemaOrg();

    expect(() => org.upsert("Account", "Phone", { Phone: "1", Name: "x" }, "json")).toThrowError(
      expect.objectContaining({ errorCode: "INVALID_FIELD" }),
    );
  });
});

describe("delete, recycle bin and hard delete", () => {
  it("moves a deleted row to the recycle bin, seen only with includeDeleted", () => {
    const org = emptyDemoSchemaOrg();
    const id = mustInsert(org, "Account", { Name: "Binned" });
    org.clock.advance(5000);

    const result = org.delete("Account", id);

    expect(result).toMatchObject({ id, success: true });
    expect(org.count("Account")).toBe(0);
    expect(org.count("Account", { includeDeleted: true })).toBe(1);
    expect(org.get("Account", id)).toBeUndefined();
    expect(org.get("Account", id, { includeDeleted: true })).toMatchObject({
      IsDeleted: true,
      SystemModstamp: T0 + 5000,
    });
    expect(org.query("SELECT Id FROM Account", { includeDeleted: false }).totalSize).toBe(0);
    const all = org.query("SELECT Id, IsDeleted FROM Account WHERE IsDeleted = true", {
      includeDeleted: true,
    });
    expect([...all.rows()]).toEqual([{ id, values: [id, true] }]);
  });

  it("refuses to delete a row twice and deletes bin rows for good with hardDelete", () => {
    const org = emptyDemoSchemaOrg();
    const id = mustInsert(org, "Account", { Name: "x" });
    org.delete("Account", id);

    const again = org.delete("Account", id);
    const hard = org.hardDelete("Account", id);

    expect(again.errors[0]?.statusCode).toBe("ENTITY_IS_DELETED");
    expect(hard.success).toBe(true);
    expect(org.count("Account", { includeDeleted: true })).toBe(0);
    expect(org.get("Account", id, { includeDeleted: true })).toBeUndefined();
    expect(org.hardDelete("Account", id).errors[0]?.statusCode).toBe("INVALID_CROSS_REFERENCE_KEY");
  });

  it("fails a delete of a locked row", () => {
    const org = emptyDemoSchemaOrg();
    const id = mustInsert(org, "Account", { Name: "x" });
    org.lockRows([id.slice(0, 15)]);

    expect(org.delete("Account", id).errors[0]?.statusCode).toBe("UNABLE_TO_LOCK_ROW");
    expect(org.delete("Account", id).success).toBe(true);
  });
});

describe("computed fields", () => {
  it("recomputes formulas on read without touching SystemModstamp", () => {
    const org = emptyDemoSchemaOrg();
    const id = mustInsert(org, "Invoice__c", { Due_Date__c: "2025-01-10" });
    const before = org.get("Invoice__c", id);

    org.clock.advance(5 * 86_400_000);
    const after = org.get("Invoice__c", id);

    expect(before?.Days_Overdue__c).toBe(5);
    expect(after?.Days_Overdue__c).toBe(10);
    expect(after?.SystemModstamp).toBe(before?.SystemModstamp);
  });

  it("computes ExpectedRevenue, IsClosed and IsWon from the fields they follow", () => {
    const org = emptyDemoSchemaOrg();
    const id = mustInsert(org, "Opportunity", {
      Name: "Deal",
      StageName: "Closed Won",
      CloseDate: "2025-02-01",
      Amount: 1000,
      Probability: 40,
    });

    expect(org.get("Opportunity", id)).toMatchObject({ ExpectedRevenue: 400, IsClosed: true, IsWon: true });
  });
});

describe("touch", () => {
  it("bumps timestamps to now or to a past instant", () => {
    const org = emptyDemoSchemaOrg();
    const id = mustInsert(org, "Account", { Name: "x" });

    org.touch("Account", [id], { at: T0 - 3_600_000 });

    expect(org.get("Account", id)).toMatchObject({
      CreatedDate: T0,
      LastModifiedDate: T0 - 3_600_000,
      SystemModstamp: T0 - 3_600_000,
    });
  });
});

describe("REST specifics", () => {
  it("ignores the attributes property that REST records carry", () => {
    const org = emptyDemoSchemaOrg();

    const result = org.insert(
      "Account",
      { attributes: { type: "Account" }, Name: "With attributes" },
      "json",
    );

    expect(result.success).toBe(true);
  });

  it("refuses writes to read-only objects", () => {
    const org = emptyDemoSchemaOrg();

    const result = org.insert("AccountHistory", { Field: "Name" }, "json");

    expect(result.errors[0]).toMatchObject({
      statusCode: "INVALID_TYPE",
      message: "entity type cannot be inserted: Account History",
    });
  });
});
