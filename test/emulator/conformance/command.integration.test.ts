import { type ChildProcess, spawn } from "node:child_process";
import { createSign, generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

  it("adds generated custom objects with --extra-objects, which describeGlobal lists and queries read", async () => {
    // Prepare
    child = spawn(process.execPath, [cli, "emulator", "--port", "0", "--extra-objects", "1200"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const match = await waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*Press Ctrl-C/);
    const url = match[1] as string;
    const token = (await (
      await fetch(`${url}/services/oauth2/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "password",
          client_id: "saddledata-demo",
          client_secret: /client secret +(\S+)/.exec(match[0])?.[1] ?? "",
          username: "demo@saddledata.dev",
          password: `${/password +(\S+)/.exec(match[0])?.[1] ?? ""}${/security token +(\S+)/.exec(match[0])?.[1] ?? ""}`,
        }),
      })
    ).json()) as { access_token: string };
    const get = async (path: string) =>
      (await fetch(`${url}/services/data/v62.0/${path}`, {
        headers: { authorization: `Bearer ${token.access_token}` },
      }).then((response) => response.json())) as Record<string, unknown>;

    // Act
    const global = await get("sobjects/");
    const count = await get(`query?q=${encodeURIComponent("SELECT COUNT() FROM Extra_1200__c")}`);

    // Assess
    expect(match[0]).toContain("1200 extra objects");
    const names = (global.sobjects as Array<{ name: string }>).map((object) => object.name);
    expect(names.filter((name) => /^Extra_\d{4}__c$/.test(name))).toHaveLength(1200);
    expect(count.totalSize).toBe(3);
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

  it("verifies JWT bearer assertions with the key given by --jwt-public-key (sf org login jwt)", async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), "emulator-jwt-"));
    try {
      const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const keyFile = join(dir, "server.pub");
      await writeFile(keyFile, pair.publicKey.export({ type: "spki", format: "pem" }));
      child = spawn(process.execPath, [cli, "emulator", "--port", "0", "--jwt-public-key", keyFile], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      const url = (
        await waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*Press Ctrl-C/)
      )[1] as string;
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
      const claims = {
        iss: "saddledata-demo",
        sub: "demo@saddledata.dev",
        aud: "https://login.salesforce.com",
        exp: Math.floor(Date.now() / 1000) + 60,
      };
      const unsigned = `${part({ alg: "RS256" })}.${part(claims)}`;
      const signature = createSign("RSA-SHA256").update(unsigned).sign(pair.privateKey).toString("base64url");
      // Act
      const response = await fetch(`${url}/services/oauth2/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
          assertion: `${unsigned}.${signature}`,
        }),
      });
      // Assess
      expect(response.status).toBe(200);
      expect(((await response.json()) as { instance_url: string }).instance_url).toBe(url);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a --jwt-public-key file that holds no key, before listening", async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), "emulator-jwt-"));
    try {
      const keyFile = join(dir, "not-a-key.pem");
      await writeFile(keyFile, "hello");
      child = spawn(process.execPath, [cli, "emulator", "--port", "0", "--jwt-public-key", keyFile], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
      });
      // Act
      const code = await new Promise<number | null>((resolve) => child?.once("exit", resolve));
      // Assess
      expect(code).toBe(2);
      expect(stderr).toContain("--jwt-public-key");
      expect(stderr).toContain("is not a PEM certificate or public key");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
