import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index";
import { startLocalEnvironment } from "../../../local/environment";
import { runCli, salesforceEnv } from "./run-cli";

let emulator: Emulator;
let work: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  work = await mkdtemp(join(tmpdir(), "saddledata-cli-bad-"));
});

afterAll(async () => {
  await emulator?.stop();
  await rm(work, { recursive: true, force: true });
});

/**
 * The error is one line, the last on stderr (a slow machine may have printed a step's progress lines
 * before it); nothing on stdout, no stack frame, none of the secret values.
 */
function expectOneLineError(result: { stdout: string; stderr: string }, secrets: string[] = []): string {
  const lines = result.stderr.split("\n").filter((line) => line !== "");
  const progress = lines.slice(0, -1);
  for (const line of progress) expect(line, result.stderr).toMatch(/^(\S.* \.\.\.| {2}\S)/);
  expect(lines.at(-1), result.stderr).toMatch(/^saddledata: /);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout).toBe("");
  for (const secret of secrets) expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
  return lines.at(-1) ?? "";
}

describe("saddledata: deliberate mistakes", () => {
  it("says how to give credentials when there are none", async () => {
    // Prepare
    const stateDir = join(work, "no-credentials");

    // Act
    const result = await runCli(["sync", "--state-dir", stateDir]);

    // Assess
    expect(result.code).toBe(2);
    const line = expectOneLineError(result);
    expect(line).toMatch(/^saddledata: No Salesforce credentials: set SALESFORCE_CLIENT_ID/);
    expect(line).toContain("--credentials FILE");
  });

  it("names the missing variables of incomplete credentials, never the values given", async () => {
    // Prepare
    const secret = "p4ssw0rd-that-must-not-leak";
    const env = { SALESFORCE_USERNAME: "etl@example.com", SALESFORCE_PASSWORD: secret };

    // Act
    const result = await runCli(["discover", "--state-dir", join(work, "incomplete")], { env });

    // Assess
    expect(result.code).toBe(2);
    const line = expectOneLineError(result, [secret]);
    expect(line).toContain("SALESFORCE_CLIENT_ID is missing");
    expect(line).toContain("SALESFORCE_CLIENT_SECRET is missing");
  });

  it("reports an unknown object in one line, after discover, without the credentials", async () => {
    // Prepare
    const env = salesforceEnv(emulator.credentials);

    // Act
    const result = await runCli(
      ["sync", "--objects", "Acount", "--state-dir", join(work, "unknown-object")],
      { env },
    );

    // Assess
    expect(result.code).toBe(2);
    const line = expectOneLineError(result, [
      emulator.credentials.password,
      emulator.credentials.clientSecret,
    ]);
    expect(line).toMatch(/^saddledata: Unknown object Acount: not in the catalog/);
  });

  it("names each bad key of a settings file", async () => {
    // Prepare
    const settings = join(work, "settings.json");
    await writeFile(settings, JSON.stringify({ lagSeconds: -5, objectz: ["Account"] }));

    // Act
    const result = await runCli(["status", "--settings", settings, "--state-dir", join(work, "settings")]);

    // Assess
    expect(result.code).toBe(2);
    const line = expectOneLineError(result);
    expect(line).toContain(`Invalid settings in ${settings}`);
    expect(line).toContain("lagSeconds");
    expect(line).toContain("objectz");
  });

  it("says a settings file is not JSON", async () => {
    // Prepare
    const settings = join(work, "broken.json");
    await writeFile(settings, "{ lagSeconds: 0 ");

    // Act
    const result = await runCli(["status", "--settings", settings, "--state-dir", join(work, "broken")]);

    // Assess
    expect(result.code).toBe(2);
    expect(expectOneLineError(result)).toContain(`The settings file ${settings} is not valid JSON`);
  });

  it("refuses an unknown option with a suggestion", async () => {
    // Act
    const result = await runCli(["sync", "--objectz", "Account"]);

    // Assess
    expect(result.code).toBe(2);
    const line = expectOneLineError(result);
    expect(line).toContain("unknown option '--objectz'");
    expect(line).toContain("--objects");
    expect(line).toContain("saddledata sync --help");
  });

  it("refuses an unknown operation and a file without its target", async () => {
    // Act
    const badOperation = await runCli([
      "load",
      "--file",
      "x.csv",
      "--object",
      "Account",
      "--operation",
      "merge",
    ]);
    const noTarget = await runCli(["load", "--file", "samples/accounts-upsert.csv"]);

    // Assess
    expect(badOperation.code).toBe(2);
    expect(expectOneLineError(badOperation)).toContain("'merge' is invalid");
    expect(noTarget.code).toBe(2);
    expect(expectOneLineError(noTarget)).toContain("--file needs --object NAME and --operation OP");
  });

  it("refuses a load into an unknown object before the file is uploaded", async () => {
    // Prepare
    const stateDir = join(work, "load-unknown");
    const env = salesforceEnv(emulator.credentials);

    // Act
    const result = await runCli(
      ["load", "--file", "samples/accounts-upsert.csv", "--object", "Acount", "--operation", "insert"].concat(
        ["--state-dir", stateDir],
      ),
      { env },
    );

    // Assess
    expect(result.code).toBe(2);
    expect(expectOneLineError(result)).toMatch(/^saddledata: Salesforce has no object named Acount\./);
    const local = await startLocalEnvironment({ directory: stateDir });
    try {
      const inbound = [];
      for await (const object of local.runtime.store.list("inbound/")) inbound.push(object.key);
      expect(inbound).toEqual([]);
    } finally {
      await local.stop();
    }
  });
});
