/**
 * Where the command line finds Salesforce credentials: `--credentials FILE`, `--secret-id ID` (Secrets
 * Manager), or the SALESFORCE_* environment variables. Credentials given on this machine stay in memory:
 * they are never written to the state folder nor to a Secrets Manager secret.
 */
import { readFile } from "node:fs/promises";
import type { SecretSource } from "../../functions/core/ports";
import { ConfigurationError } from "../../functions/errors";
import { parseCredentials, secretValuesOf } from "../../functions/salesforce/credentials";

/** Each credentials field and the environment variable that sets it. */
export const CREDENTIAL_ENV = {
  clientId: "SALESFORCE_CLIENT_ID",
  clientSecret: "SALESFORCE_CLIENT_SECRET",
  username: "SALESFORCE_USERNAME",
  password: "SALESFORCE_PASSWORD",
  securityToken: "SALESFORCE_SECURITY_TOKEN",
  loginUrl: "SALESFORCE_LOGIN_URL",
  authFlow: "SALESFORCE_AUTH_FLOW",
  privateKey: "SALESFORCE_PRIVATE_KEY_FILE",
  hashKey: "SALESFORCE_HASH_KEY",
} as const;

export interface CredentialsOptions {
  credentials?: string;
  secretId?: string;
}

export interface CredentialsChoice {
  /** The secret id the runtime asks its secret source for. */
  secretId: string;
  /** In-memory source for credentials from a file or the environment; absent: Secrets Manager. */
  secrets?: SecretSource;
  /** Values to mask in anything the command prints. */
  secretValues: string[];
}

export const MISSING_CREDENTIALS =
  "No Salesforce credentials: set SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET, SALESFORCE_USERNAME, SALESFORCE_PASSWORD (and SALESFORCE_SECURITY_TOKEN, SALESFORCE_LOGIN_URL as needed), or pass --credentials FILE or --secret-id ID. Try `saddledata demo` to see it work without an org.";

function memorySecret(secretId: string, text: string): SecretSource {
  return {
    async getSecretString(id) {
      if (id !== secretId) throw new ConfigurationError(`No credentials were given for secret ${id}.`);
      return text;
    },
  };
}

function envNames(message: string): string {
  return message.replace(
    /\b(clientId|clientSecret|username|password|securityToken|loginUrl|authFlow|privateKey)\b/g,
    (field) => CREDENTIAL_ENV[field as keyof typeof CREDENTIAL_ENV],
  );
}

async function fromFile(path: string): Promise<CredentialsChoice> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigurationError(
      `Cannot read the credentials file ${path} (${code}): check the path given to --credentials.`,
    );
  }
  const credentials = parseCredentials(text, path);
  const secretId = `file:${path}`;
  return { secretId, secrets: memorySecret(secretId, text), secretValues: secretValuesOf(credentials) };
}

async function fromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): Promise<CredentialsChoice> {
  const document: Record<string, string> = {};
  for (const [field, name] of Object.entries(CREDENTIAL_ENV)) {
    const value = env[name];
    if (value === undefined || value === "" || field === "privateKey") continue;
    document[field] = value;
  }
  const keyFile = env[CREDENTIAL_ENV.privateKey];
  if (keyFile) {
    try {
      document.privateKey = await readFile(keyFile, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new ConfigurationError(`Cannot read ${CREDENTIAL_ENV.privateKey} ${keyFile} (${code}).`);
    }
    // A key file without a flow means the JWT bearer flow: it is the only one that uses a key.
    document.authFlow ??= "jwt";
  }
  let credentials: ReturnType<typeof parseCredentials>;
  try {
    credentials = parseCredentials(document, "the SALESFORCE_* environment variables");
  } catch (error) {
    if (error instanceof ConfigurationError) throw new ConfigurationError(envNames(error.message));
    throw error;
  }
  const text = JSON.stringify(document);
  const secretId = "env:SALESFORCE_*";
  return { secretId, secrets: memorySecret(secretId, text), secretValues: secretValuesOf(credentials) };
}

/**
 * The credentials a command uses, or a ConfigurationError saying how to give them. `--credentials` and
 * `--secret-id` win over the environment; giving both is a mistake.
 */
export async function resolveCredentials(
  options: CredentialsOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<CredentialsChoice> {
  if (options.credentials !== undefined && options.secretId !== undefined) {
    throw new ConfigurationError("Give either --credentials FILE or --secret-id ID, not both.");
  }
  if (options.credentials !== undefined) return fromFile(options.credentials);
  if (options.secretId !== undefined) return { secretId: options.secretId, secretValues: [] };
  const anySet = Object.values(CREDENTIAL_ENV).some((name) => (env[name] ?? "") !== "");
  if (!anySet) throw new ConfigurationError(MISSING_CREDENTIALS);
  return fromEnvironment(env);
}
