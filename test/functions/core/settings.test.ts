import { describe, expect, it } from "vitest";
import { extractSettingsOf, parseSettings } from "../../../functions/core/settings";
import { ConfigurationError } from "../../../functions/errors";

describe("connector settings", () => {
  it("fills sensible defaults", () => {
    const settings = parseSettings({}, "test");
    expect(settings.include).toEqual(["*"]);
    expect(settings.defaultMode).toBe("incremental");
    expect(settings.load.collectionsMaxRows).toBe(2000);
    const extract = extractSettingsOf(settings);
    expect(extract.lagMs).toBe(120_000);
    expect(extract.lookbackMs).toBe(600_000);
  });

  it("names each bad key in one error", () => {
    let error: unknown;
    try {
      parseSettings(
        { include: ["Account; DROP"], modes: { "Bad Name": "incremental" }, lagSeconds: -1, typo: 1 },
        "cdk.json",
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message).toContain("include.0");
    expect(message).toContain("modes.Bad Name");
    expect(message).toContain("lagSeconds");
    expect(message).toContain("typo");
    expect(message).toContain("cdk.json");
  });

  it("requires ISO dates for startDate", () => {
    expect(parseSettings({ startDate: "2024-01-01" }, "t").startDate).toBe("2024-01-01");
    expect(() => parseSettings({ startDate: "yesterday" }, "t")).toThrow(/startDate/);
  });
});
