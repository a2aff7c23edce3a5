/**
 * What local mode takes from the CDK stack: the two state machine definitions exactly as `cdk synth`
 * writes them, the inbound file rule's event pattern, and which Lambda each function ARN names. The
 * stack is synthesized in-process without bundling, and the CloudFormation references in it are
 * resolved to placeholder ARNs and the local resource names.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CfnElement } from "aws-cdk-lib";
import { ConfigurationError } from "../../functions/errors";
import { createConnectorApp } from "../../lib/app";
import { ConnectionConfigSchema } from "../../lib/config";
import type { ConnectorStack } from "../../lib/connector.stack";
import type { ConnectorFunctionName } from "../../lib/connector-function.construct";

export const LOCAL_ACCOUNT = "000000000000";

/** An Amazon States Language definition (JSON). */
export type StateMachineDefinition = Record<string, unknown> & {
  StartAt: string;
  States: Record<string, unknown>;
};

export interface LocalFunction {
  name: ConnectorFunctionName;
  arn: string;
  /** The function's configured timeout. */
  timeoutMs: number;
}

export interface SynthesizedStack {
  sync: StateMachineDefinition;
  load: StateMachineDefinition;
  /** The inbound file rule's EventBridge pattern, with the bucket name resolved. */
  inboundPattern: Record<string, unknown>;
  /** Functions by the ARN the definitions name. */
  functions: Map<string, LocalFunction>;
  syncStateMachineArn: string;
  loadStateMachineArn: string;
}

export interface SynthesizeOptions {
  region: string;
  bucket: string;
  prefix: string;
  tableName: string;
  mapConcurrency?: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Synthesizing takes a second or two; a process running many executions does it once per shape. */
const cache = new Map<string, Promise<SynthesizedStack>>();

export function synthesizeLocalStack(options: SynthesizeOptions): Promise<SynthesizedStack> {
  const key = JSON.stringify(options);
  let pending = cache.get(key);
  if (!pending) {
    pending = synthesize(options);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

async function synthesize(options: SynthesizeOptions): Promise<SynthesizedStack> {
  const connection = ConnectionConfigSchema.parse({
    name: "local",
    prefix: options.prefix,
    mapConcurrency: options.mapConcurrency ?? 4,
  });
  connection.prefix = options.prefix;
  const outdir = await mkdtemp(join(tmpdir(), "saddledata-synth-"));
  try {
    const { app, stacks } = createConnectorApp(
      { connections: [connection] },
      {
        nag: false,
        outdir,
        // Local mode needs the definitions, not a deployable template: no bundling, no template linting.
        builtinCloudFormationValidation: false,
        context: { "aws:cdk:bundling-stacks": [] },
      },
    );
    const stack = stacks[0] as ConnectorStack;
    const template = app.synth().getStackByName(stack.stackName).template as {
      Resources: Record<string, { Type: string; Properties?: Record<string, Json> }>;
    };
    const logicalId = (element: unknown) => stack.getLogicalId(element as CfnElement);

    const functions = new Map<string, LocalFunction>();
    const references = new Map<string, { ref: string; arn: string }>();
    for (const fn of Object.values(stack.functions)) {
      const name = fn.connectorFunction;
      const arn = `arn:aws:lambda:${options.region}:${LOCAL_ACCOUNT}:function:saddledata-local-${name}`;
      functions.set(arn, { name, arn, timeoutMs: (fn.timeout?.toSeconds() ?? 3) * 1000 });
      references.set(logicalId(fn.node.defaultChild), { ref: `saddledata-local-${name}`, arn });
    }
    const syncArn = `arn:aws:states:${options.region}:${LOCAL_ACCOUNT}:stateMachine:saddledata-local-sync`;
    const loadArn = `arn:aws:states:${options.region}:${LOCAL_ACCOUNT}:stateMachine:saddledata-local-load`;
    references.set(logicalId(stack.syncStateMachine.node.defaultChild), { ref: syncArn, arn: syncArn });
    references.set(logicalId(stack.loadStateMachine.node.defaultChild), { ref: loadArn, arn: loadArn });
    references.set(logicalId(stack.bucket.node.defaultChild), {
      ref: options.bucket,
      arn: `arn:aws:s3:::${options.bucket}`,
    });
    references.set(logicalId(stack.table.node.defaultChild), {
      ref: options.tableName,
      arn: `arn:aws:dynamodb:${options.region}:${LOCAL_ACCOUNT}:table/${options.tableName}`,
    });
    const pseudo: Record<string, string> = {
      "AWS::Partition": "aws",
      "AWS::Region": options.region,
      "AWS::AccountId": LOCAL_ACCOUNT,
      "AWS::URLSuffix": "amazonaws.com",
    };
    const resolve = (value: Json): Json => resolveTokens(value, pseudo, references);

    const definitionOf = (stateMachine: unknown): StateMachineDefinition => {
      const resource = template.Resources[logicalId(stateMachine)];
      const text = resolve(resource?.Properties?.DefinitionString ?? null);
      if (typeof text !== "string")
        throw new ConfigurationError("The synthesized state machine has no DefinitionString.");
      return JSON.parse(text) as StateMachineDefinition;
    };
    const rule = Object.values(template.Resources).find((resource) => resource.Type === "AWS::Events::Rule");
    const pattern = resolve(rule?.Properties?.EventPattern ?? null);
    if (!pattern || typeof pattern !== "object" || Array.isArray(pattern)) {
      throw new ConfigurationError("The synthesized stack has no inbound file rule.");
    }
    return {
      sync: definitionOf(stack.syncStateMachine.node.defaultChild),
      load: definitionOf(stack.loadStateMachine.node.defaultChild),
      inboundPattern: pattern,
      functions,
      syncStateMachineArn: syncArn,
      loadStateMachineArn: loadArn,
    };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/** Resolve the intrinsic functions CDK writes into definitions and patterns; anything else is a bug here. */
export function resolveTokens(
  value: Json,
  pseudo: Record<string, string>,
  references: Map<string, { ref: string; arn: string }>,
): Json {
  if (Array.isArray(value)) return value.map((item) => resolveTokens(item, pseudo, references));
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === "Ref") {
    const name = value.Ref as string;
    const resolved = pseudo[name] ?? references.get(name)?.ref;
    if (resolved === undefined) throw new ConfigurationError(`Local mode cannot resolve { Ref: ${name} }.`);
    return resolved;
  }
  if (keys.length === 1 && keys[0] === "Fn::GetAtt") {
    const [name, attribute] = value["Fn::GetAtt"] as [string, string];
    const target = references.get(name);
    if (!target || attribute !== "Arn") {
      throw new ConfigurationError(`Local mode cannot resolve { Fn::GetAtt: [${name}, ${attribute}] }.`);
    }
    return target.arn;
  }
  if (keys.length === 1 && keys[0] === "Fn::Join") {
    const [separator, parts] = value["Fn::Join"] as [string, Json[]];
    return parts.map((part) => String(resolveTokens(part, pseudo, references))).join(separator);
  }
  if (keys.some((key) => key.startsWith("Fn::"))) {
    throw new ConfigurationError(`Local mode cannot resolve ${keys.join(", ")}.`);
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, resolveTokens(item, pseudo, references)]),
  );
}
