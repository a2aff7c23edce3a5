import { Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/**
 * Acknowledge cdk-nag findings on the construct they concern, with the reason. cdk-nag 3 matches each
 * finding by its exact id (`AwsSolutions-IAM5[Resource::…]`), so one call names every finding it covers.
 */
export function acknowledge(scope: IConstruct, reason: string, ...ids: string[]): void {
  for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
}
