import { type CfnElement, Validations } from "aws-cdk-lib";
import type { StateMachine } from "aws-cdk-lib/aws-stepfunctions";
import type { IConstruct } from "constructs";
import type { ConnectorFunction } from "./connector-function.construct";

/**
 * Acknowledge cdk-nag findings on the construct they concern, with the reason. cdk-nag 3 matches each
 * finding by its exact id (`AwsSolutions-IAM5[Resource::…]`), so one call names every finding it covers.
 */
export function acknowledge(scope: IConstruct, reason: string, ...ids: string[]): void {
  for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
}

/**
 * What CDK grants a state machine's role that cdk-nag flags as wildcards, with why each is needed.
 */
export function acknowledgeStateMachineRole(
  stateMachine: StateMachine,
  functions: ConnectorFunction[],
): void {
  acknowledge(
    stateMachine.role,
    "Logging to CloudWatch Logs (logs:*LogDelivery*, DescribeLogGroups, DescribeResourcePolicies, PutResourcePolicy) does not support resource-level permissions.",
    "AwsSolutions-IAM5[Resource::*]",
  );
  acknowledge(
    stateMachine,
    "X-Ray is off on purpose, for the state machines and the functions alike: the functions carry no tracing code, so a trace would show only the state timings the execution history (logged at level ALL) already holds. Runs are observed through that history, the JSON logs (every line with run id and object or file) and each run's summary in S3.",
    "AwsSolutions-SF2",
  );
  acknowledge(
    stateMachine.role,
    "LambdaInvoke grants lambda:InvokeFunction on the function and its versions (<arn>:*); only this connection's functions are named.",
    ...functions.map((fn) => `AwsSolutions-IAM5[Resource::<${logicalIdOf(fn)}.Arn>:*]`),
  );
}

function logicalIdOf(fn: ConnectorFunction): string {
  return fn.stack.getLogicalId(fn.node.defaultChild as CfnElement);
}
