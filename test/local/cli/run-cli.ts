import { execFile } from "node:child_process";
import { delimiter, join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../../..");
const BIN = join(ROOT, "bin/saddledata.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment without the caller's Salesforce or AWS settings, so a test sees only what it sets. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(SALESFORCE_|AWS_|SADDLEDATA_)/.test(name)) continue;
    env[name] = value;
  }
  // The project's pinned Node 22 first, as `npm run` and `npx` put it.
  env.PATH = `${join(ROOT, "node_modules/.bin")}${delimiter}${process.env.PATH ?? ""}`;
  return { ...env, ...extra };
}

/** `node bin/saddledata.js ...args` as a child process, as a person would run it. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      "node",
      [BIN, ...args],
      {
        cwd: options.cwd ?? ROOT,
        env: cleanEnv(options.env ?? {}),
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(error);
          return;
        }
        resolvePromise({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** The demo org's credentials as the SALESFORCE_* variables. */
export function salesforceEnv(credentials: {
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  securityToken: string;
  loginUrl: string;
}): Record<string, string> {
  return {
    SALESFORCE_CLIENT_ID: credentials.clientId,
    SALESFORCE_CLIENT_SECRET: credentials.clientSecret,
    SALESFORCE_USERNAME: credentials.username,
    SALESFORCE_PASSWORD: credentials.password,
    SALESFORCE_SECURITY_TOKEN: credentials.securityToken,
    SALESFORCE_LOGIN_URL: credentials.loginUrl,
  };
}
