/**
 * A Distributed Map carried out on one machine, since aws-local-stepfunctions runs inline Maps only. The
 * runner hands the library the definition with each Distributed Map state replaced by a Task of the same
 * name (`asLocalDefinition`) and answers that Task here, as Step Functions would:
 * - ItemReader `arn:aws:states:::s3:getObject` (ReaderConfig InputType JSON or JSONL, MaxItems) from the
 *   local bucket, or the input's ItemsPath without a reader;
 * - ItemSelector per item, with `$` the state's input and `$$.Map.Item.Index` / `.Value`;
 * - each item a child execution of the ItemProcessor's definition (run by the caller through
 *   aws-local-stepfunctions, with its own history), at most MaxConcurrency at once;
 * - ResultWriter `arn:aws:states:::s3:putObject` (Transformation NONE, OutputType JSON: the default):
 *   `<Prefix>/<map run id>/manifest.json` and `SUCCEEDED_0.json` / `FAILED_0.json` (JSON arrays of child
 *   executions) in the local bucket, and the state's output `{ MapRunArn, ResultWriterDetails: { Bucket,
 *   Key } }`; without a ResultWriter, the children's outputs in item order;
 * - ToleratedFailurePercentage / ToleratedFailureCount: more failed children than tolerated fails the
 *   state with `States.ExceedToleratedFailureThreshold` (after the results are written).
 * Sources: the Step Functions Developer Guide pages "ItemReader (Map)", "ItemSelector (Map)",
 * "ResultWriter (Map)" and "Using Map state in Distributed mode"; README "Local mode".
 */
import { randomUUID } from "node:crypto";
import type { ObjectStore } from "../../functions/core/ports";
import { isDistributedMap } from "./history";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A Map has no timeout of its own: the Task standing in for one waits as long as a Node timer can
 * (2^31 − 1 ms, 24.8 days; a longer one fires at once), beyond the sync's own 24 hours.
 */
export const MAP_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** The resource of the Task a Distributed Map becomes in the definition the library runs. */
export const LOCAL_DISTRIBUTED_MAP = "arn:aws:states:::local:distributedMap";

export interface DistributedMapState {
  Type: "Map";
  ItemReader?: {
    Resource: string;
    ReaderConfig?: { InputType?: string; MaxItems?: number };
    Parameters?: Record<string, Json>;
  };
  ItemsPath?: string;
  ItemSelector?: Record<string, Json>;
  ItemBatcher?: unknown;
  ItemProcessor: { StartAt: string; States: Record<string, unknown> } & Record<string, unknown>;
  MaxConcurrency?: number;
  ToleratedFailurePercentage?: number;
  ToleratedFailureCount?: number;
  Label?: string;
  ResultWriter?: {
    Resource?: string;
    Parameters?: Record<string, Json>;
    WriterConfig?: { Transformation?: string; OutputType?: string };
  };
}

/** Fields a Task shares with a Map: they keep their meaning on the Task that stands in for it. */
const TASK_FIELDS = [
  "Comment",
  "InputPath",
  "OutputPath",
  "ResultPath",
  "ResultSelector",
  "Retry",
  "Catch",
  "Next",
  "End",
] as const;

/**
 * The definition the library runs: every Distributed Map (top-level; a child's own are replaced when
 * the child runs) as a Task answered by `runDistributedMap`. Also returns the Map states by name.
 */
export function asLocalDefinition<D extends { States: Record<string, unknown> }>(
  definition: D,
): { definition: D; maps: Map<string, DistributedMapState> } {
  const maps = new Map<string, DistributedMapState>();
  const states: Record<string, unknown> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (!isDistributedMap(state)) {
      states[name] = state;
      continue;
    }
    const fields = state as Record<string, unknown>;
    maps.set(name, state as DistributedMapState);
    // Not the library's 60 s default for a Task.
    const task: Record<string, unknown> = {
      Type: "Task",
      Resource: LOCAL_DISTRIBUTED_MAP,
      TimeoutSeconds: MAP_TIMEOUT_SECONDS,
    };
    for (const field of TASK_FIELDS) if (field in fields) task[field] = fields[field];
    states[name] = task;
  }
  return { definition: { ...definition, States: states }, maps };
}

/** A failure Step Functions names (`States.ItemReaderFailed`, …). */
export function statesError(name: string, message: string): Error {
  const failure = new Error(message);
  failure.name = name;
  return failure;
}

/**
 * A reference path as the synthesized definitions write them: `$`, `$.a.b`, `$$.Map.Item.Value.x`.
 * Anything richer (filters, brackets, intrinsic functions) is refused rather than guessed.
 */
export function readPath(path: string, input: unknown, context: unknown): unknown {
  const root = path.startsWith("$$") ? context : input;
  const rest = path.startsWith("$$") ? path.slice(2) : path.slice(1);
  if (!path.startsWith("$") || (rest !== "" && !/^(\.[A-Za-z0-9_-]+)+$/.test(rest))) {
    throw statesError("States.Runtime", `Local mode cannot evaluate the path ${JSON.stringify(path)}.`);
  }
  let value: unknown = root;
  for (const field of rest.split(".").slice(1)) {
    if (value === null || typeof value !== "object" || !(field in value)) {
      throw statesError("States.Runtime", `The JSONPath ${path} could not be found in the input.`);
    }
    value = (value as Record<string, unknown>)[field];
  }
  return value;
}

/** A payload template (`"key.$": path` fields resolved, others kept), as Parameters and ItemSelector. */
export function applyTemplate(template: Json, input: unknown, context: unknown): unknown {
  if (Array.isArray(template)) return template.map((item) => applyTemplate(item, input, context));
  if (template === null || typeof template !== "object") return template;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith(".$")) {
      if (typeof value !== "string" || !value.startsWith("$")) {
        throw statesError("States.Runtime", `Local mode cannot evaluate ${key}: ${JSON.stringify(value)}.`);
      }
      out[key.slice(0, -2)] = readPath(value, input, context);
    } else {
      out[key] = applyTemplate(value, input, context);
    }
  }
  return out;
}

/** One child execution as the caller ran it. */
export interface ChildRun {
  name: string;
  executionArn: string;
  status: "SUCCEEDED" | "FAILED";
  output?: unknown;
  error?: string;
  cause?: string;
  startDate: string;
  stopDate: string;
}

export interface MapRunDeps {
  /** The local bucket: ItemReader and ResultWriter must name it. */
  store: ObjectStore;
  region: string;
  account: string;
  /** The parent execution's context object (`$$`), without `Map`. */
  context: Record<string, unknown>;
  /** The parent's state machine ARN. */
  stateMachineArn: string;
  /** Run one child execution of the ItemProcessor's definition. */
  runChild(input: unknown, name: string, executionArn: string): Promise<ChildRun>;
}

export interface MapRunOutcome {
  mapRunArn: string;
  output: unknown;
  children: ChildRun[];
}

async function readItems(state: DistributedMapState, input: unknown, deps: MapRunDeps): Promise<unknown[]> {
  const reader = state.ItemReader;
  if (!reader) {
    const items = readPath(state.ItemsPath ?? "$", input, deps.context);
    if (!Array.isArray(items)) throw statesError("States.Runtime", "The Map's items are not an array.");
    return items;
  }
  if (reader.Resource !== "arn:aws:states:::s3:getObject") {
    throw statesError(
      "States.ItemReaderFailed",
      `Local mode reads items with s3:getObject only, not ${reader.Resource}.`,
    );
  }
  const { Bucket, Key } = applyTemplate(reader.Parameters ?? {}, input, deps.context) as {
    Bucket?: string;
    Key?: string;
  };
  if (Bucket !== deps.store.bucket || typeof Key !== "string") {
    throw statesError(
      "States.ItemReaderFailed",
      `The ItemReader names s3://${Bucket}/${Key}; local mode reads the local bucket ${deps.store.bucket}.`,
    );
  }
  const bytes = await deps.store.get(Key);
  if (!bytes)
    throw statesError(
      "States.ItemReaderFailed",
      `The ItemReader's object s3://${Bucket}/${Key} does not exist.`,
    );
  const text = new TextDecoder().decode(bytes);
  const type = reader.ReaderConfig?.InputType ?? "JSON";
  let items: unknown[];
  try {
    if (type === "JSON") items = JSON.parse(text) as unknown[];
    else if (type === "JSONL")
      items = text
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as unknown);
    else throw statesError("States.ItemReaderFailed", `Local mode reads JSON and JSONL items, not ${type}.`);
  } catch (error) {
    if ((error as Error).name === "States.ItemReaderFailed") throw error;
    throw statesError(
      "States.ItemReaderFailed",
      `s3://${Bucket}/${Key} is not ${type}: ${(error as Error).message}`,
    );
  }
  if (!Array.isArray(items))
    throw statesError("States.ItemReaderFailed", `s3://${Bucket}/${Key} holds no JSON array.`);
  const max = reader.ReaderConfig?.MaxItems;
  return max ? items.slice(0, max) : items;
}

/** Each child as ResultWriter writes it (Transformation NONE): metadata, input and output as JSON text. */
function resultEntry(child: ChildRun, input: unknown, stateMachineArn: string): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    ExecutionArn: child.executionArn,
    Input: JSON.stringify(input),
    InputDetails: { Included: true },
    Name: child.name,
  };
  if (child.status === "SUCCEEDED") {
    entry.Output = JSON.stringify(child.output ?? null);
    entry.OutputDetails = { Included: true };
  } else {
    entry.Error = child.error ?? "States.Runtime";
    entry.Cause = child.cause ?? "";
  }
  return {
    ...entry,
    RedriveCount: 0,
    RedriveStatus: child.status === "SUCCEEDED" ? "NOT_REDRIVABLE" : "REDRIVABLE_BY_MAP_RUN",
    StartDate: child.startDate,
    StateMachineArn: stateMachineArn,
    Status: child.status,
    StopDate: child.stopDate,
  };
}

async function writeResults(
  state: DistributedMapState,
  input: unknown,
  deps: MapRunDeps,
  run: { mapRunArn: string; id: string; childArn: string },
  entries: Array<{ child: ChildRun; input: unknown }>,
): Promise<{ Bucket: string; Key: string }> {
  const writer = state.ResultWriter ?? {};
  const config = writer.WriterConfig;
  if ((config?.Transformation ?? "NONE") !== "NONE" || (config?.OutputType ?? "JSON") !== "JSON") {
    throw statesError(
      "States.ResultWriterFailed",
      "Local mode writes results as ResultWriter's default (NONE, JSON).",
    );
  }
  if (writer.Resource !== "arn:aws:states:::s3:putObject") {
    throw statesError(
      "States.ResultWriterFailed",
      `Local mode writes results with s3:putObject only, not ${writer.Resource}.`,
    );
  }
  const { Bucket, Prefix } = applyTemplate(writer.Parameters ?? {}, input, deps.context) as {
    Bucket?: string;
    Prefix?: string;
  };
  if (Bucket !== deps.store.bucket) {
    throw statesError(
      "States.ResultWriterFailed",
      `The ResultWriter names bucket ${Bucket}; local mode writes to the local bucket ${deps.store.bucket}.`,
    );
  }
  const folder = `${Prefix ? `${Prefix.replace(/\/+$/, "")}/` : ""}${run.id}/`;
  const files: Record<"FAILED" | "PENDING" | "SUCCEEDED", Array<{ Key: string; Size: number }>> = {
    FAILED: [],
    PENDING: [],
    SUCCEEDED: [],
  };
  for (const status of ["SUCCEEDED", "FAILED"] as const) {
    const chosen = entries.filter(({ child }) => child.status === status);
    if (chosen.length === 0) continue;
    const key = `${folder}${status}_0.json`;
    const body = JSON.stringify(
      chosen.map(({ child, input: item }) => resultEntry(child, item, run.childArn)),
    );
    await deps.store.put(key, body, { contentType: "application/json" });
    files[status].push({ Key: key, Size: Buffer.byteLength(body) });
  }
  const manifestKey = `${folder}manifest.json`;
  await deps.store.put(
    manifestKey,
    JSON.stringify({ DestinationBucket: Bucket, MapRunArn: run.mapRunArn, ResultFiles: files }),
    { contentType: "application/json" },
  );
  return { Bucket, Key: manifestKey };
}

/** Run one Distributed Map state on its (InputPath-selected) input. */
export async function runDistributedMap(
  stateName: string,
  state: DistributedMapState,
  input: unknown,
  deps: MapRunDeps,
): Promise<MapRunOutcome> {
  if (state.ItemBatcher !== undefined) {
    throw statesError("States.Runtime", "Local mode does not batch Distributed Map items (ItemBatcher).");
  }
  const items = await readItems(state, input, deps);
  const id = randomUUID();
  const stateMachineName = deps.stateMachineArn.split(":").at(-1) ?? "stateMachine";
  const label = state.Label ?? stateName;
  const mapRunArn = `arn:aws:states:${deps.region}:${deps.account}:mapRun:${stateMachineName}/${label}:${id}`;
  const childArn = `${deps.stateMachineArn}/${label}`;
  const inputs = items.map((value, index) =>
    state.ItemSelector
      ? applyTemplate(state.ItemSelector, input, {
          ...deps.context,
          Map: { Item: { Index: index, Value: value } },
        })
      : value,
  );

  const children: ChildRun[] = new Array(inputs.length);
  const limit = state.MaxConcurrency && state.MaxConcurrency > 0 ? state.MaxConcurrency : 10_000;
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const index = next++;
      const name = randomUUID();
      const executionArn = `arn:aws:states:${deps.region}:${deps.account}:execution:${stateMachineName}/${label}:${name}`;
      children[index] = await deps.runChild(inputs[index], name, executionArn);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, worker));

  const entries = children.map((child, index) => ({ child, input: inputs[index] }));
  const output = state.ResultWriter
    ? {
        MapRunArn: mapRunArn,
        ResultWriterDetails: await writeResults(state, input, deps, { mapRunArn, id, childArn }, entries),
      }
    : children.map((child) => child.output ?? null);

  // Each threshold given counts on its own; with neither, no failure is tolerated.
  const failed = children.filter((child) => child.status === "FAILED").length;
  const { ToleratedFailureCount: count, ToleratedFailurePercentage: percent } = state;
  const exceeded =
    count === undefined && percent === undefined
      ? failed > 0
      : (count !== undefined && failed > count) ||
        (percent !== undefined && children.length > 0 && (failed / children.length) * 100 > percent);
  if (exceeded) {
    throw statesError(
      "States.ExceedToleratedFailureThreshold",
      `The Map run ${mapRunArn} failed: ${failed} of ${children.length} child executions failed, more than tolerated.`,
    );
  }
  return { mapRunArn, output, children };
}
