import { describe, expect, it } from "vitest";
import { caseSafeId, IdSequence, looksLikeId } from "../../../emulator/http/ids";

describe("ids", () => {
  it("adds Salesforce's case-safe suffix", () => {
    // A documented example: 001A0000006Vm9r → 001A0000006Vm9rIAC
    expect(caseSafeId("001A0000006Vm9r")).toBe("001A0000006Vm9rIAC");
  });

  it("issues distinct 18-character ids with the key prefix", () => {
    // Prepare
    const ids = new IdSequence("750");
    // Act
    const issued = Array.from({ length: 100 }, () => ids.next());
    // Assess
    expect(new Set(issued).size).toBe(100);
    for (const id of issued) {
      expect(id).toMatch(/^750[a-zA-Z0-9]{15}$/);
      expect(caseSafeId(id.slice(0, 15))).toBe(id);
      expect(looksLikeId(id)).toBe(true);
    }
  });
});
