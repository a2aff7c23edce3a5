/**
 * Shared set-up for the conformance tests: an emulator over a seeded demo org with a fixed clock
 * start, raw-HTTP helpers and jsforce connections.
 */
import { Connection, OAuth2 } from "jsforce";
import { type Emulator, type EmulatorOptions, startEmulator } from "../../../emulator/index";
import { createDemoOrg } from "../../../emulator/org/demo";

export const API = "62.0";
/** The demo org's "now" in these tests. */
export const ORG_NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

export async function startTestEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({
    org: createDemoOrg({ seed: 7, now: ORG_NOW }),
    seed: 7,
    bulk: { queuedMs: 5, processingMsPer10k: 0, defaultPageRows: 50_000 },
    ...options,
  });
}

/** The token endpoint's answer to a password grant with the demo credentials (for `username`). */
export async function passwordTokenBody(
  emulator: Emulator,
  username = emulator.credentials.username,
): Promise<Record<string, string>> {
  const c = emulator.credentials;
  const response = await fetch(`${emulator.url}/services/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "password",
      client_id: c.clientId,
      client_secret: c.clientSecret,
      username,
      password: c.password + c.securityToken,
    }),
  });
  return (await response.json()) as Record<string, string>;
}

export async function passwordToken(emulator: Emulator): Promise<string> {
  return (await passwordTokenBody(emulator)).access_token as string;
}

/** A raw HTTP client for `/services/data/v62.0/…` with a bearer token. */
export function api(emulator: Emulator, token: string) {
  const base = `${emulator.url}/services/data/v${API}`;
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const init: RequestInit = { method, headers: { Authorization: `Bearer ${token}`, ...headers } };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] ??=
        typeof body === "string" ? "text/csv" : "application/json";
    }
    return fetch(
      path.startsWith("http") ? path : path.startsWith("/") ? `${emulator.url}${path}` : `${base}/${path}`,
      init,
    );
  };
  return {
    get: (path: string, headers?: Record<string, string>) => call("GET", path, undefined, headers),
    post: (path: string, body: unknown, headers?: Record<string, string>) =>
      call("POST", path, body, headers),
    patch: (path: string, body: unknown, headers?: Record<string, string>) =>
      call("PATCH", path, body, headers),
    put: (path: string, body: unknown, headers?: Record<string, string>) => call("PUT", path, body, headers),
    delete: (path: string, headers?: Record<string, string>) => call("DELETE", path, undefined, headers),
    json: async <T = unknown>(response: Response): Promise<T> => (await response.json()) as T,
  };
}

export type Api = ReturnType<typeof api>;

export async function passwordConnection(emulator: Emulator): Promise<Connection> {
  const c = emulator.credentials;
  const conn = new Connection({
    oauth2: new OAuth2({ loginUrl: c.loginUrl, clientId: c.clientId, clientSecret: c.clientSecret }),
    loginUrl: c.loginUrl,
    version: API,
  });
  await conn.login(c.username, c.password + c.securityToken);
  return conn;
}

/** Polls a Bulk job until it leaves the non-terminal states. */
export async function waitForJob(
  client: Api,
  kind: "query" | "ingest",
  id: string,
): Promise<Record<string, unknown>> {
  for (let i = 0; i < 400; i++) {
    const info = (await (await client.get(`jobs/${kind}/${id}`)).json()) as Record<string, unknown>;
    if (!["Open", "UploadComplete", "InProgress"].includes(String(info.state))) return info;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Bulk ${kind} job ${id} did not finish`);
}

/** Splits Bulk CSV text into rows of fields (the emulator quotes every field). */
export function parseCsv(text: string, delimiter = ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i += 1;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
    i += 1;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
