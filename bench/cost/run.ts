/**
 * The cost phase's measured child: one whole execution of the synthesized sync state machine (discover,
 * extract, commit, merge into the lake) or load state machine, run by local mode's Step Functions
 * runner against the benchmark's emulator and AWS processes, counting what AWS bills for:
 * - each Lambda task's invocations and billed duration (its wall time rounded up to the ms), by
 *   function, with the stack's memory for that function;
 * - the execution's state transitions (`countTransitions`);
 * - the S3 requests the functions send, by command (an SDK middleware on the runtime's client);
 * - for a sync, the Parquet bytes of the run's parts and of the current-state table its merge wrote,
 *   from which the bench estimates what Athena's MERGE would scan.
 * Not a Lambda bundle: the runner synthesizes the CDK stack and the local lake runs DuckDB (native).
 */
import { performance } from "node:perf_hooks";
import type { ExtractFormat } from "../../functions/core/settings";
import { discoverHandler } from "../../functions/discover/handler";
import { extractHandler } from "../../functions/extract/handler";
import { lakeHandler } from "../../functions/lake/handler";
import { loadHandler } from "../../functions/load/handler";
import type { ConnectorFunctionName } from "../../lib/connector-function.construct";
import { FUNCTION_SPECS } from "../../lib/connector-function.construct";
import { startLocalEnvironment } from "../../local/environment";
import { createLocalRunner, type LocalHandler } from "../../local/stepfunctions/state-machine";
import { countTransitions } from "../../local/stepfunctions/transitions";
import { readJsonArgument, runMain } from "../process/child-io";

export type CostRunRequest =
  | { kind: "sync"; object: string; settings: Record<string, unknown> }
  | { kind: "load"; object: string; key: string; records: number; settings: Record<string, unknown> };

export interface CostRunResult {
  kind: "sync" | "load";
  status: string;
  records: number;
  /** Invocations and billed ms by function, with the stack's memory for it. */
  lambda: Array<{
    function: string;
    memoryMb: number;
    invocations: number;
    billedMs: number;
    wallMs: number;
  }>;
  states: number;
  retries: number;
  transitions: number;
  /** S3 requests by SDK command, and by the function that sent them. */
  s3: Record<string, number>;
  s3ByFunction: Record<string, Record<string, number>>;
  /** Sync: bytes of the run's Parquet parts and of the merged current-state table. */
  partsBytes?: number;
  tableBytes?: number;
  format?: ExtractFormat;
  wallMs: number;
}

type TaskFunction = Exclude<ConnectorFunctionName, "load-trigger">;
const HANDLERS: Record<TaskFunction, LocalHandler> = {
  discover: discoverHandler,
  extract: extractHandler,
  lake: lakeHandler,
  load: loadHandler,
};

async function main(): Promise<CostRunResult> {
  const request = readJsonArgument<CostRunRequest>();
  const bucket = process.env.SADDLEDATA_BUCKET ?? "";
  const table = process.env.SADDLEDATA_TABLE ?? "";
  const env = await startLocalEnvironment({
    connection: process.env.SADDLEDATA_CONNECTION ?? "bench",
    settings: request.settings,
    aws: { bucket, table },
    prefix: process.env.SADDLEDATA_PREFIX ?? "",
    ...(process.env.SADDLEDATA_SECRET_ID === undefined ? {} : { secretId: process.env.SADDLEDATA_SECRET_ID }),
  });
  try {
    const invocations = new Map<TaskFunction, { invocations: number; billedMs: number; wallMs: number }>();
    let current = "none";
    const s3: Record<string, number> = {};
    const s3ByFunction: Record<string, Record<string, number>> = {};
    let counting = true;
    env.clients.s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (counting) {
          const command = context.commandName ?? "unknown";
          s3[command] = (s3[command] ?? 0) + 1;
          const mine = s3ByFunction[current] ?? {};
          mine[command] = (mine[command] ?? 0) + 1;
          s3ByFunction[current] = mine;
        }
        return next(args);
      },
      { step: "initialize", name: "benchCostS3Counter" },
    );
    const timed = (name: TaskFunction): LocalHandler => ({
      async invoke(event, runtime, remainingMs) {
        const before = current;
        current = name;
        const started = performance.now();
        try {
          return await HANDLERS[name].invoke(event, runtime, remainingMs);
        } finally {
          const ms = performance.now() - started;
          const entry = invocations.get(name) ?? { invocations: 0, billedMs: 0, wallMs: 0 };
          entry.invocations += 1;
          entry.billedMs += Math.ceil(ms);
          entry.wallMs += ms;
          invocations.set(name, entry);
          current = before;
        }
      },
    });
    const runner = await createLocalRunner({
      runtime: env.runtime,
      mapConcurrency: 1,
      handlers: {
        discover: timed("discover"),
        extract: timed("extract"),
        lake: timed("lake"),
        load: timed("load"),
      },
    });
    const started = performance.now();
    const execution =
      request.kind === "sync"
        ? await runner.runSync(
            { objects: [request.object], mode: "full_refresh" },
            { name: `cost-${Date.now()}` },
          )
        : await runner.runLoad({ bucket, key: request.key }, { name: `cost-load-${Date.now()}` });
    const wallMs = performance.now() - started;
    counting = false;
    if (execution.status !== "SUCCEEDED") {
      throw new Error(`the ${request.kind} execution failed: ${execution.error}: ${execution.cause}`);
    }
    const count = countTransitions(execution);
    const lambda = [...invocations.entries()].map(([name, entry]) => ({
      function: name,
      memoryMb: FUNCTION_SPECS[name].memorySize,
      ...entry,
      wallMs: Math.round(entry.wallMs),
    }));
    const result: CostRunResult = {
      kind: request.kind,
      status: execution.status,
      records: 0,
      lambda,
      ...count,
      s3,
      s3ByFunction,
      wallMs: Math.round(wallMs),
    };
    const { store, layout } = env.runtime;
    if (request.kind === "sync") {
      const state = await env.runtime.state.get({
        connection: env.runtime.config.connection,
        object: request.object,
      });
      const manifestBytes =
        state?.lastManifestKey === undefined ? undefined : await store.get(state.lastManifestKey);
      if (manifestBytes === undefined) throw new Error("the sync committed no manifest");
      const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as {
        totals: { records: number; bytes: number };
        format: ExtractFormat;
      };
      result.records = manifest.totals.records;
      result.partsBytes = manifest.totals.bytes;
      result.format = manifest.format;
      let tableBytes = 0;
      for await (const object of store.list(layout.localLakeFolder(request.object)))
        tableBytes += object.size;
      result.tableBytes = tableBytes;
    } else {
      result.records = request.records;
    }
    return result;
  } finally {
    await env.stop();
  }
}

runMain(main);
