// emulator/: the Salesforce org emulator (demo org and test double); shares no code with functions/
/**
 * The Salesforce org emulator: an HTTP server (127.0.0.1) that behaves like an org for OAuth, REST,
 * sObject Collections and Bulk API 2.0, over an in-memory org (`emulator/org`). Connector tests,
 * local demos and benchmarks run against it.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import type { ApiCallCounter } from "./http/call-counter";
import { CallCounter } from "./http/call-counter";
import type { Services } from "./http/context";
import { controlHandler } from "./http/control";
import { type FaultController, type FaultRule, Faults } from "./http/faults";
import { identityBody, userInfoBody } from "./http/identity";
import { Limits } from "./http/limits";
import { OAuthServer } from "./http/oauth";
import { RequestLog } from "./http/request-log";
import { EmulatorServer } from "./http/server";
import { Sessions } from "./http/sessions";
import { Timers } from "./http/timers";
import { createDemoOrg, DEMO_USERNAME } from "./org/demo";
import type { Org } from "./org/types";

export type { ApiCallCounter } from "./http/call-counter";
export type { BulkJobType, FaultAction, FaultController, FaultRule, FiredFault } from "./http/faults";
export type { LoggedRequest, RequestLog } from "./http/request-log";
export type { RouteKind } from "./http/route-kind";
export { ROUTE_KINDS } from "./http/route-kind";

export interface EmulatorOptions {
  /** Default 0 (an ephemeral port); the host is always 127.0.0.1. */
  port?: number;
  /** Demo org seed (default 1); also seeds fault rates and result shuffles. */
  seed?: number;
  /** The org to serve; default `createDemoOrg({ seed })`. */
  org?: Org;
  /** Newest API version served (default "62.0"); `/services/data` lists 31.0 up to it. */
  apiVersion?: string;
  /** Access tokens expire after this long (default 2 hours). */
  tokenTtlSeconds?: number;
  /**
   * JWT bearer grant verification key, PEM public key or X.509 certificate (default: a generated key
   * pair, see `Emulator.jwt`).
   */
  jwtPublicKeyPem?: string;
  /** Max per limit name (DailyApiRequests default 100000, DailyBulkV2QueryJobs 10000, …). */
  limits?: Partial<Record<string, number>>;
  bulk?: { queuedMs?: number; processingMsPer10k?: number; defaultPageRows?: number };
  faults?: FaultRule[];
  /** One JSON line per request on stdout. */
  logRequests?: boolean;
}

export interface EmulatorCredentials {
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  securityToken: string;
  loginUrl: string;
}

export interface Emulator {
  /** http://127.0.0.1:PORT, both login URL and instance URL. */
  url: string;
  org: Org;
  /** The demo credentials. */
  credentials: EmulatorCredentials;
  /** For tests of the JWT bearer grant (privateKeyPem is empty when jwtPublicKeyPem was given). */
  jwt: { privateKeyPem: string; publicKeyPem: string };
  faults: FaultController;
  calls: ApiCallCounter;
  /** Every request received (method, path, query, the bodies that carry SOQL) and the SOQL sent. */
  requests: RequestLog;
  limits: {
    set(name: string, remaining: number): void;
    get(name: string): { Max: number; Remaining: number };
  };
  /** Every issued token becomes invalid (tests of re-login). */
  expireTokens(): void;
  /** Closes the server and every open socket, and stops Bulk job processing. */
  stop(): Promise<void>;
}

export const DEMO_CREDENTIALS = {
  clientId: "saddledata-demo",
  clientSecret: "saddledata-demo-secret",
  username: DEMO_USERNAME,
  password: "demo-password",
  securityToken: "demo-token",
} as const;

/** The user tokens run as: the org's running user when it has one, else its first User row. */
function runningUserId(org: Org): string {
  if (org.userId !== undefined && org.userId !== "") return org.userId;
  const first = org.query("SELECT Id FROM User", { includeDeleted: false }).rows()[Symbol.iterator]().next();
  if (first.done) throw new Error("The org has no User to run API sessions as.");
  return first.value.id;
}

/**
 * The username the credentials log in with is the running user's own Username: clients read it back
 * from the User record after login (sf files the org under it), so the two must agree.
 */
function runningUsername(org: Org, userId: string): string {
  const username = org.get("User", userId)?.Username;
  return typeof username === "string" && username !== "" ? username : DEMO_USERNAME;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const seed = options.seed ?? 1;
  const org = options.org ?? createDemoOrg({ seed });
  const apiVersion = options.apiVersion ?? "62.0";
  if (!/^\d+\.\d$/.test(apiVersion))
    throw new RangeError(`apiVersion must look like "62.0", got "${apiVersion}"`);

  let publicKeyPem = options.jwtPublicKeyPem;
  let privateKeyPem = "";
  if (publicKeyPem === undefined) {
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    publicKeyPem = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
    privateKeyPem = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  }
  const jwtPublicKey = createPublicKey(publicKeyPem);
  if (privateKeyPem !== "") createPrivateKey(privateKeyPem);

  let url = "";
  const sessions = new Sessions(org.orgId, (options.tokenTtlSeconds ?? 7200) * 1000);
  const limits = new Limits(options.limits);
  const faults = new Faults(seed, (ids, times) => org.lockRows(ids, times));
  for (const rule of options.faults ?? []) faults.add(rule);
  const calls = new CallCounter();
  const requests = new RequestLog();
  const timers = new Timers();
  const services: Services = {
    org,
    limits,
    sessions,
    faults,
    calls,
    timers,
    seed,
    apiVersion,
    bulk: {
      queuedMs: options.bulk?.queuedMs ?? 50,
      processingMsPer10k: options.bulk?.processingMsPer10k ?? 0,
      defaultPageRows: options.bulk?.defaultPageRows ?? 50_000,
    },
    url: () => url,
  };
  const userId = runningUserId(org);
  const credentials = { ...DEMO_CREDENTIALS, username: runningUsername(org, userId) };
  const oauth = new OAuthServer({
    url: () => url,
    orgId: org.orgId,
    clients: [
      {
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
        runAsUsername: credentials.username,
      },
    ],
    users: [
      {
        username: credentials.username,
        password: credentials.password,
        securityToken: credentials.securityToken,
        userId,
      },
    ],
    jwtPublicKey,
    sessions,
  });
  const server = new EmulatorServer({
    services,
    oauth,
    control: controlHandler({ org, faults, calls, limits, sessions }),
    logRequests: options.logRequests ?? false,
    requestLog: requests,
    identity: (session) => identityBody(org, url, session),
    userInfo: (session) => userInfoBody(org, url, session),
  });
  const port = await server.listen(options.port ?? 0);
  url = `http://127.0.0.1:${port}`;

  let stopped: Promise<void> | undefined;
  return {
    url,
    org,
    credentials: { ...credentials, loginUrl: url },
    jwt: { privateKeyPem, publicKeyPem },
    faults,
    calls,
    requests,
    limits: { set: (name, remaining) => limits.set(name, remaining), get: (name) => limits.get(name) },
    expireTokens: () => sessions.expireAll(),
    stop: () => {
      stopped ??= (async () => {
        timers.stopAll();
        await server.close();
      })();
      return stopped;
    },
  };
}
