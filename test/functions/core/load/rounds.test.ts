import { describe, expect, it } from "vitest";
import { errorCodeOf, sfErrorText } from "../../../../functions/core/load/result-sink";
import { chooseApi, retryWaitSeconds, TimeBudget } from "../../../../functions/core/load/rounds";
import { LoadSettingsSchema } from "../../../../functions/core/settings";

const settings = LoadSettingsSchema.parse({ collectionsMaxRows: 100, retryWaitSeconds: 30 });

describe("rounds", () => {
  it("sends small files through collections, big files and hardDelete through Bulk", () => {
    // Act & Assess
    expect(chooseApi({ object: "Account", operation: "insert" }, 100, settings)).toBe("collections");
    expect(chooseApi({ object: "Account", operation: "insert" }, 101, settings)).toBe("bulk");
    expect(chooseApi({ object: "Account", operation: "hardDelete" }, 1, settings)).toBe("bulk");
  });

  it("backs off between retry rounds, doubling, at most an hour", () => {
    // Act & Assess
    expect([1, 2, 3, 9].map((round) => retryWaitSeconds(settings, round))).toEqual([30, 60, 120, 3600]);
  });

  it("always allows one step, then another only while the slowest so far fits with the margin", () => {
    // Prepare
    let remaining = 100;
    const budget = new TimeBudget(() => remaining, 50);

    // Act
    const first = budget.hasTimeForAnother();
    budget.begin();
    budget.end();
    const withTime = budget.hasTimeForAnother();
    remaining = 40;
    const short = budget.hasTimeForAnother();

    // Assess
    expect([first, withTime, short]).toEqual([true, true, false]);
  });

  it("reads the code of an sf__Error and writes REST errors the same way", () => {
    // Act & Assess
    expect(errorCodeOf("UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--")).toBe(
      "UNABLE_TO_LOCK_ROW",
    );
    expect(errorCodeOf("something odd")).toBe("UNKNOWN_ERROR");
    expect(
      sfErrorText([
        {
          statusCode: "REQUIRED_FIELD_MISSING",
          message: "Required fields are missing: [Name]",
          fields: ["Name"],
        },
      ]),
    ).toBe("REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --");
  });
});
