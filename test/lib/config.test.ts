import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDeploymentConfig, readDeploymentConfig } from "../../lib/config";

describe("deployment configuration", () => {
  it("reads the documented example", () => {
    // Act
    const config = readDeploymentConfig(
      join(import.meta.dirname, "../../lib/saddledata.config.example.json"),
    );

    // Assess
    expect(config.connections.map((connection) => connection.name)).toEqual(["demo"]);
    expect(config.connections[0]).toMatchObject({ prefix: "salesforce/demo/", mapConcurrency: 4 });
  });

  it("fills defaults and normalises the prefix the way the runtime's layout reads it", () => {
    // Act
    const config = parseDeploymentConfig({ connections: [{ name: "prod", prefix: "/lake/sf" }] }, "test");

    // Assess
    expect(config.connections[0]).toMatchObject({
      name: "prod",
      prefix: "lake/sf/",
      mapConcurrency: 4,
      logRetentionDays: 90,
      settings: {},
    });
  });

  it("rejects connection settings with the words of the runtime's schema, naming the connection", () => {
    // Act
    const parse = () =>
      parseDeploymentConfig(
        { connections: [{ name: "prod", settings: { defaultMode: "sometimes" } }] },
        "test",
      );

    // Assess
    expect(parse).toThrowError(/settings of connection prod in test: defaultMode:/);
  });

  it("rejects unknown settings keys (a typo must not pass silently)", () => {
    // Act
    const parse = () =>
      parseDeploymentConfig({ connections: [{ name: "prod", settings: { objcts: ["Account"] } }] }, "test");

    // Assess
    expect(parse).toThrowError(/objcts/);
  });

  it.each([
    [{ connections: [] }, /at least one connection/],
    [{ connections: [{ name: "a" }, { name: "A" }] }, /used twice/],
    [{ connections: [{ name: "1st" }] }, /connections\.0\.name/],
    [{ connections: [{ name: "prod", schedule: "every hour" }] }, /Scheduler expression/],
    [{ connections: [{ name: "prod", mapConcurrency: 0 }] }, /mapConcurrency/],
    [{ connections: [{ name: "prod", logRetentionDays: 10 }] }, /retention periods/],
    [{ connections: [{ name: "prod", prefix: "a*b" }] }, /prefix/],
    [{ connections: [{ name: "prod", extractMemoryMb: 512 }] }, /extractMemoryMb: must be at least 1024 MB/],
    [
      { connections: [{ name: "prod", extractMemoryMb: 20000 }] },
      /extractMemoryMb: must be at most 10240 MB/,
    ],
  ])("rejects %j", (input, message) => {
    // Act
    const parse = () => parseDeploymentConfig(input, "test");

    // Assess
    expect(parse).toThrowError(message);
  });

  it("refuses settings too large for a Lambda environment", () => {
    // Prepare
    const objects = Array.from({ length: 400 }, (_, index) => `Custom_Object_${index}__c`);

    // Act
    const parse = () =>
      parseDeploymentConfig({ connections: [{ name: "prod", settings: { objects } }] }, "test");

    // Assess
    expect(parse).toThrowError(/4 KB/);
  });

  it("says how to start when the file is missing or not JSON", async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), "saddledata-config-"));
    const broken = join(directory, "broken.json");
    await writeFile(broken, "{ connections: [");
    try {
      // Act & Assess
      expect(() => readDeploymentConfig(join(directory, "missing.json"))).toThrowError(
        /saddledata\.config\.example\.json/,
      );
      expect(() => readDeploymentConfig(broken)).toThrowError(/not valid JSON/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
