import * as z from "zod";
import { ConfigurationError } from "../errors";

export const DEFAULT_LOGIN_URL = "https://login.salesforce.com";

const nonEmpty = z.string().trim().min(1);

const loginUrl = z
  .string()
  .trim()
  .url()
  .refine((value) => /^https?:\/\//.test(value), "must start with https://")
  .transform((value) => value.replace(/\/+$/, ""));

/** Salesforce's shared login hosts: any org's users log in there, but they are no org's My Domain. */
const SHARED_LOGIN_HOSTS = new Set(["login.salesforce.com", "test.salesforce.com"]);

const CLIENT_CREDENTIALS_LOGIN =
  "the client credentials flow needs your org's My Domain URL (https://<your-domain>.my.salesforce.com, Setup > My Domain), not login.salesforce.com or test.salesforce.com";

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return "";
  }
}

/** The hashKey's shortest length: a key anyone could guess would let them reverse hashed values. */
export const MIN_HASH_KEY_LENGTH = 32;

const HASH_KEY_MESSAGE = `hashKey must be a random string of at least ${MIN_HASH_KEY_LENGTH} characters (e.g. the output of \`openssl rand -hex 32\`)`;

const base = {
  clientId: nonEmpty,
  loginUrl: loginUrl.default(DEFAULT_LOGIN_URL),
  /**
   * The connection's key for `hashFields` (HMAC-SHA-256): not a Salesforce credential, kept in the same
   * secret so it is never in the settings, the bucket or a payload. Optional until hashFields is set.
   */
  hashKey: z.string().min(MIN_HASH_KEY_LENGTH, HASH_KEY_MESSAGE).optional(),
};

/**
 * The credentials secret (Secrets Manager, a local file, or the environment). One JSON object; the
 * `authFlow` picks which of the three OAuth 2.0 flows Salesforce supports without a browser.
 */
export const SalesforceCredentialsSchema = z.discriminatedUnion("authFlow", [
  z.object({
    ...base,
    authFlow: z.literal("password"),
    clientSecret: nonEmpty,
    username: nonEmpty,
    password: nonEmpty,
    securityToken: z.string().trim().optional(),
  }),
  z.object({
    ...base,
    authFlow: z.literal("client_credentials"),
    clientSecret: nonEmpty,
    // The flow runs only against the org's own My Domain, never the shared login hosts.
    loginUrl: loginUrl
      .default(DEFAULT_LOGIN_URL)
      .refine((value) => !SHARED_LOGIN_HOSTS.has(hostOf(value)), CLIENT_CREDENTIALS_LOGIN),
  }),
  z.object({
    ...base,
    authFlow: z.literal("jwt"),
    username: nonEmpty,
    /** PEM of the RSA private key whose certificate is uploaded to the connected app. */
    privateKey: nonEmpty,
    /** The assertion's `aud` when not derived from loginUrl (an Experience Cloud site's URL). */
    audience: loginUrl.optional(),
  }),
]);

export type SalesforceCredentials = z.infer<typeof SalesforceCredentialsSchema>;

/**
 * Parse a credentials document. Errors name the fields that are missing or malformed and what to do —
 * never their values, which are secrets.
 */
export function parseCredentials(input: unknown, source: string): SalesforceCredentials {
  let document = input;
  if (typeof input === "string") {
    try {
      document = JSON.parse(input);
    } catch {
      throw new ConfigurationError(
        `The Salesforce credentials in ${source} are not valid JSON. Store one JSON object with clientId, clientSecret, username, password, securityToken (optional), loginUrl (optional) and authFlow (optional).`,
      );
    }
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new ConfigurationError(`The Salesforce credentials in ${source} must be one JSON object.`);
  }
  const withFlow = { authFlow: "password", ...(document as Record<string, unknown>) };
  const parsed = SalesforceCredentialsSchema.safeParse(withFlow);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.join(".") || "(document)";
    if (field === "authFlow") return `authFlow must be one of "password", "client_credentials", "jwt"`;
    if (issue.code === "invalid_type" && /undefined|required/i.test(issue.message))
      return `${field} is missing`;
    if (field === "loginUrl" && issue.message === CLIENT_CREDENTIALS_LOGIN)
      return `loginUrl: ${issue.message}`;
    if (field === "loginUrl")
      return "loginUrl must be a URL such as https://login.salesforce.com, https://test.salesforce.com or your My Domain URL";
    if (field === "hashKey") return HASH_KEY_MESSAGE;
    if (field === "audience") return "audience must be a URL such as https://test.salesforce.com";
    return `${field} is invalid (${issue.message})`;
  });
  throw new ConfigurationError(
    `The Salesforce credentials in ${source} are incomplete: ${[...new Set(problems)].join("; ")}.`,
    { field: String(parsed.error.issues[0]?.path.join(".") ?? "") },
  );
}

/** Secret values of a credentials document, so tests and log scrubbing can look for them. */
export function secretValuesOf(credentials: SalesforceCredentials): string[] {
  const hashKey = credentials.hashKey === undefined ? [] : [credentials.hashKey];
  switch (credentials.authFlow) {
    case "password":
      return [
        credentials.clientSecret,
        credentials.password,
        credentials.securityToken ?? "",
        ...hashKey,
      ].filter(Boolean);
    case "client_credentials":
      return [credentials.clientSecret, ...hashKey];
    case "jwt":
      return [credentials.privateKey, ...hashKey];
  }
}
