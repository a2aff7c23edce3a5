// local/stepfunctions/: the synthesized state machines run in-process, with the stack's triggers
/**
 * Local mode's Step Functions: the sync and load state machines exactly as `cdk synth` defines them, run
 * in-process by aws-local-stepfunctions, with every Lambda task answered by the same handler module the
 * Lambda runs (`xHandler.invoke(payload, runtime, remainingMs)`). What a deployed execution would see is
 * kept: `{ FunctionName, Payload }` in and `{ Payload }` out for `lambda:invoke` tasks, JSON-serialized
 * payloads, errors matched by `name` with Lambda's `{ errorType, errorMessage }` cause, the 256 KiB
 * payload limit, the 25,000-event history of each execution (history.ts), the context object's execution
 * name, and refusal of a second execution with one name. A Distributed Map, which the library cannot
 * run, is carried out by distributed-map.ts: each item a child execution of its own, run here.
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
import {
  asLocalDefinition,
  type DistributedMapState,
  LOCAL_DISTRIBUTED_MAP,
  runDistributedMap,
} from "./distributed-map";
import { matchesEventPattern } from "./event-pattern";
import { HistoryCount, historyLimitError, MAX_HISTORY_EVENTS, stateKinds } from "./history";
import {
  LOCAL_ACCOUNT,
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
  /** MaxConcurrency of the sync's Distributed Map (default 4). */
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
  /** States in the order entered, inline Map iterations included (a Distributed Map's are its children's). */
  states: string[];
  events: LocalExecutionEvent[];
  /** The events AWS would have recorded in this execution's history (at most 25,000). */
  historyEvents: number;
  /** The child executions of its Distributed Map runs, in item order (their events are not kept). */
  children: LocalChildExecution[];
}

/** A Distributed Map's child execution, as the parent's report keeps it. */
export interface LocalChildExecution {
  name: string;
  executionArn: string;
  mapRunArn: string;
  status: "SUCCEEDED" | "FAILED";
  /** The item it ran (after ItemSelector). */
  input: unknown;
  error?: string;
  cause?: string;
  historyEvents: number;
  states: string[];
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
    /** The history has no room left: the execution fails with States.Runtime. */
    historyFull?: boolean;
  }

  /** Fail a task of an execution that must stop (a state past 256 KiB, a full history). */
  const checkGuard = async (guard: ExecutionGuard) => {
    // Let the event watcher see the events so far: after an oversized state or a full history nothing may run.
    await new Promise((resolve) => setImmediate(resolve));
    if (guard.exceeded) throw dataLimitExceeded(guard.exceeded.state, guard.exceeded.bytes);
    if (guard.historyFull) throw historyLimitError();
  };

  const overridesFor = (definition: StateMachineDefinition, guard: ExecutionGuard, scope: ExecutionScope) => {
    const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, map] of scope.maps) {
      taskResourceLocalHandlers[name] = async (input: unknown) => {
        await checkGuard(guard);
        // The child runs the processor's states; ProcessorConfig is the Map's, not part of a definition.
        const { StartAt, States } = map.ItemProcessor;
        const childDefinition: StateMachineDefinition = { StartAt, States };
        const ran: LocalChildExecution[] = [];
        const run = await runDistributedMap(name, map, input, {
          store: runtime.store,
          region,
          account: LOCAL_ACCOUNT,
          context: scope.context,
          stateMachineArn: scope.stateMachineArn,
          runChild: async (childInput, childName, executionArn) => {
            const startDate = new Date().toISOString();
            const child = await execute(
              {
                key: `${scope.key}/${name}`,
                definition: childDefinition,
                stateMachineArn: `${scope.stateMachineArn}/${map.Label ?? name}`,
                name: childName,
                executionArn,
                eventSource: `${scope.name}/${childName}`,
              },
              childInput,
            );
            ran.push({
              name: childName,
              executionArn,
              mapRunArn: "",
              status: child.status,
              input: childInput,
              ...(child.error === undefined ? {} : { error: child.error }),
              ...(child.cause === undefined ? {} : { cause: child.cause }),
              historyEvents: child.historyEvents,
              states: child.states,
            });
            return { ...child, startDate, stopDate: new Date().toISOString() };
          },
        });
        for (const child of ran) scope.children.push({ ...child, mapRunArn: run.mapRunArn });
        return run.output;
      };
    }
    const waitTimeOverrides: Record<string, number> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    for (const [name, state] of statesOf(definition)) {
      if (state.Type === "Task" && state.Resource === LOCAL_DISTRIBUTED_MAP) continue;
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
      await checkGuard(guard);
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

  /** One execution's identity, and what its Distributed Map tasks need. */
  interface ExecutionScope {
    /** Names the definition: one validated StateMachine per definition. */
    key: string;
    name: string;
    stateMachineArn: string;
    context: Record<string, unknown>;
    maps: Map<string, DistributedMapState>;
    children: LocalChildExecution[];
  }

  interface ExecutionSpec {
    key: string;
    definition: StateMachineDefinition;
    stateMachineArn: string;
    name: string;
    executionArn: string;
    /** The execution name `onEvent` reports (a child's is `<parent>/<child>`). */
    eventSource: string;
  }

  // Validated once per definition: the library validates on construction (100–300 ms) and runs any
  // number of executions from one instance.
  const machines = new Map<
    string,
    {
      machine: StateMachine;
      local: { definition: StateMachineDefinition; maps: Map<string, DistributedMapState> };
      kinds: ReturnType<typeof stateKinds>;
    }
  >();
  const machineFor = (spec: ExecutionSpec) => {
    let found = machines.get(spec.key);
    if (!found) {
      const local = asLocalDefinition(spec.definition);
      found = {
        machine: new StateMachine(local.definition as never),
        local,
        kinds: stateKinds(spec.definition),
      };
      machines.set(spec.key, found);
    }
    return found;
  };

  /** Run one execution (a started one, or a Distributed Map's child) to its end. */
  const execute = async (spec: ExecutionSpec, input: unknown): Promise<LocalExecution> => {
    const { machine, local, kinds: stateKindsByName } = machineFor(spec);
    const stateMachineName = spec.stateMachineArn.split(":").at(-1) ?? spec.key;
    const context = {
      Execution: { Id: spec.executionArn, Name: spec.name, RoleArn: `${spec.stateMachineArn}-role` },
      StateMachine: { Id: spec.stateMachineArn, Name: stateMachineName },
    };
    const guard: ExecutionGuard = {};
    const scope: ExecutionScope = {
      key: spec.key,
      name: spec.eventSource,
      stateMachineArn: spec.stateMachineArn,
      context: { ...context, Execution: { ...context.Execution, Input: input } },
      maps: local.maps,
      children: [],
    };
    const execution = machine.run(input as never, {
      overrides: overridesFor(local.definition, guard, scope) as never,
      context,
    });
    const events: LocalExecutionEvent[] = [];
    const history = new HistoryCount(stateKindsByName);
    // Step Functions fails an execution whose state output outgrows the limit (a Map's merged results,
    // say) or whose history is full; the library does not, so its events are watched and the execution
    // stopped there.
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
        options.onEvent?.(entry, spec.eventSource);
        const ended = history.add(event);
        if (!ended && history.full && !guard.historyFull && !guard.exceeded) {
          guard.historyFull = true;
          execution.abort();
        }
        if (event.type === "StateExited" && event.state && !guard.exceeded && !guard.historyFull) {
          const bytes = Buffer.byteLength(JSON.stringify(event.state.output ?? null));
          if (bytes > MAX_PAYLOAD_BYTES) {
            guard.exceeded = { state: event.state.name, bytes };
            execution.abort();
          }
        }
      }
    })();
    let outcome: Pick<LocalExecution, "status" | "output" | "error" | "cause">;
    try {
      outcome = { status: "SUCCEEDED", output: await execution.result };
    } catch (error) {
      if (error instanceof ExecutionError) {
        const failure = error.cause as Error;
        outcome = { status: "FAILED", error: failure.name, cause: failure.message };
      } else if (error instanceof ExecutionAbortedError && (guard.exceeded || guard.historyFull)) {
        outcome = { status: "FAILED" };
      } else {
        throw error;
      }
    }
    await collecting;
    let historyEvents = history.events;
    if (guard.exceeded) {
      const limit = dataLimitExceeded(guard.exceeded.state, guard.exceeded.bytes);
      outcome = { status: "FAILED", error: limit.name, cause: limit.message };
    } else if (guard.historyFull) {
      const limit = historyLimitError();
      outcome = { status: "FAILED", error: limit.name, cause: limit.message };
      // The failure is the history's last event.
      historyEvents = MAX_HISTORY_EVENTS;
    }
    const states = events
      .filter((event) => event.type === "StateEntered")
      .map((event) => event.state as string);
    return {
      name: spec.name,
      executionArn: spec.executionArn,
      events,
      ...outcome,
      states,
      historyEvents,
      children: scope.children,
    };
  };

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
    const executionArn = `${machine.arn.replace(":stateMachine:", ":execution:")}:${name}`;
    return execute(
      {
        key: kind,
        definition: machine.definition,
        stateMachineArn: machine.arn,
        name,
        executionArn,
        eventSource: name,
      },
      input,
    );
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
