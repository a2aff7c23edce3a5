import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../functions/errors";
import { assertApiName, buildSelect, soqlDateTime } from "../../../functions/salesforce/soql";

describe("SOQL building", () => {
  it("builds a closed window on the cursor field with whole-second UTC literals", () => {
    // Prepare
    const start = Date.parse("2024-03-01T10:00:00.750Z");
    const end = Date.parse("2024-03-01T11:30:00.000Z");

    // Act
    const soql = buildSelect("Account", ["Id", "Name", "SystemModstamp"], {
      field: "SystemModstamp",
      start,
      end,
    });

    // Assess
    expect(soql).toBe(
      "SELECT Id, Name, SystemModstamp FROM Account WHERE SystemModstamp >= 2024-03-01T10:00:00Z AND SystemModstamp < 2024-03-01T11:30:00Z",
    );
  });

  it("leaves the lower bound out for a first or full read", () => {
    const soql = buildSelect("Invoice__c", ["Id"], {
      field: "CreatedDate",
      end: Date.parse("2024-01-01T00:00:00Z"),
    });
    expect(soql).toBe("SELECT Id FROM Invoice__c WHERE CreatedDate < 2024-01-01T00:00:00Z");
    expect(buildSelect("Invoice__c", ["Id"])).toBe("SELECT Id FROM Invoice__c");
  });

  it.each([
    "Account WHERE Id != null",
    "Account;",
    "Acc ount",
    "1Account",
    "",
    "Account'--",
    "Name, (SELECT Id FROM Contacts)",
  ])("refuses %j as a name so it can never reach a query", (name) => {
    expect(() => assertApiName(name, "object")).toThrow(ConfigurationError);
    expect(() => buildSelect("Account", ["Id", name])).toThrow(/not a valid Salesforce field API name/);
  });

  it("accepts standard, custom and namespaced names", () => {
    for (const name of ["Account", "Invoice__c", "ns__Thing__c", "AccountHistory", "My_Field__c"]) {
      expect(assertApiName(name, "field")).toBe(name);
    }
  });

  it("formats instants as whole seconds", () => {
    expect(soqlDateTime(Date.parse("2024-12-31T23:59:59.999Z"))).toBe("2024-12-31T23:59:59Z");
  });
});
