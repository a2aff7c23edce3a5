/**
 * Bare Salesforce HTTP for the *limit* measurements: node:http with a keep-alive agent, no client
 * library, no parsing beyond what the protocol needs. What the connector cannot beat.
 */
import http from "node:http";
import type { Readable } from "node:stream";
import type { EmulatorReady } from "../emulator/main";

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

export interface RawSession {
  instanceUrl: string;
  accessToken: string;
  version: string;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

export function send(
  url: string,
  options: { method: string; headers?: Record<string, string | number>; body?: string | Buffer | Readable },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: options.method, headers: options.headers, agent }, (res) =>
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
    );
    request.on("error", reject);
    const body = options.body;
    if (body === undefined) request.end();
    else if (typeof body === "string" || Buffer.isBuffer(body)) request.end(body);
    else {
      body.on("error", (error) => request.destroy(error));
      body.pipe(request);
    }
  });
}

async function text(response: RawResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Password grant, as the connector's credentials in the benchmark use. */
export async function rawLogin(emulator: EmulatorReady, version = "62.0"): Promise<RawSession> {
  const c = emulator.credentials;
  const form = new URLSearchParams({
    grant_type: "password",
    client_id: c.clientId,
    client_secret: c.clientSecret,
    username: c.username,
    password: `${c.password}${c.securityToken}`,
  }).toString();
  const response = await send(`${c.loginUrl}/services/oauth2/token`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "Content-Length": Buffer.byteLength(form),
    },
    body: form,
  });
  const body = await text(response);
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${body}`);
  const token = JSON.parse(body) as { access_token: string; instance_url: string };
  return { instanceUrl: token.instance_url, accessToken: token.access_token, version };
}

export function dataUrl(session: RawSession, path: string): string {
  return `${session.instanceUrl}/services/data/v${session.version}/${path}`;
}

/** A JSON API call; throws on a non-2xx answer. */
export async function rawJson<T>(
  session: RawSession,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const response = await send(dataUrl(session, path), {
    method,
    headers: {
      Authorization: `Bearer ${session.accessToken}`,
      Accept: "application/json",
      ...(payload === undefined
        ? {}
        : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) }),
    },
    ...(payload === undefined ? {} : { body: payload }),
  });
  const answer = await text(response);
  if (response.status < 200 || response.status >= 300) {
    throw new Error(`${method} ${path} failed: ${response.status} ${answer.slice(0, 500)}`);
  }
  return (answer === "" ? undefined : JSON.parse(answer)) as T;
}

/** Polls a Bulk job until it leaves its working states; returns its final info. */
export async function waitForJob(
  session: RawSession,
  path: string,
  working: readonly string[],
): Promise<Record<string, unknown>> {
  let delay = 100;
  for (;;) {
    const info = await rawJson<Record<string, unknown>>(session, "GET", path);
    if (!working.includes(String(info.state))) return info;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(2000, delay * 2);
  }
}
