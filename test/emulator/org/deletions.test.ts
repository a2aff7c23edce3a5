import { describe, expect, it } from "vitest";
import type { EmulatorOrg } from "../../../emulator/org/org";
import type { GetDeletedResult } from "../../../emulator/org/types";
import { emptyDemoSchemaOrg, mustInsert, T0 } from "./fixtures";

const MINUTE = 60_000;
const DAY = 86_400_000;

function ids(result: GetDeletedResult): string[] {
  return result.deletedRecords.map((r) => r.id);
}

function queryAllIds(org: EmulatorOrg, object: string): string[] {
  return [...org.query(`SELECT Id FROM ${object}`, { includeDeleted: true }).rows()].map((r) => r.id);
}

function orgError(fn: () => unknown): { errorCode: string; message: string } {
  try {
    fn();
  } catch (error) {
    return error as { errorCode: string; message: string };
  }
  throw new Error("expected an OrgError");
}

describe("delete log (getDeleted)", () => {
  it("logs soft deletes at their SystemModstamp and hard deletes at the clock", () => {
    // Prepare
    const org = emptyDemoSchemaOrg();
    const soft = mustInsert(org, "Account", { Name: "Soft" });
    const hard = mustInsert(org, "Account", { Name: "Hard" });
    org.clock.set(T0 + 2 * MINUTE + 15_000, { frozen: true });
    // Act
    org.delete("Account", soft);
    org.clock.advance(10_000);
    org.hardDelete("Account", hard);
    org.clock.set(T0 + 10 * MINUTE, { frozen: true });
    const result = org.getDeleted("Account", T0, T0 + 5 * MINUTE);
    // Assess
    expect(result.deletedRecords).toEqual([
      { id: soft, deletedDate: T0 + 2 * MINUTE + 15_000 },
      { id: hard, deletedDate: T0 + 2 * MINUTE + 25_000 },
    ]);
    expect(org.get("Account", soft, { includeDeleted: true })?.SystemModstamp).toBe(T0 + 2 * MINUTE + 15_000);
  });

  it("ignores the seconds of start and end: the window runs from the start minute to the end minute, inclusive", () => {
    // Prepare
    const org = emptyDemoSchemaOrg();
    const at = (ms: number) => {
      const id = mustInsert(org, "Account", { Name: `At ${ms}` });
      org.clock.set(ms, { frozen: true });
      org.delete("Account", id);
      return id;
    };
    const beforeStart = at(T0 + MINUTE - 1);
    const startMinute = at(T0 + MINUTE);
    const endMinute = at(T0 + 3 * MINUTE);
    const afterEnd = at(T0 + 3 * MINUTE + 1);
    org.clock.set(T0 + 10 * MINUTE, { frozen: true });
    // Act
    const result = org.getDeleted("Account", T0 + MINUTE + 59_000, T0 + 3 * MINUTE + 59_999);
    // Assess
    expect(ids(result)).toEqual([startMinute, endMinute]);
    expect(ids(result)).not.toContain(beforeStart);
    expect(ids(result)).not.toContain(afterEnd);
    expect(result.latestDateCovered).toBe(T0 + 3 * MINUTE);
  });

  it("covers up to the end minute, or the last whole minute of the clock when the end is later", () => {
    // Prepare
    const org = emptyDemoSchemaOrg();
    org.clock.set(T0 + 30 * MINUTE + 42_500, { frozen: true });
    // Act
    const past = org.getDeleted("Account", T0, T0 + 20 * MINUTE + 5_000);
    const future = org.getDeleted("Account", T0, T0 + 90 * MINUTE);
    org.deleteLogSettings({ coverageLagMs: 10 * MINUTE });
    const lagging = org.getDeleted("Account", T0, T0 + 90 * MINUTE);
    // Assess
    expect(past.latestDateCovered).toBe(T0 + 20 * MINUTE);
    expect(future.latestDateCovered).toBe(T0 + 30 * MINUTE);
    expect(lagging.latestDateCovered).toBe(T0 + 20 * MINUTE);
  });

  it("refuses a window shorter than a minute, or reversed, with INVALID_REPLICATION_DATE", () => {
    // Prepare
    const org = emptyDemoSchemaOrg();
    // Act
    const sameMinute = orgError(() =>
      org.getDeleted("Account", T0 - 10 * MINUTE + 1_000, T0 - 10 * MINUTE + 59_000),
    );
    const reversed = orgError(() => org.getDeleted("Account", T0 - MINUTE, T0 - 5 * MINUTE));
    const oneMinute = org.getDeleted("Account", T0 - 2 * MINUTE + 59_000, T0 - MINUTE);
    // Assess
    expect(sameMinute).toMatchObject({
      errorCode: "INVALID_REPLICATION_DATE",
      message: "startDate must be at least one minute greater than endDate",
    });
    expect(reversed.errorCode).toBe("INVALID_REPLICATION_DATE");
    expect(oneMinute.deletedRecords).toEqual([]);
  });

  it("keeps 15 days: earliestDateAvailable is 15 days back (rounded up to a minute), an earlier start is refused", () => {
    // Prepare
    const org = emptyDemoSchemaOrg();
    const old = mustInsert(org, "Account", { Name: "Old" });
    org.delete("Account", old);
    org.clock.set(T0 + 15 * DAY + 30_000, { frozen: true });
    // Act
    const result = org.getDeleted("Account", T0 + MINUTE, T0 + 15 * DAY);
    const tooEarly = orgError(() => org.getDeleted("Account", T0, T0 + 15 * DAY));
    // Assess
    expect(result.earliestDateAvailable).toBe(T0 + MINUTE);
    expect(ids(result)).toEqual([]);
    expect(tooEarly.errorCode).toBe("INVALID_REPLICATION_DATE");
    expect(tooEarly.message).toContain(new Date(T0 + MINUTE).toISOString());
  });

  it("fails with EXCEEDED_ID_LIMIT beyond the Id limit (600,000 by default, settable)", () => {
    // Prepare
    const org = emptyDemoSchemaOrg();
    for (let i = 0; i < 3; i++) org.delete("Account", mustInsert(org, "Account", { Name: `Gone ${i}` }));
    const window = [T0 - MINUTE, T0 + MINUTE] as const;
    // Act
    const defaults = org.deleteLogSettings();
    org.deleteLogSettings({ maxIds: 3 });
    const atLimit = org.getDeleted("Account", ...window);
    org.deleteLogSettings({ maxIds: 2 });
    const over = orgError(() => org.getDeleted("Account", ...window));
    // Assess
    expect(defaults).toEqual({ maxIds: 600_000, coverageLagMs: 0 });
    expect(atLimit.deletedRecords).toHaveLength(3);
    expect(over.errorCode).toBe("EXCEEDED_ID_LIMIT");
    expect(() => org.deleteLogSettings({ maxIds: -1 })).toThrow(RangeError);
  });

  it("answers INVALID_TYPE for an object that is not replicateable, NOT_FOUND for an unknown one", () => {
    // Prepare
    const org = emptyDemoSchemaOrg();
    // Act
    const history = orgError(() => org.getDeleted("AccountHistory", T0 - DAY, T0));
    const unknown = orgError(() => org.getDeleted("Nope__c", T0 - DAY, T0));
    // Assess
    expect(history).toMatchObject({
      errorCode: "INVALID_TYPE",
      message: "sObject type AccountHistory is not replicable",
    });
    expect(unknown.errorCode).toBe("NOT_FOUND");
  });

  it("logs a hard delete of a row already in the recycle bin once, and a rolled-back insert never", () => {
    // Prepare
    const org = emptyDemoSchemaOrg();
    const binned = mustInsert(org, "Account", { Name: "Binned" });
    const rolledBack = mustInsert(org, "Account", { Name: "Rolled back" });
    // Act
    org.delete("Account", binned);
    org.clock.advance(MINUTE);
    org.hardDelete("Account", binned);
    org.undoInsert("Account", rolledBack);
    // Assess
    expect(org.getDeleted("Account", T0 - MINUTE, T0 + 2 * MINUTE).deletedRecords).toEqual([
      { id: binned, deletedDate: T0 },
    ]);
    expect(queryAllIds(org, "Account")).not.toContain(binned);
    expect(queryAllIds(org, "Account")).not.toContain(rolledBack);
  });
});

describe("recycle bin", () => {
  it("keeps soft-deleted rows for queryAll 15 days on the org clock, then lets them go", () => {
    // Prepare
    const org = emptyDemoSchemaOrg();
    const id = mustInsert(org, "Account", { Name: "Binned" });
    org.delete("Account", id);
    // Act
    org.clock.set(T0 + 15 * DAY - 1, { frozen: true });
    const lastMoment = queryAllIds(org, "Account");
    const counted = org.count("Account", { includeDeleted: true });
    org.clock.set(T0 + 15 * DAY, { frozen: true });
    const after = queryAllIds(org, "Account");
    // Assess
    expect(lastMoment).toContain(id);
    expect(counted).toBe(1);
    expect(after).not.toContain(id);
    expect(org.count("Account", { includeDeleted: true })).toBe(0);
    expect(org.get("Account", id, { includeDeleted: true })).toBeUndefined();
    expect(org.update("Account", { Id: id, Name: "Back?" }, "json").errors[0]?.statusCode).toBe(
      "INVALID_CROSS_REFERENCE_KEY",
    );
  });

  it("ages rows by their own deletion time when the clock was set back between deletions", () => {
    // Prepare
    const org = emptyDemoSchemaOrg();
    const later = mustInsert(org, "Account", { Name: "Deleted a day later" });
    const earlier = mustInsert(org, "Account", { Name: "Deleted first" });
    org.clock.set(T0 + DAY, { frozen: true });
    org.delete("Account", later);
    org.clock.set(T0, { frozen: true });
    org.delete("Account", earlier);
    // Act
    org.clock.set(T0 + 15 * DAY, { frozen: true });
    const atFifteen = queryAllIds(org, "Account");
    org.clock.set(T0 + 16 * DAY, { frozen: true });
    const atSixteen = queryAllIds(org, "Account");
    // Assess
    expect(atFifteen).toEqual([later]);
    expect(atSixteen).toEqual([]);
  });

  it("empties one object's bin: rows leave queryAll, the log starts again at the purge", () => {
    // Prepare
    const org = emptyDemoSchemaOrg();
    const account = mustInsert(org, "Account", { Name: "Binned" });
    const contact = mustInsert(org, "Contact", { LastName: "Binned" });
    org.delete("Account", account);
    org.delete("Contact", contact);
    org.clock.set(T0 + 5 * MINUTE + 20_000, { frozen: true });
    // Act
    const result = org.emptyRecycleBin("Account");
    const afterPurge = mustInsert(org, "Account", { Name: "Deleted after the purge" });
    org.clock.set(T0 + 7 * MINUTE, { frozen: true });
    org.delete("Account", afterPurge);
    org.clock.set(T0 + 10 * MINUTE, { frozen: true });
    const tooEarly = orgError(() => org.getDeleted("Account", T0, T0 + 9 * MINUTE));
    const fromPurge = org.getDeleted("Account", T0 + 6 * MINUTE, T0 + 9 * MINUTE);
    // Assess
    expect(result).toEqual({ emptied: 1, at: T0 + 5 * MINUTE + 20_000 });
    expect(queryAllIds(org, "Account")).toEqual([afterPurge]);
    expect(queryAllIds(org, "Contact")).toEqual([contact]);
    expect(tooEarly.errorCode).toBe("INVALID_REPLICATION_DATE");
    expect(fromPurge.earliestDateAvailable).toBe(T0 + 6 * MINUTE);
    expect(ids(fromPurge)).toEqual([afterPurge]);
    expect(org.getDeleted("Contact", T0 - MINUTE, T0 + MINUTE).deletedRecords).toHaveLength(1);
  });

  it("empties every object's bin when no object is named", () => {
    // Prepare
    const org = emptyDemoSchemaOrg();
    org.delete("Account", mustInsert(org, "Account", { Name: "A" }));
    org.delete("Contact", mustInsert(org, "Contact", { LastName: "C" }));
    // Act
    const result = org.emptyRecycleBin();
    // Assess
    expect(result.emptied).toBe(2);
    expect(
      org.count("Account", { includeDeleted: true }) + org.count("Contact", { includeDeleted: true }),
    ).toBe(0);
  });

  it("leaves no trace in queryAll of a hard-deleted row, or of a row deleted where there is no recycle bin", () => {
    // Prepare
    const org = emptyDemoSchemaOrg();
    org.addObject({ name: "Ledger__c", undeletable: false });
    const hard = mustInsert(org, "Account", { Name: "Hard" });
    const ledger = mustInsert(org, "Ledger__c", { Name: "No bin" });
    // Act
    const hardResult = org.hardDelete("Account", hard);
    const ledgerResult = org.delete("Ledger__c", ledger);
    // Assess
    expect(hardResult.success && ledgerResult.success).toBe(true);
    expect(queryAllIds(org, "Account")).toEqual([]);
    expect(queryAllIds(org, "Ledger__c")).toEqual([]);
    expect(org.count("Ledger__c", { includeDeleted: true })).toBe(0);
    expect(ids(org.getDeleted("Ledger__c", T0 - MINUTE, T0 + MINUTE))).toEqual([ledger]);
    expect(ids(org.getDeleted("Account", T0 - MINUTE, T0 + MINUTE))).toEqual([hard]);
  });
});

describe("fields added with values", () => {
  it("gives existing rows, stored and generated, their values without moving SystemModstamp", () => {
    // Prepare
    const org = emptyDemoSchemaOrg();
    const stored = mustInsert(org, "Account", { Name: "Stored" });
    org.generate("Account", 5, { from: T0 - DAY, to: T0 - DAY });
    const generated = [
      ...org.query("SELECT Id FROM Account WHERE Name != 'Stored'", { includeDeleted: false }).rows(),
    ][2]?.id as string;
    const stampBefore = org.get("Account", generated)?.SystemModstamp;
    org.clock.set(T0 + DAY, { frozen: true });
    // Act
    org.addField(
      "Account",
      { name: "Region__c", type: "string", length: 20 },
      { values: { [stored]: "EMEA", [generated.slice(0, 15)]: "APAC" } },
    );
    // Assess
    expect(org.get("Account", stored)).toMatchObject({
      Region__c: "EMEA",
      SystemModstamp: T0,
      LastModifiedDate: T0,
    });
    expect(org.get("Account", generated)).toMatchObject({ Region__c: "APAC", SystemModstamp: stampBefore });
    const rows = [
      ...org
        .query("SELECT Id, Region__c FROM Account WHERE Region__c = null", { includeDeleted: false })
        .rows(),
    ];
    expect(rows).toHaveLength(4);
  });

  it("refuses values the field cannot hold, naming the Id and the value, and adds nothing", () => {
    // Prepare
    const org = emptyDemoSchemaOrg();
    const account = mustInsert(org, "Account", { Name: "A" });
    const contact = mustInsert(org, "Contact", { LastName: "C" });
    const attempt = (field: Parameters<EmulatorOrg["addField"]>[1], values: Record<string, unknown>) =>
      orgError(() => org.addField("Account", field, { values }));
    // Act
    const notANumber = attempt({ name: "Seats__c", type: "int" }, { [account]: "many" });
    const tooLong = attempt({ name: "Code__c", type: "string", length: 3 }, { [account]: "ABCD" });
    const picklist = attempt(
      {
        name: "Band__c",
        type: "picklist",
        restrictedPicklist: true,
        picklistValues: [{ value: "A", label: "A", active: true, defaultValue: false, validFor: null }],
      },
      { [account]: "Z" },
    );
    const unknownId = attempt({ name: "Note__c", type: "string" }, { "001000000000000AAA": "x" });
    const otherObject = attempt({ name: "Note__c", type: "string" }, { [contact]: "x" });
    const badReference = attempt(
      { name: "Partner__c", type: "reference", referenceTo: ["Account"] },
      { [account]: contact },
    );
    // Assess
    expect(notANumber.message).toMatch(/Account\.Seats__c: "many" for 001\w+ is not a int value/);
    expect(tooLong.message).toMatch(/data value too large/);
    expect(picklist.message).toMatch(/Band__c/);
    expect(unknownId.message).toContain("no Account record with Id 001000000000000AAA");
    expect(otherObject.message).toContain(`no Account record with Id ${contact}`);
    expect(badReference.message).toContain("is not a record of Account");
    const names = org.describe("Account").fields.map((f) => f.name);
    for (const name of ["Seats__c", "Code__c", "Band__c", "Note__c", "Partner__c"]) {
      expect(names).not.toContain(name);
    }
  });
});
