import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { type SynthesizedConnector, synthConnector } from "../lib/synth";

/**
 * What the CDK tests (test/lib) leave out of least privilege: the schedule's role, who may invoke a
 * function from outside the stack, the dead-letter queue, who may read the secret, and a sweep over
 * every policy for wildcards. The functions' own grants, the buckets and the table are asserted in
 * test/lib/connector.stack.test.ts.
 */

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Actions that do not support resource-level permissions, so `Resource: "*"` is all they can have. */
const RESOURCELESS_ACTIONS = new Set([
  "logs:CreateLogDelivery",
  "logs:GetLogDelivery",
  "logs:UpdateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:DescribeResourcePolicies",
  "logs:DescribeLogGroups",
]);

describe("least privilege beyond the functions' own grants", () => {
  let synth: SynthesizedConnector;
  let resources: Resources;
  const id = (construct: { node: { defaultChild?: unknown } }) =>
    synth.stack.getLogicalId(construct.node.defaultChild as never);

  beforeAll(() => {
    synth = synthConnector();
    resources = synth.template.toJSON().Resources as Resources;
  });

  const policiesOfRole = (roleId: string): Statement[] =>
    Object.values(resources)
      .filter((resource) => resource.Type === "AWS::IAM::Policy")
      .filter((resource) => JSON.stringify(resource.Properties.Roles).includes(`"${roleId}"`))
      .flatMap((resource) => (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

  it("lets the schedule do one thing: start the sync state machine, assumed only by EventBridge Scheduler", () => {
    // Prepare
    const schedule = Object.values(resources).find(
      (resource) => resource.Type === "AWS::Scheduler::Schedule",
    );
    if (!schedule) throw new Error("no schedule in the stack");
    const target = schedule.Properties.Target as { RoleArn: { "Fn::GetAtt": [string, string] } };
    const roleId = target.RoleArn["Fn::GetAtt"][0];
    const role = resources[roleId];

    // Assess
    expect(policiesOfRole(roleId)).toEqual([
      {
        Action: "states:StartExecution",
        Effect: "Allow",
        Resource: { Ref: id(synth.stack.syncStateMachine) },
      },
    ]);
    if (!role) throw new Error(`no role ${roleId}`);
    const trust = (role.Properties.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0]).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "scheduler.amazonaws.com" },
      Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
    });
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it("lets nothing outside the stack invoke a function but the inbound rule, and it only the load trigger", () => {
    // Prepare
    const permissions = Object.values(resources).filter(
      (resource) => resource.Type === "AWS::Lambda::Permission",
    );
    const rule = Object.entries(resources).find(([, resource]) => resource.Type === "AWS::Events::Rule")?.[0];

    // Assess
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.Properties).toEqual({
      Action: "lambda:InvokeFunction",
      FunctionName: { "Fn::GetAtt": [id(synth.stack.functions.loadTrigger), "Arn"] },
      Principal: "events.amazonaws.com",
      SourceArn: { "Fn::GetAtt": [rule, "Arn"] },
    });
  });

  it("keeps the inbound events' dead-letter queue encrypted, TLS-only, and writable only by the inbound rule", () => {
    // Prepare
    const queues = Object.entries(resources).filter(([, resource]) => resource.Type === "AWS::SQS::Queue");
    const rule = Object.entries(resources).find(([, resource]) => resource.Type === "AWS::Events::Rule")?.[0];

    // Assess
    expect(queues).toHaveLength(1);
    const [queueId, queue] = queues[0] as [string, Resources[string]];
    expect(
      queue.Properties.SqsManagedSseEnabled === true || queue.Properties.KmsMasterKeyId !== undefined,
    ).toBe(true);
    synth.template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: "Deny",
            Action: "sqs:*",
            Principal: { AWS: "*" },
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
          Match.objectLike({
            Effect: "Allow",
            Action: "sqs:SendMessage",
            Principal: { Service: "events.amazonaws.com" },
            Condition: { ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": [rule, "Arn"] } } },
          }),
        ],
      },
    });
  });

  it("lets only discover, extract and load read the credentials secret, which has no resource policy", () => {
    // Prepare
    const secretId = Object.entries(resources).find(
      ([, resource]) => resource.Type === "AWS::SecretsManager::Secret",
    )?.[0] as string;
    const readers = Object.values(resources)
      .filter((resource) => resource.Type === "AWS::IAM::Policy")
      .filter((resource) =>
        (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement.some(
          (statement) =>
            [statement.Action].flat().some((action) => action.startsWith("secretsmanager:")) &&
            JSON.stringify(statement.Resource).includes(`"${secretId}"`),
        ),
      )
      .flatMap((resource) => resource.Properties.Roles as Array<{ Ref: string }>)
      .map((role) => role.Ref)
      .sort();
    const functionRoles = (["discover", "extract", "load"] as const)
      .map((name) => synth.stack.getLogicalId(synth.stack.functions[name].role?.node.defaultChild as never))
      .sort();

    // Assess: Secrets Manager encrypts every secret with KMS (the account's aws/secretsmanager key when
    // none is named); no policy of the stack grants kms:Decrypt on it to anyone else.
    expect(readers).toEqual(functionRoles);
    synth.template.resourceCountIs("AWS::SecretsManager::ResourcePolicy", 0);
    expect(JSON.stringify(resources)).not.toContain('"kms:Decrypt"');
  });

  it("grants no wildcard action anywhere, and a wildcard resource only to actions that take no other", () => {
    // Prepare
    const problems: string[] = [];
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (!resource.Type.endsWith("Policy")) continue;
      const document = resource.Properties.PolicyDocument as { Statement: Statement[] } | undefined;
      for (const statement of document?.Statement ?? []) {
        if (statement.Effect !== "Allow") continue;
        const actions = [statement.Action].flat();
        for (const action of actions) {
          if (action === "*" || action.endsWith(":*")) problems.push(`${logicalId} allows ${action}`);
        }
        if ([statement.Resource].flat().includes("*")) {
          for (const action of actions) {
            if (!RESOURCELESS_ACTIONS.has(action)) problems.push(`${logicalId} allows ${action} on *`);
          }
        }
        if (JSON.stringify(statement.Principal ?? "").includes('"*"')) {
          problems.push(`${logicalId} allows ${actions.join(",")} to any principal`);
        }
      }
    }

    // Assess
    expect(problems).toEqual([]);
  });
});
