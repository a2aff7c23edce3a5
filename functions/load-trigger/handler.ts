// functions/load-trigger/: the load trigger Lambda: start a load for a file landed under inbound/
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import middy from "@middy/core";
import * as z from "zod";
import { LOAD_TRIGGER_ENV } from "../contract";
import { Layout } from "../core/layout";
import { S3ObjectCreatedEvent } from "../core/load/load-request";
import type { Log } from "../core/ports";
import { ConfigurationError } from "../errors";
import { createLogger, powertools, scopedLog } from "../runtime/log";
import { loadExecutionName } from "./execution-name";

/** The trigger starts a load only for S3's own "Object Created" events; the rest is passed on as is. */
const ObjectCreatedEvent = S3ObjectCreatedEvent.extend({
  source: z.literal("aws.s3"),
  "detail-type": z.literal("Object Created"),
});

export type LoadTriggerResult =
  | { status: "started"; executionName: string; executionArn: string }
  | { status: "duplicate"; executionName: string };

export interface LoadTriggerDeps {
  sfn: SFNClient;
  stateMachineArn: string;
  layout: Layout;
  log: Log;
}

/**
 * Start the load state machine for one S3 event, named after the file version. A second delivery of the
 * same event finds the name taken: that is logged and answered as a duplicate, not retried.
 */
export function createLoadTrigger(deps: LoadTriggerDeps): (event: unknown) => Promise<LoadTriggerResult> {
  return async (event) => {
    const parsed = ObjectCreatedEvent.safeParse(event);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.join(".") || "(event)"}: ${issue.message}`,
      );
      throw new ConfigurationError(
        `The load trigger expects S3's EventBridge "Object Created" event: ${problems.slice(0, 5).join("; ")}.`,
      );
    }
    const { bucket, object } = parsed.data.detail;
    const version = object["version-id"] ?? object.etag;
    const executionName = loadExecutionName({ bucket: bucket.name, key: object.key, version }, deps.layout);
    const file = { bucket: bucket.name, key: object.key, version };
    const log = scopedLog(deps.log, { fileKey: object.key });
    try {
      const started = await deps.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: deps.stateMachineArn,
          name: executionName,
          input: JSON.stringify(event),
        }),
      );
      log.info("load started", { ...file, executionName, executionArn: started.executionArn });
      return { status: "started", executionName, executionArn: started.executionArn ?? "" };
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
      log.warn("load not started again: this file version already has an execution (duplicate event)", {
        ...file,
        executionName,
      });
      return { status: "duplicate", executionName };
    }
  };
}

let trigger: ((event: unknown) => Promise<LoadTriggerResult>) | undefined;

function lambdaTrigger(): (event: unknown) => Promise<LoadTriggerResult> {
  if (!trigger) {
    const stateMachineArn = process.env[LOAD_TRIGGER_ENV.stateMachineArn];
    if (!stateMachineArn) {
      throw new ConfigurationError(
        `The function's environment lacks ${LOAD_TRIGGER_ENV.stateMachineArn}: deploy it with the SaddleData CDK stack.`,
      );
    }
    trigger = createLoadTrigger({
      sfn: new SFNClient({}),
      stateMachineArn,
      layout: new Layout(process.env[LOAD_TRIGGER_ENV.prefix] ?? ""),
      log: createLogger(),
    });
  }
  return trigger;
}

export const handler = middy<unknown, LoadTriggerResult>()
  .use(injectLambdaContext(powertools))
  .handler((event) => lambdaTrigger()(event));
