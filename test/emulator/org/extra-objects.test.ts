import { describe, expect, it } from "vitest";
import { addExtraObjects } from "../../../emulator/org/extra-objects";
import { emptyDemoSchemaOrg } from "./fixtures";

describe("extra objects", () => {
  it("adds thousands of queryable custom objects, each with its own three-character key prefix and rows", () => {
    // Prepare: more than one letter's 62² key prefixes hold.
    const org = emptyDemoSchemaOrg();
    const before = org.listObjects().length;

    // Act
    const names = addExtraObjects(org, 3_400, 2);

    // Assess
    expect(names[0]).toBe("Extra_0001__c");
    expect(names.at(-1)).toBe("Extra_3400__c");
    expect(org.listObjects()).toHaveLength(before + 3_400);
    const prefixes = names.map((name) => org.describe(name).keyPrefix);
    for (const prefix of prefixes) expect(prefix).toMatch(/^[a-z][0-9A-Za-z]{2}$/);
    expect(new Set(prefixes).size).toBe(3_400);
    const last = [
      ...org
        .query("SELECT Id, Code__c, Amount__c, Active__c FROM Extra_3400__c", { includeDeleted: false })
        .rows(),
    ];
    expect(last).toHaveLength(2);
    expect(last[0]?.id).toMatch(new RegExp(`^${prefixes.at(-1)}[0-9A-Za-z]{15}$`));
  });
});
