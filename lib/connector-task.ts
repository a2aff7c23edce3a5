/**
 * The Lambda tasks of both state machines: one LambdaInvoke per handler action, with the retry policy
 * they share. Errors are matched by the `name` the handlers throw (functions/errors.ts);
 * LambdaInvoke itself adds the retry for Lambda's service errors (ServiceException, AWSLambdaException,
 * SdkClientException, ClientExecutionTimeoutException).
 */
import { Duration } from "aws-cdk-lib";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { RETRYABLE_ERROR_NAMES } from "../functions/errors";
import type { ConnectorFunction } from "./connector-function.construct";

type RetryableName = (typeof RETRYABLE_ERROR_NAMES)[number];

const TRANSIENT: RetryableName = "TransientError";
const RATE_LIMIT: RetryableName = "RateLimitError";

export function addConnectorRetries(task: sfn.TaskStateBase): void {
  task.addRetry({ errors: [TRANSIENT], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 5 });
  // A Salesforce limit recovers in minutes, not seconds.
  task.addRetry({ errors: [RATE_LIMIT], interval: Duration.seconds(60), backoffRate: 2, maxAttempts: 3 });
  // Lambda concurrency throttling: not in LambdaInvoke's own list, and the next attempt usually succeeds.
  task.addRetry({
    errors: ["Lambda.TooManyRequestsException"],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 6,
  });
}

export interface ConnectorTaskProps {
  payload: Record<string, unknown>;
  /**
   * Where the handler's answer goes. Absent: it replaces the state (`outputPath: "$.Payload"`). Given: the
   * task returns the bare payload (no invoke envelope), or the fields `keep` selects, and it is placed at
   * this path of the input.
   */
  resultPath?: string;
  /**
   * The fields of the handler's answer the state keeps (field → path in the answer), when the answer
   * carries more than the state machine needs: a Map iteration's output stays in the execution's
   * 256 KiB state. Every path must always be in the answer: a missing one fails the execution.
   */
  keep?: Record<string, string>;
}

/**
 * A LambdaInvoke of one handler action with the shared retries. The task times out a minute after the
 * function would, so a Lambda timeout surfaces as the function's own error first.
 */
export function connectorTask(
  scope: Parameters<typeof tasks.LambdaInvoke.jsonPath>[0],
  name: string,
  fn: ConnectorFunction,
  props: ConnectorTaskProps,
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: fn,
    payload: sfn.TaskInput.fromObject(props.payload),
    ...(props.keep !== undefined
      ? {
          resultSelector: Object.fromEntries(
            Object.entries(props.keep).map(([field, path]) => [
              field,
              sfn.JsonPath.objectAt(`$.Payload.${path}`),
            ]),
          ),
          ...(props.resultPath === undefined ? {} : { resultPath: props.resultPath }),
        }
      : props.resultPath === undefined
        ? { outputPath: "$.Payload" }
        : { payloadResponseOnly: true, resultPath: props.resultPath }),
    taskTimeout: sfn.Timeout.duration(
      fn.timeout ? fn.timeout.plus(Duration.minutes(1)) : Duration.minutes(16),
    ),
  });
  addConnectorRetries(task);
  return task;
}
