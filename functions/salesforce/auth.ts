import { createSign } from "node:crypto";
import { ConfigurationError, TransientError } from "../errors";
import type { SalesforceCredentials } from "./credentials";

/** An authenticated session. The access token is a secret: never log or return it in a payload. */
export interface Session {
  accessToken: string;
  instanceUrl: string;
  orgId: string;
  userId: string;
  issuedAt: number;
}

interface TokenResponse {
  access_token: string;
  instance_url: string;
  id: string;
  issued_at?: string;
}

export const PRODUCTION_AUDIENCE = "https://login.salesforce.com";
export const SANDBOX_AUDIENCE = "https://test.salesforce.com";

/**
 * The JWT bearer assertion's `aud`: Salesforce takes `https://login.salesforce.com` for a production
 * org and `https://test.salesforce.com` for a sandbox (or an Experience Cloud site's URL, given as
 * `audience`), whatever URL the token request goes to, so a My Domain login URL is not an audience.
 * A sandbox is told by its URL: test.salesforce.com, `*.sandbox.my.salesforce.com` and the older
 * `<domain>--<sandbox>.my.salesforce.com`, and scratch orgs (`*.scratch.my.salesforce.com`).
 */
export function jwtAudience(credentials: { loginUrl: string; audience?: string }): string {
  if (credentials.audience) return credentials.audience;
  let host: string;
  try {
    host = new URL(credentials.loginUrl).hostname.toLowerCase();
  } catch {
    return PRODUCTION_AUDIENCE;
  }
  const sandbox =
    host === "test.salesforce.com" ||
    host.endsWith(".sandbox.my.salesforce.com") ||
    host.endsWith(".scratch.my.salesforce.com") ||
    /^[^.]+--[^.]+\.my\.salesforce\.com$/.test(host);
  return sandbox ? SANDBOX_AUDIENCE : PRODUCTION_AUDIENCE;
}

/** A JWT bearer assertion (RS256) as Salesforce expects: iss = client id, sub = username, aud = jwtAudience. */
export function signJwtAssertion(
  credentials: Extract<SalesforceCredentials, { authFlow: "jwt" }>,
  nowMs: number = Date.now(),
): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = encode({ alg: "RS256", typ: "JWT" });
  const claims = encode({
    iss: credentials.clientId,
    sub: credentials.username,
    aud: jwtAudience(credentials),
    exp: Math.floor(nowMs / 1000) + 180,
  });
  let signature: string;
  try {
    signature = createSign("RSA-SHA256")
      .update(`${header}.${claims}`)
      .sign(credentials.privateKey, "base64url");
  } catch {
    throw new ConfigurationError(
      "The JWT private key in the credentials cannot be used to sign (it must be an RSA private key in PEM form, the one whose certificate is uploaded to the connected app).",
      { field: "privateKey" },
    );
  }
  return `${header}.${claims}.${signature}`;
}

function describeFlow(credentials: SalesforceCredentials): string {
  switch (credentials.authFlow) {
    case "password":
      return `password flow for ${credentials.username} at ${credentials.loginUrl}`;
    case "client_credentials":
      return `client credentials flow at ${credentials.loginUrl}`;
    case "jwt":
      return `JWT bearer flow for ${credentials.username} at ${credentials.loginUrl}`;
  }
}

/** How long to wait for the token endpoint's answer. */
const LOGIN_TIMEOUT_MS = 60_000;
/** Keeps an unexpected error page (a proxy's HTML, say) out of messages beyond a short excerpt. */
const MAX_DESCRIPTION_LENGTH = 200;

/**
 * Turn a refused token request into a clear, secret-free error that says what to fix. Only a 4xx
 * answer is the setup's fault; a 5xx, a 429 or a body that is not the OAuth error document is temporary.
 */
function loginError(status: number, body: string, credentials: SalesforceCredentials): Error {
  const flow = describeFlow(credentials);
  let parsed: { error?: unknown; error_description?: unknown } | undefined;
  try {
    const value = JSON.parse(body) as unknown;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) parsed = value as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const oauthCode =
    typeof parsed?.error === "string" && /^[a-z]+(_[a-z]+)*$/.test(parsed.error) ? parsed.error : undefined;
  if (status >= 500 || status === 429 || (status < 400 && oauthCode === undefined)) {
    return new TransientError(
      `Salesforce login (${flow}) failed for a temporary reason (HTTP ${status}); it will be retried.`,
      { code: oauthCode ?? `ERROR_HTTP_${status}`, status },
    );
  }
  const code = oauthCode ?? `ERROR_HTTP_${status}`;
  const description = (
    typeof parsed?.error_description === "string" ? parsed.error_description : oauthCode ? "" : body
  )
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, MAX_DESCRIPTION_LENGTH);
  const details = { code, status };
  switch (code) {
    case "invalid_client_id":
      return new ConfigurationError(
        `Salesforce does not know the client id (${flow}): set clientId to the connected app's consumer key, and check loginUrl points at the right org (https://test.salesforce.com for sandboxes).`,
        details,
      );
    case "invalid_client":
      return new ConfigurationError(
        `Salesforce rejected the client credentials (${flow}): check clientSecret (the connected app's consumer secret)${credentials.authFlow === "client_credentials" ? " and that the client credentials flow is enabled with a run-as user" : ""}.`,
        details,
      );
    case "invalid_grant":
      return new ConfigurationError(
        credentials.authFlow === "password"
          ? `Salesforce rejected the login (${flow}: ${description}): check username, password and securityToken (the token is appended to the password; reset it in Salesforce settings if unsure), and that the username-password flow is allowed for the connected app.`
          : `Salesforce rejected the login (${flow}: ${description}): check the user is pre-authorized for the connected app${credentials.authFlow === "jwt" ? " and that the certificate matches privateKey" : ""}.`,
        details,
      );
    case "unsupported_grant_type":
      return new ConfigurationError(
        `Salesforce refused the grant type (${flow}): enable this OAuth flow for the connected app, or choose another authFlow.`,
        details,
      );
    default:
      return new ConfigurationError(
        `Salesforce login failed (${flow}): ${code}${description ? `: ${description}` : ""}.`,
        details,
      );
  }
}

/** The token request's form for a flow. */
function tokenForm(credentials: SalesforceCredentials): URLSearchParams {
  switch (credentials.authFlow) {
    case "password":
      return new URLSearchParams({
        grant_type: "password",
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
        username: credentials.username,
        password: credentials.password + (credentials.securityToken ?? ""),
      });
    case "client_credentials":
      return new URLSearchParams({
        grant_type: "client_credentials",
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
      });
    case "jwt":
      return new URLSearchParams({
        grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion: signJwtAssertion(credentials),
      });
  }
}

/**
 * POST the token request and read the whole answer. The three grants are plain form posts to the
 * token endpoint, sent with fetch like every other call. jsforce's OAuth2 client is not used at run
 * time: its HTTP transport let an answer dropped mid-body escape as an unhandled stream error that ended
 * the process (found by the fault campaign), and importing it pulled about 0.9 MB (undici, mime-db)
 * into every Lambda bundle. jsforce remains the independent client the emulator is tested against.
 */
async function requestToken(
  credentials: SalesforceCredentials,
  form: URLSearchParams,
): Promise<{ status: number; body: string }> {
  const url = `${credentials.loginUrl.replace(/\/+$/, "")}/services/oauth2/token`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), LOGIN_TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: form.toString(),
      signal: controller.signal,
    });
    return { status: response.status, body: await response.text() };
  } catch (cause) {
    const reason = controller.signal.aborted
      ? `no answer within ${LOGIN_TIMEOUT_MS / 1000} s`
      : "the connection failed or dropped";
    throw new TransientError(
      `Salesforce login (${describeFlow(credentials)}) failed for a temporary reason (${reason}); it will be retried.`,
      { code: "CONNECTION", cause },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Log in with one of the three OAuth 2.0 flows (never SOAP). None of them returns a refresh token. */
export async function login(credentials: SalesforceCredentials): Promise<Session> {
  const { status, body } = await requestToken(credentials, tokenForm(credentials));
  if (status < 200 || status >= 300) throw loginError(status, body, credentials);
  let response: Partial<TokenResponse> | undefined;
  try {
    response = JSON.parse(body) as Partial<TokenResponse>;
  } catch {
    response = undefined;
  }
  if (typeof response?.access_token !== "string" || typeof response.instance_url !== "string") {
    throw new TransientError(
      `Salesforce login (${describeFlow(credentials)}) returned an unexpected response.`,
    );
  }
  const idParts = String(response.id ?? "").split("/");
  return {
    accessToken: response.access_token,
    instanceUrl: response.instance_url.replace(/\/+$/, ""),
    orgId: idParts.at(-2) ?? "",
    userId: idParts.at(-1) ?? "",
    issuedAt: Number(response.issued_at ?? Date.now()),
  };
}
