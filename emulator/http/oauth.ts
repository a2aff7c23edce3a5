/**
 * `POST /services/oauth2/token`: the username-password, client-credentials and JWT bearer grants,
 * with Salesforce's success body and its OAuth error bodies (400 `{"error","error_description"}`).
 */
import { createHmac, type KeyObject, verify } from "node:crypto";
import type { Session, Sessions } from "./sessions";

/** The JWT bearer assertion's audience for a production org. */
const PRODUCTION_AUDIENCE = "https://login.salesforce.com";

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  /** The user a client-credentials token runs as. */
  runAsUsername: string;
}

export interface OAuthUser {
  username: string;
  password: string;
  securityToken: string;
  userId: string;
}

export interface OAuthConfig {
  /** The login URL and instance URL (one host for both). */
  url: () => string;
  orgId: string;
  clients: OAuthClient[];
  users: OAuthUser[];
  jwtPublicKey: KeyObject;
  sessions: Sessions;
}

export interface OAuthReply {
  status: number;
  body: Record<string, string>;
}

export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

const oauthError = (error: string, description: string): OAuthReply => ({
  status: 400,
  body: { error, error_description: description },
});

const AUTH_FAILURE = oauthError("invalid_grant", "authentication failure");
const UNKNOWN_CLIENT = oauthError("invalid_client_id", "client identifier invalid");
const BAD_SECRET = oauthError("invalid_client", "invalid client credentials");

export class OAuthServer {
  constructor(private readonly config: OAuthConfig) {}

  token(form: URLSearchParams): OAuthReply {
    const grant = form.get("grant_type");
    switch (grant) {
      case "password":
        return this.passwordGrant(form);
      case "client_credentials":
        return this.clientCredentialsGrant(form);
      case JWT_BEARER_GRANT:
        return this.jwtGrant(form);
      default:
        return oauthError("unsupported_grant_type", "grant type not supported");
    }
  }

  private client(form: URLSearchParams): OAuthClient | OAuthReply {
    const client = this.config.clients.find((c) => c.clientId === form.get("client_id"));
    if (client === undefined) return UNKNOWN_CLIENT;
    const secret = form.get("client_secret");
    if (secret !== null && secret !== client.clientSecret) return BAD_SECRET;
    return client;
  }

  private passwordGrant(form: URLSearchParams): OAuthReply {
    const client = this.client(form);
    if ("status" in client) return client;
    if (form.get("client_secret") === null) return BAD_SECRET;
    const user = this.config.users.find((u) => u.username === form.get("username"));
    if (user === undefined || form.get("password") !== user.password + user.securityToken)
      return AUTH_FAILURE;
    return this.success(user, client.clientId, client.clientSecret);
  }

  private clientCredentialsGrant(form: URLSearchParams): OAuthReply {
    const client = this.client(form);
    if ("status" in client) return client;
    if (form.get("client_secret") === null) return BAD_SECRET;
    const user = this.config.users.find((u) => u.username === client.runAsUsername);
    if (user === undefined) return oauthError("invalid_grant", "no client credentials user enabled");
    return this.success(user, client.clientId, client.clientSecret);
  }

  private jwtGrant(form: URLSearchParams): OAuthReply {
    const assertion = form.get("assertion");
    const claims = assertion === null ? undefined : verifyJwt(assertion, this.config.jwtPublicKey);
    if (claims === undefined) return oauthError("invalid_grant", "invalid assertion");
    const client = this.config.clients.find((c) => c.clientId === claims.iss);
    if (client === undefined) return UNKNOWN_CLIENT;
    const secret = form.get("client_secret");
    if (secret !== null && secret !== client.clientSecret) return BAD_SECRET;
    // Salesforce takes login.salesforce.com for a production org (this one), test.salesforce.com for a
    // sandbox, whatever URL the request went to: not the org's own URL.
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.some((aud) => typeof aud === "string" && sameUrl(aud, PRODUCTION_AUDIENCE))) {
      return oauthError("invalid_grant", "audience is invalid");
    }
    if (typeof claims.exp !== "number" || claims.exp * 1000 <= Date.now()) {
      return oauthError("invalid_grant", "expired authorization code");
    }
    const user = this.config.users.find((u) => u.username === claims.sub);
    if (user === undefined) return oauthError("invalid_grant", "user hasn't approved this consumer");
    return this.success(user, client.clientId, client.clientSecret);
  }

  private success(user: OAuthUser, clientId: string, clientSecret: string): OAuthReply {
    const session: Session = this.config.sessions.issue(user, clientId);
    const url = this.config.url();
    const id = `${url}/id/${this.config.orgId}/${user.userId}`;
    const issuedAt = String(session.issuedAt);
    // Salesforce signs id + issued_at with the consumer secret so clients can check the response.
    const signature = createHmac("sha256", clientSecret)
      .update(id + issuedAt)
      .digest("base64");
    return {
      status: 200,
      body: {
        access_token: session.token,
        instance_url: url,
        id,
        token_type: "Bearer",
        issued_at: issuedAt,
        signature,
      },
    };
  }
}

interface JwtClaims {
  iss?: unknown;
  sub?: unknown;
  aud?: unknown;
  exp?: unknown;
}

/** The claims of an RS256 JWT whose signature verifies with `key`, else undefined. */
export function verifyJwt(assertion: string, key: KeyObject): JwtClaims | undefined {
  const parts = assertion.split(".");
  if (parts.length !== 3) return undefined;
  const [headerPart, claimsPart, signaturePart] = parts as [string, string, string];
  const header = parseJsonSegment(headerPart);
  if (header === undefined || header.alg !== "RS256") return undefined;
  const valid = verify(
    "RSA-SHA256",
    Buffer.from(`${headerPart}.${claimsPart}`),
    key,
    Buffer.from(signaturePart, "base64url"),
  );
  if (!valid) return undefined;
  return parseJsonSegment(claimsPart) as JwtClaims | undefined;
}

function parseJsonSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}
