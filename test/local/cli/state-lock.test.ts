import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../functions/errors";
import { lockStateDir } from "../../../local/cli/state-lock";

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "saddledata-lock-"));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("lockStateDir", () => {
  it("takes the folder with this pid and releases it", async () => {
    // Act
    const release = await lockStateDir(directory);
    const owner = await readFile(join(directory, "saddledata.lock"), "utf8");
    await release();

    // Assess
    expect(owner.trim()).toBe(String(process.pid));
    expect(existsSync(join(directory, "saddledata.lock"))).toBe(false);
  });

  it("refuses a folder another live process holds, naming it", async () => {
    // Prepare: the parent process is alive for as long as this test runs.
    await writeFile(join(directory, "saddledata.lock"), `${process.ppid}\n`);

    // Act
    const failure = await lockStateDir(directory).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(ConfigurationError);
    expect((failure as Error).message).toContain(
      `in use by another saddledata command (pid ${process.ppid})`,
    );
  });

  it("takes over a lock left by a process that is gone", async () => {
    // Prepare: pids never reach this value on Linux (pid_max is at most 2^22).
    await writeFile(join(directory, "saddledata.lock"), "4194305\n");

    // Act
    const release = await lockStateDir(directory);

    // Assess
    expect((await readFile(join(directory, "saddledata.lock"), "utf8")).trim()).toBe(String(process.pid));
    await release();
  });
});
