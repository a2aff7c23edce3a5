import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../emulator/index";
import { type AwsClients, createAwsClients } from "../../../functions/aws/clients";
import { S3ObjectStore } from "../../../functions/aws/s3-object-store";
import { type LocalAws, startLocalAws } from "../../../local/aws/local-aws";
import type { LoadReport } from "../../../local/cli/load-run";
import type { StatusReport } from "../../../local/cli/status-report";
import type { SyncReport } from "../../../local/cli/sync-run";
import { runCli } from "./run-cli";

let emulator: Emulator;
let aws: LocalAws;
let clients: AwsClients;
let work: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  // Stands in for an AWS account: the command reaches it only through the standard endpoint variables.
  aws = await startLocalAws({ buckets: ["lake"], tableName: "sd-state" });
  clients = createAwsClients({ region: aws.region, endpoints: aws.endpoints, credentials: aws.credentials });
  await clients.secretsManager.send(
    new CreateSecretCommand({ Name: "saddledata/prod", SecretString: JSON.stringify(emulator.credentials) }),
  );
  work = await mkdtemp(join(tmpdir(), "saddledata-cli-aws-"));
});

afterAll(async () => {
  clients?.s3.destroy();
  clients?.dynamodb.destroy();
  clients?.secretsManager.destroy();
  await aws?.stop();
  await emulator?.stop();
  await rm(work, { recursive: true, force: true });
});

function awsEnv(): Record<string, string> {
  return {
    AWS_REGION: aws.region,
    AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_S3: aws.endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: aws.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoints.secretsManager,
  };
}

describe("saddledata with --bucket and --table", () => {
  it("syncs, loads and reports status in an AWS account named by the standard variables, with a Secrets Manager secret", async () => {
    // Prepare
    const target = ["--bucket", "lake", "--table", "sd-state", "--prefix", "sf/prod", "--json"];
    const credentials = ["--secret-id", "saddledata/prod"];
    const file = join(work, "leads.csv");
    await writeFile(file, "LastName,Company\nLovelace,Analytical Engines\nHopper,Compilers Inc\n");
    const options = { env: awsEnv(), cwd: work };

    // Act
    const sync = await runCli(["sync", "--objects", "Invoice__c", ...credentials, ...target], options);
    const load = await runCli(
      ["load", "--file", file, "--object", "Lead", "--operation", "insert", ...credentials, ...target],
      options,
    );
    const status = await runCli(["status", ...target], options);

    // Assess
    expect(sync.code, sync.stderr).toBe(0);
    const syncReport = JSON.parse(sync.stdout) as SyncReport;
    const manifestKey = syncReport.manifests[0] ?? "";
    expect(manifestKey).toMatch(/^sf\/prod\/data\/Invoice__c\/dt=.*\/_manifest\.json$/);
    const store = new S3ObjectStore(clients.s3, "lake");
    expect(await store.head(manifestKey)).toBeDefined();

    expect(load.code, load.stderr).toBe(0);
    const loadReport = JSON.parse(load.stdout) as LoadReport;
    expect(loadReport).toMatchObject({
      status: "succeeded",
      bucket: "lake",
      key: "sf/prod/inbound/Lead/insert/leads.csv",
      counts: { read: 2, succeeded: 2 },
    });
    expect(await store.head(loadReport.files?.summary as string)).toBeDefined();

    expect(status.code, status.stderr).toBe(0);
    const statusReport = JSON.parse(status.stdout) as StatusReport;
    expect(statusReport.objects.map((object) => [object.object, object.cursor])).toEqual([
      ["Invoice__c", syncReport.objects[0]?.cursor],
    ]);
    expect(statusReport.loads.map((claim) => [claim.key, claim.status])).toEqual([
      ["sf/prod/inbound/Lead/insert/leads.csv", "succeeded"],
    ]);
    // Nothing was kept on this machine.
    expect(existsSync(join(work, ".saddledata"))).toBe(false);
  });
});
