/**
 * `saddledata emulator`: runs the org emulator until Ctrl-C, printing its URL and the demo
 * credentials.
 */
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import { startEmulator } from "./index";
import { addExtraObjects, EXTRA_OBJECT_ROWS } from "./org/extra-objects";

function integer(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`--${name} must be a whole number, got '${value}'.`);
    return n;
  };
}

interface EmulatorCommandOptions {
  port: number;
  seed: number;
  apiVersion: string;
  logRequests: boolean;
  jwtPublicKey?: string;
  extraObjects: number;
}

/** The key file's text, refused up front when it holds no certificate or public key. */
function publicKeyPem(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (error) {
    throw new InvalidArgumentError(`--jwt-public-key: cannot read '${file}' (${(error as Error).message}).`);
  }
  try {
    createPublicKey(pem);
  } catch (error) {
    throw new InvalidArgumentError(
      `--jwt-public-key: '${file}' is not a PEM certificate or public key (e.g. the server.crt of an sf JWT setup): ${(error as Error).message}.`,
    );
  }
  return pem;
}

export function registerEmulatorCommand(program: Command): Command {
  return program
    .command("emulator")
    .description("Run the bundled Salesforce org emulator (a seeded demo org) on 127.0.0.1.")
    .option("-p, --port <port>", "port to listen on (0 picks a free one)", integer("port"), 8383)
    .option("-s, --seed <seed>", "demo org seed", integer("seed"), 1)
    .option("--api-version <version>", "newest API version served", "62.0")
    .option("--log-requests", "print one JSON line per request", false)
    .option(
      "--extra-objects <n>",
      `add N generated custom objects (Extra_0001__c…, a few fields and ${EXTRA_OBJECT_ROWS} rows each): a wide org to try`,
      integer("extra-objects"),
      0,
    )
    .option(
      "--jwt-public-key <file>",
      "PEM certificate or public key the JWT bearer grant verifies with (as uploaded to a connected app)",
    )
    .action(async (options: EmulatorCommandOptions) => {
      const emulator = await startEmulator({
        port: options.port,
        seed: options.seed,
        apiVersion: options.apiVersion,
        logRequests: options.logRequests,
        jwtPublicKeyPem: options.jwtPublicKey === undefined ? undefined : publicKeyPem(options.jwtPublicKey),
      });
      if (options.extraObjects > 0) addExtraObjects(emulator.org, options.extraObjects);
      const c = emulator.credentials;
      process.stdout.write(
        [
          `Salesforce org emulator listening on ${emulator.url} (seed ${options.seed}, API v${options.apiVersion}${options.extraObjects > 0 ? `, ${options.extraObjects} extra objects` : ""})`,
          `  login URL      ${c.loginUrl}`,
          `  client id      ${c.clientId}`,
          `  client secret  ${c.clientSecret}`,
          `  username       ${c.username}`,
          `  password       ${c.password}`,
          `  security token ${c.securityToken}`,
          "Press Ctrl-C to stop.",
          "",
        ].join("\n"),
      );
      await new Promise<void>((resolve) => {
        const shutdown = (): void => {
          process.off("SIGINT", shutdown);
          process.off("SIGTERM", shutdown);
          emulator.stop().then(resolve, (error: unknown) => {
            process.stderr.write(`emulator: stop failed: ${String(error)}\n`);
            process.exitCode = 1;
            resolve();
          });
        };
        process.on("SIGINT", shutdown);
        process.on("SIGTERM", shutdown);
      });
      process.stdout.write("Emulator stopped.\n");
    });
}
