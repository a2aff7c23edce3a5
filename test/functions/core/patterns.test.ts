import { describe, expect, it } from "vitest";
import { ObjectFilter } from "../../../functions/core/patterns";
import { ConfigurationError } from "../../../functions/errors";

describe("object patterns", () => {
  it("matches names and globs case-insensitively, excludes win", () => {
    const filter = new ObjectFilter(["Account", "*__c", "Case*"], ["*History", "Secret__c"]);
    expect(
      ["Account", "account", "Invoice__c", "Case", "CaseComment"].every((name) => filter.matches(name)),
    ).toBe(true);
    expect(["Contact", "CaseHistory", "Secret__c", "Invoice__cX"].some((name) => filter.matches(name))).toBe(
      false,
    );
  });

  it("refuses patterns that are not names or globs", () => {
    expect(() => new ObjectFilter(["Account WHERE Id != null"])).toThrow(ConfigurationError);
    expect(() => new ObjectFilter(["Acc.*"])).toThrow(/not a valid object pattern/);
  });
});
