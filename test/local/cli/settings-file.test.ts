import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../functions/errors";
import { readSettingsFile } from "../../../local/cli/settings-file";

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "saddledata-settings-"));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function file(name: string, content: unknown): Promise<string> {
  const path = join(work, name);
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

describe("readSettingsFile", () => {
  it("reads a settings object with the connector's defaults", async () => {
    // Act
    const read = await readSettingsFile(await file("settings.json", { objects: ["Account"], lagSeconds: 0 }));

    // Assess
    expect(read.settings.objects).toEqual(["Account"]);
    expect(read.settings.lagSeconds).toBe(0);
    expect(read.settings.defaultMode).toBe("incremental");
    expect(read.connection).toBeUndefined();
  });

  it("takes a connection's settings, name and prefix from a deployment configuration", async () => {
    // Prepare
    const config = {
      connections: [
        { name: "prod", prefix: "sf/prod", mapConcurrency: 8, settings: { objects: ["Account"] } },
        { name: "sandbox", settings: {} },
      ],
    };
    const path = await file("config.json", config);

    // Act
    const prod = await readSettingsFile(path, "PROD");
    const unnamed = await readSettingsFile(path).catch((error) => error);

    // Assess
    expect(prod).toMatchObject({ connection: "prod", prefix: "sf/prod/", mapConcurrency: 8 });
    expect(prod.settings.objects).toEqual(["Account"]);
    expect(unnamed).toBeInstanceOf(ConfigurationError);
    expect(unnamed.message).toContain("pick one with --connection NAME");
  });

  it("names each bad key, and says when the file is not JSON or absent", async () => {
    // Act
    const bad = await readSettingsFile(await file("bad.json", { lagSeconds: "soon", extra: 1 })).catch(
      (e) => e,
    );
    const notJson = await readSettingsFile(await file("not.json", "lagSeconds = 0")).catch((e) => e);
    const absent = await readSettingsFile(join(work, "absent.json")).catch((e) => e);

    // Assess
    expect(bad).toBeInstanceOf(ConfigurationError);
    expect(bad.message).toMatch(/lagSeconds/);
    expect(bad.message).toMatch(/extra/);
    expect(notJson.message).toContain("is not valid JSON");
    expect(absent.message).toContain("Cannot read the settings file");
  });
});
