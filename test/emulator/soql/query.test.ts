import { describe, expect, it } from "vitest";
import type { EmulatorOrg } from "../../../emulator/org/org";
import { emptyDemoSchemaOrg, mustInsert, T0 } from "../org/fixtures";

interface Fixture {
  org: EmulatorOrg;
  ids: Record<string, string>;
}

/** Five accounts with known values; acme is created first, echo last (one minute apart). */
function fixture(): Fixture {
  const org = emptyDemoSchemaOrg();
  const ids: Record<string, string> = {};
  const rows: Array<[string, Record<string, unknown>]> = [
    ["acme", { Name: "Acme", Industry: "Banking", AnnualRevenue: 500, NumberOfEmployees: 10, Rating: "Hot" }],
    [
      "bravo",
      { Name: "bravo, ltd", Industry: "Retail", AnnualRevenue: 1500, Rating: null, ERP_Id__c: "ERP-2" },
    ],
    ["charlie", { Name: 'Charlie "C" Co', Industry: null, AnnualRevenue: null, NumberOfEmployees: 30 }],
    ["delta", { Name: "Délta 100%", Industry: "Banking", AnnualRevenue: 2500, Rating: "Cold" }],
    ["echo", { Name: "Echo_1", Industry: "Energy", AnnualRevenue: 1500, Description: "multi\nline" }],
  ];
  for (const [key, values] of rows) {
    ids[key] = mustInsert(org, "Account", values);
    org.clock.advance(60_000);
  }
  return { org, ids };
}

const run = (org: EmulatorOrg, soql: string, includeDeleted = false) => org.query(soql, { includeDeleted });
const names = (org: EmulatorOrg, soql: string, includeDeleted = false) =>
  [...run(org, `SELECT Name FROM Account ${soql}`, includeDeleted).rows()].map((r) => r.values[0]);

describe("SELECT and columns", () => {
  it("returns canonical column names, the row Id and values in SELECT order", () => {
    const { org, ids } = fixture();

    const result = run(org, "select name, annualrevenue from ACCOUNT where name = 'acme'");

    expect(result.object).toBe("Account");
    expect(result.columns.map((c) => c.name)).toEqual(["Name", "AnnualRevenue"]);
    expect(result.columns[1]?.field.type).toBe("currency");
    expect(result.totalSize).toBe(1);
    expect([...result.rows()]).toEqual([{ id: ids.acme, values: ["Acme", 500] }]);
  });

  it("follows relationship paths to the parent's fields", () => {
    const { org, ids } = fixture();
    const contact = mustInsert(org, "Contact", { LastName: "Lee", FirstName: "Ann", AccountId: ids.bravo });
    mustInsert(org, "Contact", { LastName: "Orphan" });

    const result = run(
      org,
      "SELECT Name, Account.Name, Owner.Username, account.erp_id__c FROM Contact ORDER BY LastName",
    );

    expect(result.columns.map((c) => c.name)).toEqual([
      "Name",
      "Account.Name",
      "Owner.Username",
      "Account.ERP_Id__c",
    ]);
    expect(result.columns[1]?.path).toEqual(["Account", "Name"]);
    const rows = [...result.rows()];
    expect(rows[0]).toEqual({
      id: contact,
      values: ["Ann Lee", "bravo, ltd", expect.stringMatching(/^admin@/), "ERP-2"],
    });
    expect(rows[1]?.values.slice(1, 2)).toEqual([null]);
  });

  it("returns compound addresses as objects built from their components", () => {
    const org = emptyDemoSchemaOrg();
    mustInsert(org, "Account", {
      Name: "With",
      BillingCity: "Zürich",
      BillingPostalCode: "8001",
      BillingLatitude: 47.37,
    });
    mustInsert(org, "Account", { Name: "Without" });

    const rows = [...run(org, "SELECT BillingAddress FROM Account ORDER BY Name").rows()];

    expect(rows[0]?.values[0]).toEqual({
      street: null,
      city: "Zürich",
      state: null,
      postalCode: "8001",
      country: null,
      latitude: 47.37,
      longitude: null,
      geocodeAccuracy: null,
    });
    expect(rows[1]?.values[0]).toBeNull();
  });

  it("is lazy and repeatable: iterating twice yields the same rows", () => {
    const { org } = fixture();
    const result = run(org, "SELECT Name FROM Account");

    expect([...result.rows()]).toEqual([...result.rows()]);
  });

  it("counts with COUNT(): matching rows in totalSize, no columns, no rows; COUNT alone only", () => {
    const { org } = fixture();

    const all = run(org, "SELECT COUNT() FROM Account");
    const banking = run(org, "select count() from Account where Industry = 'Banking'");

    expect(all).toMatchObject({ object: "Account", columns: [], totalSize: 5, countOnly: true });
    expect([...all.rows()]).toEqual([]);
    expect(banking.totalSize).toBe(2);
    expect(() => run(org, "SELECT COUNT(), Name FROM Account")).toThrow(/unexpected token: ','/);
  });
});

describe("WHERE operators", () => {
  it("compares strings case-insensitively with = and !=, and != matches nulls", () => {
    const { org } = fixture();

    expect(names(org, "WHERE Name = 'ACME'")).toEqual(["Acme"]);
    expect(names(org, "WHERE Industry != 'banking'")).toEqual(["bravo, ltd", 'Charlie "C" Co', "Echo_1"]);
  });

  it("orders numbers with < <= > >=", () => {
    const { org } = fixture();

    expect(names(org, "WHERE AnnualRevenue < 1500")).toEqual(["Acme"]);
    expect(names(org, "WHERE AnnualRevenue <= 1500")).toEqual(["Acme", "bravo, ltd", "Echo_1"]);
    expect(names(org, "WHERE AnnualRevenue > 1500")).toEqual(["Délta 100%"]);
    expect(names(org, "WHERE AnnualRevenue >= 1500.0")).toEqual(["bravo, ltd", "Délta 100%", "Echo_1"]);
  });

  it("matches LIKE patterns with % and _, case-insensitively, with escapes", () => {
    const { org } = fixture();

    expect(names(org, "WHERE Name LIKE 'b%'")).toEqual(["bravo, ltd"]);
    expect(names(org, "WHERE Name LIKE '_cme'")).toEqual(["Acme"]);
    expect(names(org, "WHERE Name LIKE '%100\\%'")).toEqual(["Délta 100%"]);
    expect(names(org, "WHERE Name LIKE 'Echo\\_%'")).toEqual(["Echo_1"]);
    expect(names(org, "WHERE Name LIKE 'Echo\\_'")).toEqual([]);
  });

  it("tests membership with IN and NOT IN (which keeps nulls)", () => {
    const { org } = fixture();

    expect(names(org, "WHERE Industry IN ('Banking', 'energy')")).toEqual(["Acme", "Délta 100%", "Echo_1"]);
    expect(names(org, "WHERE Industry NOT IN ('Banking', 'Energy')")).toEqual([
      "bravo, ltd",
      'Charlie "C" Co',
    ]);
  });

  it("tests null with = null and != null", () => {
    const { org } = fixture();

    expect(names(org, "WHERE Rating = null")).toEqual(["bravo, ltd", 'Charlie "C" Co', "Echo_1"]);
    expect(names(org, "WHERE Rating != null")).toEqual(["Acme", "Délta 100%"]);
  });

  it("combines with AND, OR, NOT and parentheses", () => {
    const { org } = fixture();

    expect(names(org, "WHERE Industry = 'Banking' AND AnnualRevenue > 1000")).toEqual(["Délta 100%"]);
    expect(names(org, "WHERE Industry = 'Retail' OR Rating = 'Hot' OR Name = 'Echo_1'")).toEqual([
      "Acme",
      "bravo, ltd",
      "Echo_1",
    ]);
    expect(names(org, "WHERE NOT Industry = 'Banking'")).toEqual(["bravo, ltd", 'Charlie "C" Co', "Echo_1"]);
    expect(
      names(org, "WHERE (Industry = 'Banking' OR Industry = 'Retail') AND AnnualRevenue >= 1500"),
    ).toEqual(["bravo, ltd", "Délta 100%"]);
    expect(
      names(org, "WHERE Industry = 'Banking' OR (Industry = 'Retail' AND AnnualRevenue >= 1500)"),
    ).toEqual(["Acme", "bravo, ltd", "Délta 100%"]);
    expect(names(org, "WHERE Rating = null AND (NOT (Industry = 'Energy'))")).toEqual([
      "bravo, ltd",
      'Charlie "C" Co',
    ]);
  });

  it("refuses AND and OR mixed without parentheses, as Salesforce does", () => {
    const { org } = fixture();

    expect(() => names(org, "WHERE Name = 'a' AND Name = 'b' OR Name = 'c'")).toThrowError(
      expect.objectContaining({
        errorCode: "MALFORMED_QUERY",
        message: expect.stringContaining("unexpected token: 'OR'"),
      }),
    );
  });

  it("matches 15- and 18-character Id literals", () => {
    const { org, ids } = fixture();
    const id = ids.charlie as string;

    expect(names(org, `WHERE Id = '${id.slice(0, 15)}'`)).toEqual(['Charlie "C" Co']);
    expect(names(org, `WHERE Id IN ('${id}', '${(ids.acme as string).toLowerCase()}')`)).toEqual([
      "Acme",
      'Charlie "C" Co',
    ]);
  });

  it("compares booleans, dates and datetimes (by instant, whatever the offset)", () => {
    const { org, ids } = fixture();
    mustInsert(org, "Contact", { LastName: "Old", Birthdate: "1980-05-01", DoNotCall: true });
    mustInsert(org, "Contact", { LastName: "Young", Birthdate: "2001-01-31" });
    const lastNames = (where: string) =>
      [...run(org, `SELECT LastName FROM Contact ${where}`).rows()].map((r) => r.values[0]);
    const third = T0 + 2 * 60_000;

    expect(lastNames("WHERE DoNotCall = true")).toEqual(["Old"]);
    expect(lastNames("WHERE DoNotCall = FALSE")).toEqual(["Young"]);
    expect(lastNames("WHERE Birthdate > 1990-01-01")).toEqual(["Young"]);
    expect(lastNames("WHERE Birthdate = 2001-01-31")).toEqual(["Young"]);
    const iso = new Date(third).toISOString();
    expect(names(org, `WHERE CreatedDate = ${iso}`)).toEqual(['Charlie "C" Co']);
    expect(names(org, `WHERE CreatedDate = ${iso.replace(".000Z", "Z")}`)).toEqual(['Charlie "C" Co']);
    expect(names(org, "WHERE CreatedDate >= 2025-01-15T13:03:00+01:00")).toEqual(["Délta 100%", "Echo_1"]);
    expect(names(org, "WHERE CreatedDate < 2025-01-15T07:01:00-0500")).toEqual(["Acme"]);
    expect(ids.acme).toBeDefined();
  });

  it("reads string escapes in literals", () => {
    const { org } = fixture();

    expect(names(org, "WHERE Name = 'Charlie \\\"C\\\" Co'")).toEqual(['Charlie "C" Co']);
    expect(() => names(org, "WHERE Name = 'a\\qb'")).toThrowError(
      expect.objectContaining({ errorCode: "MALFORMED_QUERY" }),
    );
  });

  it("filters on IsDeleted, with deleted rows visible only to queryAll", () => {
    const { org, ids } = fixture();
    org.delete("Account", ids.bravo as string);

    expect(names(org, "WHERE IsDeleted = true")).toEqual([]);
    expect(names(org, "WHERE IsDeleted = true", true)).toEqual(["bravo, ltd"]);
    expect(names(org, "", true)).toHaveLength(5);
    expect(names(org, "")).toHaveLength(4);
  });

  it("finds rows by relationship fields, with a missing parent reading null", () => {
    const { org, ids } = fixture();
    mustInsert(org, "Contact", { LastName: "WithParent", AccountId: ids.acme });
    mustInsert(org, "Contact", { LastName: "NoParent" });
    const lastNames = (where: string) =>
      [...run(org, `SELECT LastName FROM Contact ${where}`).rows()].map((r) => r.values[0]);

    expect(lastNames("WHERE Account.Industry = 'Banking'")).toEqual(["WithParent"]);
    expect(lastNames("WHERE Account.Name = null")).toEqual(["NoParent"]);
  });

  it("matches multi-select picklists with INCLUDES and EXCLUDES", () => {
    const org = emptyDemoSchemaOrg();
    mustInsert(org, "Invoice__c", { ERP_Id__c: "a", Tags__c: "Priority;Export" });
    mustInsert(org, "Invoice__c", { ERP_Id__c: "b", Tags__c: "Recurring" });
    const keys = (where: string) =>
      [...run(org, `SELECT ERP_Id__c FROM Invoice__c ${where}`).rows()].map((r) => r.values[0]);

    expect(keys("WHERE Tags__c INCLUDES ('export')")).toEqual(["a"]);
    expect(keys("WHERE Tags__c INCLUDES ('Export;Recurring', 'Recurring')")).toEqual(["b"]);
    expect(keys("WHERE Tags__c EXCLUDES ('Priority')")).toEqual(["b"]);
  });
});

describe("ORDER BY, LIMIT and OFFSET", () => {
  it("sorts ascending with nulls first by default and descending with nulls last", () => {
    const { org } = fixture();

    expect(names(org, "ORDER BY AnnualRevenue, Name")).toEqual([
      'Charlie "C" Co',
      "Acme",
      "bravo, ltd",
      "Echo_1",
      "Délta 100%",
    ]);
    expect(names(org, "ORDER BY AnnualRevenue DESC, Name DESC")).toEqual([
      "Délta 100%",
      "Echo_1",
      "bravo, ltd",
      "Acme",
      'Charlie "C" Co',
    ]);
  });

  it("honours NULLS FIRST / NULLS LAST and sorts text case-insensitively", () => {
    const { org } = fixture();

    expect(names(org, "ORDER BY Rating ASC NULLS LAST, Name")).toEqual([
      "Délta 100%",
      "Acme",
      "bravo, ltd",
      'Charlie "C" Co',
      "Echo_1",
    ]);
    expect(names(org, "ORDER BY Rating DESC NULLS FIRST, Name LIMIT 2")).toEqual([
      "bravo, ltd",
      'Charlie "C" Co',
    ]);
    expect(names(org, "ORDER BY Name")).toEqual([
      "Acme",
      "bravo, ltd",
      'Charlie "C" Co',
      "Délta 100%",
      "Echo_1",
    ]);
  });

  it("limits and offsets, with totalSize counting the rows returned", () => {
    const { org } = fixture();

    const limited = run(org, "SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 1");
    const unordered = run(org, "SELECT Name FROM Account LIMIT 3");

    expect([...limited.rows()].map((r) => r.values[0])).toEqual(["bravo, ltd", 'Charlie "C" Co']);
    expect(limited.totalSize).toBe(2);
    expect(unordered.totalSize).toBe(3);
    expect([...unordered.rows()]).toHaveLength(3);
    expect(run(org, "SELECT Name FROM Account LIMIT 0").totalSize).toBe(0);
    expect(run(org, "SELECT Name FROM Account OFFSET 4").totalSize).toBe(1);
  });

  it("does not show rows inserted after the query ran", () => {
    const { org } = fixture();
    const result = run(org, "SELECT Name FROM Account");

    mustInsert(org, "Account", { Name: "Late" });

    expect([...result.rows()]).toHaveLength(5);
    expect(result.totalSize).toBe(5);
  });
});
