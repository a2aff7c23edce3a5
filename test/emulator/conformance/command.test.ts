import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../../../bin/saddledata.js", import.meta.url));
let child: ChildProcess | undefined;

afterEach(() => {
  if (child !== undefined && child.exitCode === null) child.kill("SIGKILL");
  child = undefined;
});

function waitForOutput(process: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString("utf8");
      const match = pattern.exec(seen);
      if (match !== null) {
        process.stdout?.off("data", onData);
        resolve(match);
      }
    };
    process.stdout?.on("data", onData);
    process.once("exit", (code) =>
      reject(new Error(`exited with ${code} before printing ${pattern}: ${seen}`)),
    );
  });
}

describe("saddledata emulator", () => {
  it("prints its URL and the demo credentials, serves, and stops cleanly on SIGTERM", async () => {
    // Prepare
    child = spawn(process.execPath, [cli, "emulator", "--port", "0", "--seed", "3"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const started = waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*Press Ctrl-C/);
    const match = await started;
    const url = match[1] as string;
    // Act
    const versions = await fetch(`${url}/services/data`);
    const stopped = waitForOutput(child, /Emulator stopped/);
    const exited = new Promise<number | null>((resolve) => child?.once("exit", resolve));
    child.kill("SIGTERM");
    // Assess
    expect(match[0]).toContain("client id      saddledata-demo");
    expect(match[0]).toContain("username       demo@saddledata.dev");
    expect(versions.status).toBe(200);
    await stopped;
    expect(await exited).toBe(0);
  });

  it("logs one JSON line per request with --log-requests", async () => {
    // Prepare
    child = spawn(process.execPath, [cli, "emulator", "--port", "0", "--log-requests"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const match = await waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*Press Ctrl-C/);
    const logged = waitForOutput(
      child,
      /\{"method":"GET","path":"\/services\/data","kind":"versions","status":200,"ms":\d+\}/,
    );
    // Act
    await fetch(`${match[1]}/services/data`);
    // Assess
    expect((await logged)[0]).toContain('"kind":"versions"');
  });
});
