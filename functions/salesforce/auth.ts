import { createSign } from "node:crypto";
import { OAuth2 } from "jsforce/lib/oauth2";
import { ConfigurationError, TransientError } from "../core/errors";
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

/** A JWT bearer assertion (RS256) as Salesforce expects: iss = client id, sub = username, aud = login URL. */
export function signJwtAssertion(
  credentials: Extract<SalesforceCredentials, { authFlow: "jwt" }>,
  nowMs: number = Date.now(),
): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = encode({ alg: "RS256", typ: "JWT" });
  const claims = encode({
    iss: credentials.clientId,
    sub: credentials.username,
    aud: credentials.loginUrl,
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

/** Turn an OAuth error into a clear, secret-free error that says what to fix. */
function loginError(error: unknown, credentials: SalesforceCredentials): Error {
  const code = error instanceof Error ? error.name : "unknown";
  const description = error instanceof Error ? error.message : String(error);
  const flow = describeFlow(credentials);
  const details = { code, cause: undefined };
  // OAuth errors have snake_case codes; HTTP 4xx without an OAuth body is a setup problem too. Anything
  // else (5xx, a dropped connection, DNS) is temporary.
  const isOAuthError = /^[a-z]+(_[a-z]+)*$/.test(code) || /^ERROR_HTTP_4\d\d$/.test(code);
  if (!isOAuthError) {
    return new TransientError(
      `Salesforce login (${flow}) failed for a temporary reason (${code}); it will be retried.`,
      details,
    );
  }
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
      return new ConfigurationError(`Salesforce login failed (${flow}): ${code}: ${description}.`, details);
  }
}

/** Log in with one of the three OAuth 2.0 flows (never SOAP). None of them returns a refresh token. */
export async function login(credentials: SalesforceCredentials): Promise<Session> {
  let response: TokenResponse;
  try {
    switch (credentials.authFlow) {
      case "password": {
        const oauth = new OAuth2({
          loginUrl: credentials.loginUrl,
          clientId: credentials.clientId,
          clientSecret: credentials.clientSecret,
        });
        response = await oauth.authenticate(
          credentials.username,
          credentials.password + (credentials.securityToken ?? ""),
        );
        break;
      }
      case "client_credentials": {
        const oauth = new OAuth2({
          loginUrl: credentials.loginUrl,
          clientId: credentials.clientId,
          clientSecret: credentials.clientSecret,
        });
        response = await oauth.requestToken({ grant_type: "client_credentials" });
        break;
      }
      case "jwt": {
        const oauth = new OAuth2({ loginUrl: credentials.loginUrl });
        response = await oauth.requestToken({
          grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
          assertion: signJwtAssertion(credentials),
        });
        break;
      }
    }
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    throw loginError(error, credentials);
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
