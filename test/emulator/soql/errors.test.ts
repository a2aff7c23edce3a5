import { describe, expect, it } from "vitest";
import { emptyDemoSchemaOrg } from "../org/fixtures";

const org = emptyDemoSchemaOrg();

function errorOf(soql: string): { errorCode: string; message: string } {
  try {
    org.query(soql, { includeDeleted: false });
  } catch (error) {
    return error as { errorCode: string; message: string };
  }
  throw new Error(`expected ${soql} to fail`);
}

describe("query errors", () => {
  it("reports bad syntax as MALFORMED_QUERY with the position of the offending token", () => {
    const error = errorOf("SELECT Id FORM Account");

    expect(error.errorCode).toBe("MALFORMED_QUERY");
    expect(error.message).toBe(
      "\nSELECT Id FORM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FORM'",
    );
  });

  it("reports a query that ends early as unexpected <EOF>", () => {
    expect(errorOf("SELECT Id FROM Account WHERE").message).toMatch(/Column:29\nunexpected token: '<EOF>'$/);
    expect(errorOf("SELECT Id, FROM Account").message).toMatch(/unexpected token: 'FROM'$/);
  });

  it("reports unsupported clauses as MALFORMED_QUERY", () => {
    expect(errorOf("SELECT COUNT(Id) FROM Account").errorCode).toBe("MALFORMED_QUERY");
    expect(errorOf("SELECT Id FROM Account GROUP BY Name").errorCode).toBe("MALFORMED_QUERY");
    expect(errorOf("SELECT Id FROM Account LIMIT -1").errorCode).toBe("MALFORMED_QUERY");
  });

  it("reports unknown columns with Salesforce's full INVALID_FIELD message", () => {
    const error = errorOf("SELECT Id, Foo FROM Account");

    expect(error.errorCode).toBe("INVALID_FIELD");
    expect(error.message).toBe(
      "\nSELECT Id, Foo FROM Account\n           ^\nERROR at Row:1:Column:12\nNo such column 'Foo' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
    );
  });

  it("reports unknown columns in WHERE and ORDER BY, and unknown relationships", () => {
    expect(errorOf("SELECT Id FROM Account WHERE Nope__c = 1").message).toContain(
      "No such column 'Nope__c' on entity 'Account'",
    );
    expect(errorOf("SELECT Id FROM Account ORDER BY Nope").errorCode).toBe("INVALID_FIELD");
    expect(errorOf("SELECT Owner.Nope FROM Account").message).toContain(
      "No such column 'Nope' on entity 'User'",
    );
    expect(errorOf("SELECT Boss.Name FROM Account").message).toContain(
      "Didn't understand relationship 'Boss' in field path",
    );
  });

  it("reports unknown objects as INVALID_TYPE", () => {
    const error = errorOf("SELECT Id FROM Foo");

    expect(error.errorCode).toBe("INVALID_TYPE");
    expect(error.message).toContain(
      "sObject type 'Foo' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name.",
    );
  });

  it("refuses literals that do not suit the field's type", () => {
    expect(errorOf("SELECT Id FROM Account WHERE AnnualRevenue = '5'").message).toContain(
      "value of filter criterion for field 'AnnualRevenue' must be of type double and should not be enclosed in quotes",
    );
    expect(errorOf("SELECT Id FROM Account WHERE CreatedDate > 2024-01-01").message).toContain(
      "must be of type dateTime",
    );
    expect(errorOf("SELECT Id FROM Account WHERE Name = 5").message).toContain(
      "should be enclosed in quotes",
    );
    const badId = errorOf("SELECT Id FROM Account WHERE Id = 'abc'");
    expect(badId).toMatchObject({ errorCode: "INVALID_QUERY_FILTER_OPERATOR" });
    expect(badId.message).toMatch(/invalid ID field: abc$/);
  });

  it("refuses filtering on long text and compounds, and sorting on long text", () => {
    expect(errorOf("SELECT Id FROM Account WHERE Description = 'x'").message).toMatch(
      /field 'Description' can not be filtered in query call$/,
    );
    expect(errorOf("SELECT Id FROM Account WHERE BillingAddress = 'x'").errorCode).toBe("INVALID_FIELD");
    expect(errorOf("SELECT Id FROM Account ORDER BY Description").message).toMatch(
      /can not be sorted in a query call$/,
    );
  });

  it("reports the row and column of an error on a later line", () => {
    const error = errorOf("SELECT Id\nFROM Account\nWHERE Nope = 1");

    expect(error.message).toMatch(/^\nWHERE Nope = 1\n {6}\^\nERROR at Row:3:Column:7\n/);
  });
});
