import { describe, expect, it } from "vitest";

describe("runtime", () => {
  it("runs tests on the pinned Node 22 (the Lambda runtime), not the system node", () => {
    const major = Number(process.versions.node.split(".")[0]);
    expect(major).toBe(22);
  });
});
