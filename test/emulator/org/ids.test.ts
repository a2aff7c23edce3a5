import { describe, expect, it } from "vitest";
import {
  checksum,
  decodeBase62,
  encodeBase62,
  makeId,
  normalizeId,
  parseId,
} from "../../../emulator/org/ids";

describe("record ids", () => {
  it("computes the case-safe suffix Salesforce documents", () => {
    // Prepare: a 15-character Id whose chunks have known upper-case masks.
    const id15 = "001A0000006Vm9r";

    // Act
    const suffix = checksum(id15);

    // Assess: chunk 1 "001A0" has bit 3 (8) → I; chunk 2 "00000" → A; chunk 3 "6Vm9r" has bit 1 → C.
    expect(suffix).toBe("IAC");
  });

  it("builds 18-character ids from prefix, pod and a base-62 counter", () => {
    const id = makeId("001", "8t", 123_456_789);

    expect(id).toHaveLength(18);
    expect(id.startsWith("0018t0")).toBe(true);
    expect(id.slice(15)).toBe(checksum(id.slice(0, 15)));
    expect(parseId(id)).toEqual({ keyPrefix: "001", pod: "8t", counter: 123_456_789 });
  });

  it("normalizes 15-character ids and case-mangled 18-character ids to one canonical form", () => {
    const id = makeId("003", "Ab", 987_654);

    expect(normalizeId(id.slice(0, 15))).toBe(id);
    expect(normalizeId(id.toLowerCase())).toBe(id);
    expect(normalizeId(id.toUpperCase())).toBe(id);
  });

  it("rejects text that is not an id", () => {
    expect(normalizeId("abc")).toBeUndefined();
    expect(normalizeId("001-00000000000")).toBeUndefined();
    expect(normalizeId("0010000000000009ZZ")).toBeUndefined();
  });

  it("round-trips base-62 numbers", () => {
    for (const value of [0, 61, 62, 3843, 916_132_831]) {
      expect(decodeBase62(encodeBase62(value, 9))).toBe(value);
    }
  });
});
