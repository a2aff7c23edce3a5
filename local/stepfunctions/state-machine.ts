// local/stepfunctions/: the synthesized state machines run in-process, with the stack's triggers
/**
 * Local mode's Step Functions: the sync and load state machines exactly as `cdk synth` defines them, run
 * in-process by aws-local-stepfunctions, with every Lambda task answered by the same handler module the
 * Lambda runs (`xHandler.invoke(payload, runtime, remainingMs)`). What a deployed execution would see is
 * kept: `{ FunctionName, Payload }` in and `{ Payload }` out for `lambda:invoke` tasks, JSON-serialized
 * payloads, errors matched by `name` with Lambda's `{ errorType, errorMessage }` cause, the 256 KiB
 * payload limit, the context object's execution name, and refusal of a second execution with one name.
 */
import { randomUUID } from "node:crypto";
import { ExecutionAbortedError, ExecutionError, StateMachine } from "aws-local-stepfunctions";
import { discoverHandler } from "../../functions/discover/handler";
import { ConfigurationError, SaddleError } from "../../functions/errors";
import { extractHandler } from "../../functions/extract/handler";
import { lakeHandler } from "../../functions/lake/handler";
import { loadHandler } from "../../functions/load/handler";
import { loadExecutionName } from "../../functions/load-trigger/execution-name";
import type { Runtime } from "../../functions/runtime/runtime";
import type { ConnectorFunctionName } from "../../lib/connector-function.construct";
import { matchesEventPattern } from "./event-pattern";
import {
  type StateMachineDefinition,
  type SynthesizedStack,
  synthesizeLocalStack,
} from "./synthesized-stack";

/** A handler module's in-process entry point (see functions/runtime/lambda.ts). */
export interface LocalHandler {
  invoke(event: unknown, runtime: Runtime, remainingMs: () => number): Promise<unknown>;
}

export type LocalHandlers = Record<Exclude<ConnectorFunctionName, "load-trigger">, LocalHandler>;

export interface LocalRunnerOptions {
  runtime: Runtime;
  /** Region the placeholder ARNs name (default us-east-1). */
  region?: string;
  /** MaxConcurrency of the sync Map (default 4). */
  mapConcurrency?: number;
  /** Pause of every Wait state, in ms. Default: the duration the state asks for. */
  waitMs?: number;
  /** Pause before every retry, in ms. Default: the Retry's own intervals and back-off. */
  retryIntervalMs?: number;
  /**
   * What `remainingMs()` starts at in each invocation: one figure or per function. Default: the function's
   * configured timeout. A small budget forces extract and load to continue across invocations.
   */
  invocationBudgetMs?: number | Partial<Record<ConnectorFunctionName, number>>;
  /** Replace handler modules (default: discover, extract and load from functions/). */
  handlers?: Partial<LocalHandlers>;
  /** Each execution event, as it happens (progress reporting). */
  onEvent?: (event: LocalExecutionEvent, execution: string) => void;
}

export interface LocalExecutionEvent {
  type: string;
  timestamp: number;
  /** The state, for state events. */
  state?: string;
  /** The Map iteration, for events inside a Map. */
  index?: number;
  error?: string;
  cause?: string;
}

export interface LocalExecution {
  name: string;
  executionArn: string;
  status: "SUCCEEDED" | "FAILED";
  output?: unknown;
  error?: string;
  cause?: string;
  /** States in the order entered, Map iterations included. */
  states: string[];
  events: LocalExecutionEvent[];
}

export type LocalLoadTrigger =
  | { status: "started"; executionName: string; execution: LocalExecution }
  | { status: "duplicate"; executionName: string }
  | { status: "ignored" };

export interface LocalRunner {
  runSync(input?: unknown, options?: { name?: string }): Promise<LocalExecution>;
  runLoad(input: unknown, options?: { name?: string }): Promise<LocalExecution>;
  /**
   * What the deployed inbound rule and load trigger do with an S3 EventBridge event: ignore it unless the
   * rule's pattern matches, else start a load named after the file version, unless that name ran already.
   */
  triggerLoad(event: unknown): Promise<LocalLoadTrigger>;
  /** The definitions being run, with references resolved. */
  readonly definitions: { sync: StateMachineDefinition; load: StateMachineDefinition };
}

/** Step Functions refuses a second execution with a name used before. */
export class ExecutionAlreadyExistsError extends SaddleError {
  override readonly name = "ExecutionAlreadyExists";
}

/** Step Functions' limit for state input and output. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
const LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

interface TaskState {
  Type: "Task";
  Resource: string;
}

/** Every state of a definition by name, Map item processors included (names are unique machine-wide). */
function statesOf(definition: { States: Record<string, unknown> }): Map<string, Record<string, unknown>> {
  const found = new Map<string, Record<string, unknown>>();
  for (const [name, state] of Object.entries(definition.States)) {
    const fields = state as Record<string, unknown>;
    found.set(name, fields);
    const processor = (fields.ItemProcessor ?? fields.Iterator) as
      | { States: Record<string, unknown> }
      | undefined;
    if (processor) for (const [inner, innerState] of statesOf(processor)) found.set(inner, innerState);
  }
  return found;
}

/** A handler's error as Step Functions reports a Lambda function error: name kept, cause as Lambda's JSON. */
function lambdaError(error: unknown): Error {
  const errorType = error instanceof Error ? error.name : "Error";
  const errorMessage = error instanceof Error ? error.message : String(error);
  const failure = new Error(JSON.stringify({ errorType, errorMessage, trace: [] }));
  failure.name = errorType;
  return failure;
}

function dataLimitExceeded(state: string, bytes: number): Error {
  const failure = new Error(
    `The state/task '${state}' returned a result with a size exceeding the maximum number of characters service limit (${bytes} > ${MAX_PAYLOAD_BYTES} bytes).`,
  );
  failure.name = "States.DataLimitExceeded";
  // As in Step Functions, States.ALL does not catch it and it is not retried.
  Object.assign(failure, { isCatchable: false, isRetryable: false });
  return failure;
}

const DEFAULT_HANDLERS: LocalHandlers = {
  discover: discoverHandler,
  extract: extractHandler,
  lake: lakeHandler,
  load: loadHandler,
};

export async function createLocalRunner(options: LocalRunnerOptions): Promise<LocalRunner> {
  const { runtime } = options;
  const region = options.region ?? "us-east-1";
  const stack: SynthesizedStack = await synthesizeLocalStack({
    region,
    bucket: runtime.config.bucket,
    prefix: runtime.layout.prefix,
    tableName: runtime.config.table,
    mapConcurrency: options.mapConcurrency,
  });
  const handlerFor = (name: ConnectorFunctionName): LocalHandler => {
    if (name === "load-trigger") throw new Error("The load trigger runs as triggerLoad, not as a task.");
    return options.handlers?.[name] ?? DEFAULT_HANDLERS[name];
  };
  const budgetOf = (name: ConnectorFunctionName, timeoutMs: number): number => {
    const budget = options.invocationBudgetMs;
    if (typeof budget === "number") return budget;
    return budget?.[name] ?? timeoutMs;
  };

  /** What one execution's tasks check before they run. */
  interface ExecutionGuard {
    exceeded?: { state: string; bytes: number };
  }

  const overridesFor = (definition: StateMachineDefinition, guard: ExecutionGuard) => {
    const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    const waitTimeOverrides: Record<string, number> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    for (const [name, state] of statesOf(definition)) {
      if (state.Type === "Task")
        taskResourceLocalHandlers[name] = taskHandler(name, state as unknown as TaskState, guard);
      if (state.Type === "Wait" && options.waitMs !== undefined) waitTimeOverrides[name] = options.waitMs;
      if (Array.isArray(state.Retry) && options.retryIntervalMs !== undefined) {
        retryIntervalOverrides[name] = options.retryIntervalMs;
      }
    }
    return { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides };
  };

  const taskHandler = (stateName: string, state: TaskState, guard: ExecutionGuard) => {
    const viaInvoke = state.Resource === LAMBDA_INVOKE;
    if (!viaInvoke && !stack.functions.has(state.Resource)) {
      throw new Error(
        `Local mode cannot run task ${stateName}: resource ${state.Resource} is not one of the stack's functions.`,
      );
    }
    return async (input: unknown): Promise<unknown> => {
      // Let the event watcher see the state outputs so far: after an oversized one nothing may run.
      await new Promise((resolve) => setImmediate(resolve));
      if (guard.exceeded) throw dataLimitExceeded(guard.exceeded.state, guard.exceeded.bytes);
      const { FunctionName, Payload } = viaInvoke
        ? (input as { FunctionName: string; Payload: unknown })
        : { FunctionName: state.Resource, Payload: input };
      const fn = stack.functions.get(FunctionName);
      if (!fn)
        throw new Error(`Task ${stateName} names function ${FunctionName}, which the stack does not define.`);
      const handler = handlerFor(fn.name);
      const deadline = Date.now() + budgetOf(fn.name, fn.timeoutMs);
      let result: unknown;
      try {
        // The payload crosses a JSON boundary in AWS: no shared references, no undefined fields.
        result = await handler.invoke(
          JSON.parse(JSON.stringify(Payload ?? null)),
          runtime,
          () => deadline - Date.now(),
        );
      } catch (error) {
        throw lambdaError(error);
      }
      const text = JSON.stringify(result ?? null);
      const bytes = Buffer.byteLength(text);
      if (bytes > MAX_PAYLOAD_BYTES) throw dataLimitExceeded(stateName, bytes);
      const payload = JSON.parse(text) as unknown;
      return viaInvoke ? { ExecutedVersion: "$LATEST", Payload: payload, StatusCode: 200 } : payload;
    };
  };

  const kinds = {
    sync: {
      definition: stack.sync,
      arn: stack.syncStateMachineArn,
      names: new Set<string>(),
    },
    load: {
      definition: stack.load,
      arn: stack.loadStateMachineArn,
      names: new Set<string>(),
    },
  };

  const machines = new Map<keyof typeof kinds, StateMachine>();
  const run = async (kind: keyof typeof kinds, input: unknown, name: string): Promise<LocalExecution> => {
    const machine = kinds[kind];
    if (!EXECUTION_NAME.test(name)) {
      throw new ConfigurationError(
        `Invalid execution name ${JSON.stringify(name)}: 1 to 80 of A-Z a-z 0-9 - _.`,
      );
    }
    if (machine.names.has(name)) {
      throw new ExecutionAlreadyExistsError(`Execution ${name} of the ${kind} state machine already exists.`);
    }
    machine.names.add(name);
    const stateMachineName = machine.arn.split(":").at(-1) ?? kind;
    const executionArn = `${machine.arn.replace(":stateMachine:", ":execution:")}:${name}`;
    const guard: ExecutionGuard = {};
    // Validated once per definition: the library validates on construction (100–300 ms) and runs any
    // number of executions from one instance.
    let stateMachine = machines.get(kind);
    if (!stateMachine) {
      stateMachine = new StateMachine(machine.definition as never);
      machines.set(kind, stateMachine);
    }
    const execution = stateMachine.run(input as never, {
      overrides: overridesFor(machine.definition, guard) as never,
      context: {
        Execution: { Id: executionArn, Name: name, RoleArn: `${machine.arn}-role` },
        StateMachine: { Id: machine.arn, Name: stateMachineName },
      },
    });
    const events: LocalExecutionEvent[] = [];
    // Step Functions fails an execution whose state output outgrows the limit (a Map's merged results,
    // say); the library does not, so its events are watched and the execution stopped there.
    const collecting = (async () => {
      for await (const raw of execution.eventLogs) {
        const event = raw as {
          type: string;
          timestamp: number;
          state?: { name: string; output?: unknown };
          index?: number;
          Error?: string;
          Cause?: unknown;
        };
        const entry: LocalExecutionEvent = { type: event.type, timestamp: event.timestamp };
        if (event.state) entry.state = event.state.name;
        if (event.index !== undefined) entry.index = event.index;
        if (event.Error !== undefined) entry.error = event.Error;
        if (event.Cause !== undefined)
          entry.cause = typeof event.Cause === "string" ? event.Cause : JSON.stringify(event.Cause);
        events.push(entry);
        options.onEvent?.(entry, name);
        if (event.type === "StateExited" && event.state && !guard.exceeded) {
          const bytes = Buffer.byteLength(JSON.stringify(event.state.output ?? null));
          if (bytes > MAX_PAYLOAD_BYTES) {
            guard.exceeded = { state: event.state.name, bytes };
            execution.abort();
          }
        }
      }
    })();
    const base = { name, executionArn, events };
    let outcome: Omit<LocalExecution, "states" | "events" | "name" | "executionArn">;
    try {
      outcome = { status: "SUCCEEDED", output: await execution.result };
    } catch (error) {
      if (error instanceof ExecutionError) {
        const failure = error.cause as Error;
        outcome = { status: "FAILED", error: failure.name, cause: failure.message };
      } else if (error instanceof ExecutionAbortedError && guard.exceeded) {
        outcome = { status: "FAILED" };
      } else {
        throw error;
      }
    }
    await collecting;
    if (guard.exceeded) {
      const limit = dataLimitExceeded(guard.exceeded.state, guard.exceeded.bytes);
      outcome = { status: "FAILED", error: limit.name, cause: limit.message };
    }
    const states = events
      .filter((event) => event.type === "StateEntered")
      .map((event) => event.state as string);
    return { ...base, ...outcome, states };
  };

  return {
    definitions: { sync: stack.sync, load: stack.load },
    runSync: (input = {}, { name } = {}) => run("sync", input, name ?? randomUUID()),
    runLoad: (input, { name } = {}) => run("load", input, name ?? randomUUID()),
    async triggerLoad(event) {
      if (!matchesEventPattern(stack.inboundPattern, event)) return { status: "ignored" };
      const { detail } = event as {
        detail: { bucket: { name: string }; object: { key: string; etag?: string; "version-id"?: string } };
      };
      const executionName = loadExecutionName(
        {
          bucket: detail.bucket.name,
          key: detail.object.key,
          version: detail.object["version-id"] ?? detail.object.etag,
        },
        runtime.layout,
      );
      if (kinds.load.names.has(executionName)) return { status: "duplicate", executionName };
      return { status: "started", executionName, execution: await run("load", event, executionName) };
    },
  };
}
