/**
 * The unit tier runs in memory: test/support/unit-guard.ts (the unit project's setup file) refuses
 * sockets, so a test that starts or reaches a server fails until it is named *.integration.test.ts.
 */
import net from "node:net";
import { describe, expect, it } from "vitest";

describe("the unit tier", () => {
  it("refuses to start a server", () => {
    // Act & Assess
    expect(() => net.createServer().listen(0, "127.0.0.1")).toThrow(/integration\.test\.ts/);
  });

  it("refuses to open a connection", () => {
    // Act & Assess
    expect(() => net.connect({ host: "127.0.0.1", port: 9 })).toThrow(/not allowed in a unit test/);
  });
});
