/**
 * The options every working command shares (where state lives, which connection, settings,
 * credentials, output), declared once so their help reads the same everywhere.
 */
import { type Command, Option } from "commander";

export interface StorageOptions {
  stateDir?: string;
  bucket?: string;
  table?: string;
  region?: string;
  prefix?: string;
  connection?: string;
  settings?: string;
}

export interface CredentialOptions {
  credentials?: string;
  secretId?: string;
}

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
}

export const DEFAULT_STATE_DIR = ".saddledata";

export function addStorageOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--state-dir <dir>",
        `folder holding the embedded S3 bucket, DynamoDB table and catalog between runs (default: ${DEFAULT_STATE_DIR})`,
      ).conflicts(["bucket", "table"]),
    )
    .option("--bucket <name>", "use this S3 bucket in AWS instead of the embedded services (needs --table)")
    .option("--table <name>", "the DynamoDB state table in AWS (needs --bucket)")
    .option("--region <region>", "AWS region with --bucket/--table (default: AWS_REGION or your profile's)")
    .option("--prefix <prefix>", "key prefix of everything the connection writes in the bucket")
    .option("--connection <name>", "connection name: keys its cursors in the state table (default: local)")
    .option(
      "--settings <file>",
      "connection settings JSON, or a CDK deployment config (lib/saddledata.config.example.json)",
    );
}

export function addCredentialOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--credentials <file>",
        "Salesforce credentials JSON file (default: SALESFORCE_* variables)",
      ).conflicts("secretId"),
    )
    .option("--secret-id <id>", "read the credentials from this Secrets Manager secret");
}

export function addOutputOptions(command: Command): Command {
  return command
    .option("--json", "print one JSON document (machine-readable summary) instead of text")
    .option(
      "--verbose",
      "show the runtime's log lines and metrics (JSON, on stderr) and stack traces of unexpected errors",
    );
}

export const STORAGE_HELP = `
Where data goes:
  By default everything lands in the embedded S3 bucket and DynamoDB table under --state-dir
  (${DEFAULT_STATE_DIR}/ in the current folder), which persists between runs so incremental syncs
  continue where the last one stopped. With --bucket and --table it goes to AWS instead, using the
  standard credential chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...) and endpoint variables
  (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3, ...).`;

export const CREDENTIALS_HELP = `
Salesforce credentials (first found wins):
  --credentials FILE   one JSON object: {"clientId", "clientSecret", "username", "password",
                       "securityToken", "loginUrl", "authFlow": "password"|"client_credentials"|"jwt"}
  --secret-id ID       a Secrets Manager secret holding that JSON (real AWS, or the embedded one)
  environment          SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET, SALESFORCE_USERNAME,
                       SALESFORCE_PASSWORD, SALESFORCE_SECURITY_TOKEN, SALESFORCE_LOGIN_URL
                       (https://login.salesforce.com, https://test.salesforce.com or your My Domain),
                       optionally SALESFORCE_AUTH_FLOW and SALESFORCE_PRIVATE_KEY_FILE (JWT bearer)
  Credentials from a file or the environment stay in memory; they are never written to disk.`;

export const EXIT_HELP = `
Exit status: 0 when everything succeeded, 1 when the run finished with failures (an object, rows
of a file), 2 when nothing ran because the input is wrong (options, settings, credentials, object,
a file rejected whole).`;
