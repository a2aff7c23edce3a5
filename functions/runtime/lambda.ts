// functions/runtime/: the Lambda boundary: handlers, the runtime built from the environment, the logger
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import type * as z from "zod";
import { ConfigurationError, describeError } from "../errors";
import { createLogger, type InvocationKeys, powertools, scopedLog } from "./log";
import { createRuntime, type Runtime, readRuntimeConfig } from "./runtime";

/** What a handler body gets besides its parsed input. */
export interface Invocation {
  runtime: Runtime;
  /** Milliseconds left before the Lambda times out. */
  remainingMs: () => number;
}

export type HandlerBody<I, O> = (input: I, invocation: Invocation) => Promise<O>;

/** Turn a schema failure into a configuration error that names each bad field. */
export function parseInput<T>(schema: z.ZodType<T>, event: unknown, what: string): T {
  const parsed = schema.safeParse(event);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 8)
    .map((issue) => `${issue.path.join(".") || "(input)"}: ${issue.message}`);
  throw new ConfigurationError(`Invalid ${what} input: ${problems.join("; ")}.`);
}

let defaultRuntime: Runtime | undefined;

/** Built on the first invocation of a cold Lambda, from its environment; reused while warm. */
function lambdaRuntime(): Runtime {
  defaultRuntime ??= createRuntime(readRuntimeConfig(), { log: createLogger(powertools) });
  return defaultRuntime;
}

/**
 * One Lambda entry point: middy with the Powertools logger's Lambda context, the input parsed by its
 * schema, the body run against the runtime with a log that carries the invocation's keys (`keys`: the
 * run id and the object or file, read from the parsed input). Errors keep their `name` (Step Functions
 * matches on it) and are logged once, without secrets.
 */
export function defineHandler<I, O>(
  what: string,
  schema: z.ZodType<I>,
  body: HandlerBody<I, O>,
  keys: (input: I) => InvocationKeys = () => ({}),
) {
  const run = async (
    event: unknown,
    context: Pick<Context, "getRemainingTimeInMillis">,
    runtime: Runtime,
  ) => {
    let log = runtime.log;
    try {
      const input = parseInput(schema, event, what);
      log = scopedLog(runtime.log, keys(input));
      const remainingMs = () => context.getRemainingTimeInMillis();
      return await body(input, { runtime: { ...runtime, log }, remainingMs });
    } catch (error) {
      log.error(`${what} failed`, { error: describeError(error) });
      throw error;
    }
  };
  const handler = middy<unknown, O>()
    .use(injectLambdaContext(powertools))
    .handler((event, context) => run(event, context, lambdaRuntime()));
  return {
    /** The deployed entry point. */
    handler,
    /** The same body against a given runtime (local mode and tests). */
    invoke: (event: unknown, runtime: Runtime, remainingMs: () => number = () => 900_000) =>
      run(event, { getRemainingTimeInMillis: remainingMs }, runtime) as Promise<O>,
  };
}
