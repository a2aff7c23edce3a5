/**
 * Untimed preparation, in a child of its own (the connection comes in the environment, as for the
 * measured children):
 * - `discover`: store the emulator's credentials as the connection's secret and run discover for the
 *   bench object; answers the catalog key and the columns extract selects;
 * - `loadFile`: write the load benchmark's inbound CSV to S3 once, then copy it to the other keys (a
 *   load claims each file version once, so every repetition loads its own copy).
 */
import { Readable } from "node:stream";
import { CopyObjectCommand } from "@aws-sdk/client-s3";
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
} from "@aws-sdk/client-secrets-manager";
import { createAwsClients } from "../../functions/aws/clients";
import { readStream } from "../../functions/core/catalog-store";
import { readPlannedObjects } from "../../functions/core/discover";
import { type DiscoverOutput, discoverHandler } from "../../functions/discover/handler";
import { createRuntime, readRuntimeConfig } from "../../functions/runtime/runtime";
import type { EmulatorReady } from "../emulator/main";
import { loadFileChunks } from "../load/load-file";
import { readJsonArgument, runMain } from "../process/child-io";

export type SetupRequest =
  | { kind: "discover"; emulator: EmulatorReady; runId: string }
  | { kind: "loadFile"; records: number; keys: string[] };

export interface SetupResult {
  catalogKey: string;
  selectFields: string[];
}

export interface LoadFileResult {
  bytes: number;
  keys: string[];
}

async function storeSecret(secretId: string, value: string): Promise<void> {
  const { secretsManager } = createAwsClients();
  try {
    await secretsManager.send(new CreateSecretCommand({ Name: secretId, SecretString: value }));
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    await secretsManager.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
  } finally {
    secretsManager.destroy();
  }
}

async function writeLoadFile(records: number, keys: string[]): Promise<LoadFileResult> {
  const [first, ...copies] = keys;
  if (first === undefined) throw new Error("loadFile needs at least one key");
  const runtime = createRuntime(readRuntimeConfig());
  const { bytes } = await runtime.store.upload(first, Readable.from(loadFileChunks(records)), {
    contentType: "text/csv",
  });
  const { s3 } = createAwsClients();
  try {
    for (const key of copies) {
      await s3.send(
        new CopyObjectCommand({
          Bucket: runtime.store.bucket,
          Key: key,
          CopySource: `${runtime.store.bucket}/${first}`,
        }),
      );
    }
  } finally {
    s3.destroy();
  }
  return { bytes, keys };
}

async function main(): Promise<SetupResult | LoadFileResult> {
  const request = readJsonArgument<SetupRequest>();
  if (request.kind === "loadFile") return writeLoadFile(request.records, request.keys);
  const config = readRuntimeConfig();
  await storeSecret(config.secretId, JSON.stringify(request.emulator.credentials));
  const runtime = createRuntime(config);
  const object = request.emulator.object;
  const discovered = (await discoverHandler.invoke(
    { runId: request.runId, request: { objects: [object], mode: "full_refresh" } },
    runtime,
  )) as DiscoverOutput;
  const planned = await readPlannedObjects(runtime.store, runtime.layout, discovered.runId);
  const task = planned.find((candidate) => candidate.object === object);
  if (task === undefined) throw new Error(`discover did not list ${object}: ${JSON.stringify(discovered)}`);
  const stream = await readStream(runtime.store, task.catalogKey);
  return { catalogKey: task.catalogKey, selectFields: stream.selectFields };
}

runMain(main);
