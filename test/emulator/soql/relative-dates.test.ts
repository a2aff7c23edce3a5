import { describe, expect, it } from "vitest";
import { emptyDemoSchemaOrg, mustInsert, T0 } from "../org/fixtures";

const DAY = 86_400_000;

/** Accounts created 0, 1, 2 and 10 days before T0 (2025-01-15 12:00Z), and contacts with birthdays. */
function fixture() {
  const org = emptyDemoSchemaOrg();
  for (const days of [10, 2, 1, 0]) {
    org.clock.set(T0 - days * DAY, { frozen: true });
    mustInsert(org, "Account", { Name: `d${days}` });
  }
  mustInsert(org, "Contact", { LastName: "today", Birthdate: "2025-01-15" });
  mustInsert(org, "Contact", { LastName: "tomorrow", Birthdate: "2025-01-16" });
  mustInsert(org, "Contact", { LastName: "past", Birthdate: "2025-01-05" });
  return org;
}

describe("relative date literals", () => {
  const org = fixture();
  const accounts = (where: string) =>
    [...org.query(`SELECT Name FROM Account WHERE ${where}`, { includeDeleted: false }).rows()].map(
      (r) => r.values[0],
    );
  const contacts = (where: string) =>
    [...org.query(`SELECT LastName FROM Contact WHERE ${where}`, { includeDeleted: false }).rows()].map(
      (r) => r.values[0],
    );

  it("matches whole days on datetime fields", () => {
    expect(accounts("CreatedDate = TODAY")).toEqual(["d0"]);
    expect(accounts("CreatedDate = YESTERDAY")).toEqual(["d1"]);
    expect(accounts("CreatedDate = LAST_N_DAYS:2")).toEqual(["d2", "d1", "d0"]);
    expect(accounts("CreatedDate < LAST_N_DAYS:2")).toEqual(["d10"]);
    expect(accounts("CreatedDate = N_DAYS_AGO:10")).toEqual(["d10"]);
    expect(accounts("CreatedDate != today")).toEqual(["d10", "d2", "d1"]);
    expect(accounts("CreatedDate IN (TODAY, N_DAYS_AGO:2)")).toEqual(["d2", "d0"]);
  });

  it("matches whole days on date fields", () => {
    expect(contacts("Birthdate = TOMORROW")).toEqual(["tomorrow"]);
    expect(contacts("Birthdate = NEXT_N_DAYS:3")).toEqual(["tomorrow"]);
    expect(contacts("Birthdate >= TODAY")).toEqual(["today", "tomorrow"]);
    expect(contacts("Birthdate > TODAY")).toEqual(["tomorrow"]);
    expect(contacts("Birthdate <= TODAY")).toEqual(["today", "past"]);
  });

  it("refuses them on non-date fields and without their count", () => {
    expect(() => accounts("Name = TODAY")).toThrowError(
      expect.objectContaining({ errorCode: "INVALID_FIELD" }),
    );
    expect(() => accounts("CreatedDate = LAST_N_DAYS")).toThrowError(
      expect.objectContaining({ errorCode: "MALFORMED_QUERY" }),
    );
  });
});
