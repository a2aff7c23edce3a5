import { Console } from "node:console";
import { generateKeyPairSync } from "node:crypto";
import { Writable } from "node:stream";
import { inspect } from "node:util";
import { gunzipSync } from "node:zlib";
import { Logger } from "@aws-lambda-powertools/logger";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Sessions } from "../../emulator/http/sessions";
import { type Emulator, startEmulator } from "../../emulator/index";
import { discoverHandler } from "../../functions/discover/handler";
import { extractHandler } from "../../functions/extract/handler";
import { loadHandler } from "../../functions/load/handler";
import { createLogger } from "../../functions/runtime/log";
import { clearSessionCache } from "../../functions/salesforce/client";
import { type LocalEnvironment, startLocalEnvironment } from "../../local/environment";
import {
  createLocalRunner,
  type LocalExecution,
  type LocalHandler,
} from "../../local/stepfunctions/state-machine";

/**
 * No secret value — password, security token, client secret, JWT private key, hashKey, access token — appears
 * anywhere a sync or a load leaves a trace: every line the real Powertools logger writes at DEBUG, every
 * error a handler throws (message, stack, cause), every payload that crosses the state machine, every
 * execution event and output, every object written to S3 and every item in the state table. Run through
 * the synthesized state machines with the password flow (with a session that expires mid-run, so a second
 * token is issued), the JWT flow, and logins that fail.
 */

/** Every access token the emulator issues, as it issues it. */
const issuedTokens: string[] = [];
const realIssue = Sessions.prototype.issue;

beforeAll(() => {
  Sessions.prototype.issue = function (this: Sessions, ...args: Parameters<Sessions["issue"]>) {
    const session = realIssue.apply(this, args);
    issuedTokens.push(session.token);
    return session;
  };
});

afterAll(() => {
  Sessions.prototype.issue = realIssue;
});

interface Trace {
  logs: string[];
  errors: string[];
  payloads: string[];
}

/** The connector's own Powertools logger at DEBUG, writing into `lines`. */
function debugLogger(lines: string[]): Logger {
  const logger = new Logger({ serviceName: "saddledata", logLevel: "DEBUG" });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  (logger as unknown as { console: Console }).console = new Console({ stdout: sink, stderr: sink });
  return logger;
}

/** A handler whose every input, output and thrown error is kept (errors with stack and cause chain). */
function traced(inner: LocalHandler, trace: Trace): LocalHandler {
  return {
    async invoke(event, runtime, remainingMs) {
      trace.payloads.push(JSON.stringify(event));
      try {
        const result = await inner.invoke(event, runtime, remainingMs);
        trace.payloads.push(JSON.stringify(result));
        return result;
      } catch (error) {
        trace.errors.push(String(error), (error as Error).stack ?? "", inspect(error, { depth: 8 }));
        throw error;
      }
    },
  };
}

/** The forms a secret could take in text: as is, JSON-escaped, URL-encoded, and each line of a PEM body. */
function formsOf(secret: string): string[] {
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  for (const line of secret.split("\n")) if (line.length >= 40 && !line.startsWith("-----")) forms.add(line);
  return [...forms].filter((form) => form.length >= 6);
}

function leaks(secrets: Record<string, string>, corpus: Array<[string, string]>): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    for (const form of formsOf(secret)) {
      for (const [where, text] of corpus) {
        if (text.includes(form))
          found.push(
            `${name} appears in ${where}: …${text.slice(Math.max(0, text.indexOf(form) - 60), text.indexOf(form) + 10)}…`,
          );
      }
    }
  }
  return found;
}

interface Scenario {
  emulator: Emulator;
  env: LocalEnvironment;
  trace: Trace;
  executions: LocalExecution[];
  events: string[];
}

let scenario: Scenario | undefined;
const previousLevel = process.env.POWERTOOLS_LOG_LEVEL;

afterEach(async () => {
  await scenario?.env.stop();
  await scenario?.emulator.stop();
  scenario = undefined;
  clearSessionCache();
  if (previousLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = previousLevel;
});

async function start(
  credentials: (emulator: Emulator) => Record<string, unknown>,
  extraSettings: Record<string, unknown> = {},
): Promise<Scenario> {
  clearSessionCache();
  process.env.POWERTOOLS_LOG_LEVEL = "DEBUG";
  const trace: Trace = { logs: [], errors: [], payloads: [] };
  const emulator = await startEmulator({ bulk: { queuedMs: 2, processingMsPer10k: 1 } });
  const env = await startLocalEnvironment({
    connection: "secrets",
    credentials: credentials(emulator),
    settings: {
      lagSeconds: 0,
      lookbackSeconds: 0,
      restMaxRecords: 50,
      load: { retryWaitSeconds: 0, pollFirstSeconds: 1, pollMaxSeconds: 1 },
      ...extraSettings,
    },
    log: createLogger(debugLogger(trace.logs)),
  });
  scenario = { emulator, env, trace, executions: [], events: [] };
  return scenario;
}

async function runBoth(s: Scenario, expireMidRun: boolean): Promise<void> {
  const runner = await createLocalRunner({
    runtime: s.env.runtime,
    waitMs: 1,
    retryIntervalMs: 1,
    handlers: {
      discover: traced(discoverHandler, s.trace),
      extract: traced(extractHandler, s.trace),
      load: traced(loadHandler, s.trace),
    },
    onEvent: (event) => s.events.push(JSON.stringify(event)),
  });
  // A sync with a failed Bulk job and a 503 on the way, so errors are logged too.
  s.emulator.faults.add({ kind: "query", action: { type: "serverUnavailable" }, times: 1 });
  s.emulator.faults.add({ kind: "bulkQueryCreate", action: { type: "failJob", job: "query" }, times: 1 });
  s.executions.push(
    await runner.runSync({ objects: ["Account", "Case", "Attachment"] }, { name: "secret-sync" }),
  );
  if (expireMidRun) s.emulator.expireTokens();
  s.emulator.faults.add({ kind: "collections", action: { type: "invalidSession" }, times: 1 });
  const bucket = s.env.runtime.config.bucket;
  await s.env.runtime.store.put(
    "inbound/Account/insert/secret-check.csv",
    "Name,ERP_Id__c,NumberOfEmployees\nFirst,S-1,1\n,S-2,2\nThird,S-3,3x\n",
  );
  s.executions.push(
    await runner.runLoad({ bucket, key: "inbound/Account/insert/secret-check.csv" }, { name: "secret-load" }),
  );
}

/** Everything the runs left behind, as text. */
async function corpus(s: Scenario): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  const add = (what: string, texts: string[]) => {
    for (const [index, text] of texts.entries()) out.push([`${what} ${index}`, text]);
  };
  add("log line", s.trace.logs);
  add("error", s.trace.errors);
  add("state machine payload", s.trace.payloads);
  add("execution event", s.events);
  for (const execution of s.executions) out.push([`execution ${execution.name}`, JSON.stringify(execution)]);
  for await (const info of s.env.runtime.store.list("")) {
    const bytes = (await s.env.runtime.store.get(info.key)) as Uint8Array;
    const text =
      info.key.endsWith(".gz") && bytes.length > 0
        ? gunzipSync(bytes).toString("utf8")
        : Buffer.from(bytes).toString("utf8");
    out.push([`s3://${info.key}`, text]);
  }
  const table = await s.env.clients.dynamodb.send(new ScanCommand({ TableName: s.env.runtime.config.table }));
  for (const item of table.Items ?? []) out.push([`state item ${item.pk?.S}`, JSON.stringify(item)]);
  return out;
}

describe("no secret value leaks, at DEBUG, through the synthesized state machines", () => {
  it("password flow: a sync and a load, a session expiring mid-run, a failed Bulk job and refused rows", async () => {
    // Prepare
    // With a hashed field, so the secret's hashKey is used on every extract (and must never show).
    const hashKey = "hash-key-3f9c2a7e5b1d4c8f9a0b6e2d7c1f4a3b";
    const s = await start((emulator) => ({ ...emulator.credentials, loginUrl: emulator.url, hashKey }), {
      hashFields: { Account: ["Phone"] },
    });
    const before = issuedTokens.length;

    // Act
    await runBoth(s, true);
    const found = leaks(
      {
        password: s.emulator.credentials.password,
        securityToken: s.emulator.credentials.securityToken,
        "password+token": `${s.emulator.credentials.password}${s.emulator.credentials.securityToken}`,
        clientSecret: s.emulator.credentials.clientSecret,
        hashKey,
        ...Object.fromEntries(
          issuedTokens.slice(before).map((token, index) => [`access token ${index + 1}`, token]),
        ),
      },
      await corpus(s),
    );

    // Assess: the runs did their work (so there was something to leak) and logged at debug.
    expect(s.emulator.faults.fired().map((fault) => fault.action)).toEqual([
      "serverUnavailable",
      "failJob",
      "invalidSession",
    ]);
    expect(s.executions[0]?.status).toBe("SUCCEEDED");
    expect(s.executions[1]?.error).toBe("RowsNotLoaded");
    expect(issuedTokens.length - before).toBeGreaterThanOrEqual(2);
    expect(
      s.trace.logs.some((line) => line.includes('"level":"DEBUG"') || line.includes('"level":"INFO"')),
    ).toBe(true);
    expect(s.trace.logs.length).toBeGreaterThan(10);
    expect(found).toEqual([]);
  });

  it("JWT flow: the private key never appears, whole or a line of it", async () => {
    // Prepare
    const s = await start((emulator) => ({
      authFlow: "jwt",
      clientId: emulator.credentials.clientId,
      username: emulator.credentials.username,
      privateKey: emulator.jwt.privateKeyPem,
      loginUrl: emulator.url,
    }));
    const before = issuedTokens.length;

    // Act
    await runBoth(s, true);
    const found = leaks(
      {
        privateKey: s.emulator.jwt.privateKeyPem,
        ...Object.fromEntries(
          issuedTokens.slice(before).map((token, index) => [`access token ${index + 1}`, token]),
        ),
      },
      await corpus(s),
    );

    // Assess
    expect(s.executions[1]?.error).toBe("RowsNotLoaded");
    expect(issuedTokens.length - before).toBeGreaterThanOrEqual(2);
    expect(found).toEqual([]);
  });

  it("failing logins: a wrong password and a JWT signed with the wrong key are reported without the values", async () => {
    // Prepare
    const wrongKey = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    const attempts: Array<[string, (emulator: Emulator) => Record<string, unknown>, string[]]> = [
      [
        "password",
        (emulator) => ({ ...emulator.credentials, password: "Wr0ng-Passw0rd!x", loginUrl: emulator.url }),
        ["Wr0ng-Passw0rd!x", "demo-token", "saddledata-demo-secret"],
      ],
      [
        "jwt",
        (emulator) => ({
          authFlow: "jwt",
          clientId: emulator.credentials.clientId,
          username: emulator.credentials.username,
          privateKey: wrongKey,
          loginUrl: emulator.url,
        }),
        [wrongKey],
      ],
    ];
    for (const [flow, credentials, secrets] of attempts) {
      const s = await start(credentials);

      // Act
      await runBoth(s, false);
      const found = leaks(
        Object.fromEntries(secrets.map((secret, index) => [`${flow} secret ${index}`, secret])),
        await corpus(s),
      );

      // Assess
      expect(s.executions[0], flow).toMatchObject({ status: "FAILED", error: "ConfigurationError" });
      expect(s.executions[0]?.cause, flow).toMatch(/rejected the login/);
      expect(s.trace.errors.length, flow).toBeGreaterThan(0);
      expect(found, flow).toEqual([]);
      await s.env.stop();
      await s.emulator.stop();
      scenario = undefined;
    }
  });
});

describe("the leak search itself", () => {
  it("finds a secret as is, JSON-escaped, URL-encoded, or one line of a PEM key", () => {
    // Prepare
    const pem = generateKeyPairSync("rsa", { modulusLength: 1024 })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    const keyLine = pem.split("\n")[3] as string;

    // Act
    const found = leaks({ token: "00D000000000001!AbC/dEf+123", privateKey: pem }, [
      ["log", `{"message":"Bearer 00D000000000001!AbC/dEf+123"}`],
      ["url", `https://x/?t=${encodeURIComponent("00D000000000001!AbC/dEf+123")}`],
      ["payload", JSON.stringify({ key: pem })],
      ["part", `a line of the key: ${keyLine}`],
      ["clean", "nothing to see"],
    ]);

    // Assess
    expect(found.some((leak) => leak.startsWith("token appears in log"))).toBe(true);
    expect(found.some((leak) => leak.startsWith("token appears in url"))).toBe(true);
    expect(found.some((leak) => leak.startsWith("privateKey appears in payload"))).toBe(true);
    expect(found.some((leak) => leak.startsWith("privateKey appears in part"))).toBe(true);
    expect(found.some((leak) => leak.includes("clean"))).toBe(false);
  });
});
