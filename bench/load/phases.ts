/**
 * The load connector alone, phase by phase: `npx tsx bench/load/phases.ts [options]`. Each repetition
 * runs the validation in one child and the sending in another (each child's peak RSS is its phase's),
 * then, with `--combined`, the whole load in one child as `npm run bench` does. Prints one line per
 * child with the memory components' sampled peaks; nothing is written to bench/results.json.
 *
 *   --records <n>   rows of the upsert file (default 1000000)
 *   --reps <n>      repetitions (default 3)
 *   --combined      also run validation and sending in one child
 *   --live          also sample memory right after full collections (live vs. waiting to be collected)
 *   --profile <dir> write a CPU profile of every child there
 *   --node-options <flags>  Node flags of the children (default: the stack's NODE_OPTIONS)
 */
import { parseArgs } from "node:util";
import { ENV } from "../../functions/contract";
import {
  FUNCTION_SPECS,
  LAMBDA_MALLOC_ENVIRONMENT,
  LAMBDA_NODE_OPTIONS,
} from "../../lib/connector-function.construct";
import type { LocalAwsReady } from "../aws/main";
import { BENCH_EXTERNAL_ID, BENCH_OBJECT } from "../emulator/bench-object";
import type { EmulatorReady } from "../emulator/main";
import { runChild, startService } from "../process/children";
import { readCalls, resetCalls } from "../process/emulator-control";
import type { LoadFileResult, SetupResult } from "../setup/main";
import { BENCH_BUCKET, BENCH_CONNECTION, benchSettings } from "../suite";
import type { LoadConnectorRequest, LoadConnectorResult } from "./connector";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "1000000" },
    reps: { type: "string", default: "3" },
    combined: { type: "boolean", default: false },
    live: { type: "boolean", default: false },
    profile: { type: "string" },
    "node-options": { type: "string" },
  },
});
const records = Number(values.records);
const reps = Number(values.reps);
const nodeArgs = [
  ...(values["node-options"] ?? LAMBDA_NODE_OPTIONS).split(/\s+/).filter((flag) => flag !== ""),
  ...(values.profile === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${values.profile}`]),
  ...(values.live ? ["--expose-gc"] : []),
];

function environment(aws: LocalAwsReady): Record<string, string> {
  return {
    ...LAMBDA_MALLOC_ENVIRONMENT,
    [ENV.connection]: BENCH_CONNECTION,
    [ENV.bucket]: aws.bucket,
    [ENV.table]: aws.table,
    [ENV.secretId]: `saddledata/${BENCH_CONNECTION}`,
    [ENV.settings]: JSON.stringify(benchSettings()),
    AWS_ENDPOINT_URL_S3: aws.endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: aws.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoints.secretsManager,
    AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
    AWS_REGION: aws.region,
  };
}

function report(label: string, result: LoadConnectorResult, calls: number): void {
  const phases = result.phases
    .map(
      (phase) =>
        `${phase.phase} ${phase.wallMs} ms wall, ${phase.cpuMs} ms CPU, rss ${phase.memory.rssMb} heap ${phase.memory.heapUsedMb} external ${phase.memory.externalMb} arrayBuffers ${phase.memory.arrayBuffersMb} MB` +
        (phase.live === undefined
          ? ""
          : ` (live: rss ${phase.live.rssMb} heap ${phase.live.heapUsedMb} arrayBuffers ${phase.live.arrayBuffersMb} MB)`),
    )
    .join("; ");
  process.stdout.write(
    `${label}: peak RSS ${result.peakRssMb.toFixed(0)} MB, ${result.wallMs.toFixed(0)} ms wall, ` +
      `${result.cpuMs.toFixed(0)} ms CPU, ${calls} calls, ${result.jobs} jobs | ${phases}\n`,
  );
}

const aws = await startService<LocalAwsReady>("aws", { bucket: BENCH_BUCKET });
try {
  const env = environment(aws.ready);
  const emulator = await startService<EmulatorReady>("emulator", { records: 0, queuedMs: 3_600_000 });
  try {
    const ready = emulator.ready;
    await runChild<SetupResult>(
      "setup",
      { kind: "discover", emulator: ready, runId: `setup-load-${Date.now()}` },
      { env },
    );
    const stamp = Date.now();
    const runs = values.combined ? 2 : 1;
    const keys = Array.from(
      { length: reps * runs },
      (_, n) => `inbound/${BENCH_OBJECT}/upsert/${BENCH_EXTERNAL_ID}/phases-${stamp}-${n + 1}.csv`,
    );
    const file = await runChild<LoadFileResult>("setup", { kind: "loadFile", records, keys }, { env });
    process.stdout.write(`${keys.length} copies of a ${(file.bytes / 1e6).toFixed(0)} MB upsert file\n`);
    const budget = FUNCTION_SPECS.load.timeout.toMilliseconds();
    let next = 0;
    const request = (): LoadConnectorRequest => {
      const key = keys[next] as string;
      next += 1;
      return {
        bucket: aws.ready.bucket,
        key,
        runId: `phases-${stamp}-${next}`,
        invocationBudgetMs: budget,
        liveMemory: values.live,
      };
    };
    const measured = async (label: string, body: LoadConnectorRequest) => {
      await resetCalls(ready.url);
      const result = await runChild<LoadConnectorResult>("loadConnector", body, { env, nodeArgs });
      const calls = (await readCalls(ready.url)).total - result.cleanupCalls;
      report(label, result, calls);
      return result;
    };
    for (let rep = 1; rep <= reps; rep++) {
      const first = request();
      const validated = await measured(`#${rep} validate`, { ...first, stopAfterValidation: true });
      const sent = await measured(`#${rep} send`, {
        ...first,
        ...(validated.state === undefined ? {} : { state: validated.state }),
      });
      if (sent.uploadedRows !== records) throw new Error(`uploaded ${sent.uploadedRows} rows`);
      if (values.combined) await measured(`#${rep} combined`, request());
    }
  } finally {
    await emulator.stop();
  }
} finally {
  await aws.stop();
}
