import { describe, expect, it } from "vitest";
import { currentValuesSql } from "../../../../functions/core/lake/current-values-sql";

describe("currentValuesSql", () => {
  it("selects each wanted column under its field's name, by Id as the table holds it", () => {
    // Act
    const sql = currentValuesSql(
      "Invoice__c",
      [
        { field: "Id", column: "id" },
        { field: "Amount__c", column: "amount__c__decimal_18_2" },
      ],
      { field: "Id", column: "id", caseInsensitive: false },
      ["a0X000000000001AAA", "a0X000000000002AAA"],
    );

    // Assess
    expect(sql).toBe(
      `SELECT "id" AS "Id", "amount__c__decimal_18_2" AS "Amount__c" FROM "invoice__c" WHERE "id" IN ('a0X000000000001AAA', 'a0X000000000002AAA')`,
    );
  });

  it("matches external ids whatever their case, quoting what the file wrote", () => {
    // Act
    const sql = currentValuesSql(
      "Account",
      [{ field: "ERP_Id__c", column: "erp_id__c" }],
      { field: "ERP_Id__c", column: "erp_id__c", caseInsensitive: true },
      ["o'brien-1"],
    );

    // Assess
    expect(sql).toBe(
      `SELECT "erp_id__c" AS "ERP_Id__c" FROM "account" WHERE lower("erp_id__c") IN ('o''brien-1')`,
    );
  });

  it("selects nothing for no key", () => {
    // Act
    const sql = currentValuesSql(
      "Account",
      [{ field: "Id", column: "id" }],
      { field: "Id", column: "id", caseInsensitive: false },
      [],
    );

    // Assess
    expect(sql).toMatch(/WHERE "id" IN \(''\)$/);
  });
});
