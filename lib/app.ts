/**
 * Builds the CDK app from a deployment configuration: one ConnectorStack per connection, with cdk-nag's
 * AWS Solutions checks. The CDK command line (bin/app.ts), the tests and local mode build it the same way.
 */
import { App, type AppProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import type { DeploymentConfig } from "./config";
import { ConnectorStack } from "./connector.stack";

/**
 * Feature flags the stack depends on, set here rather than in cdk.json so every way of building the app
 * gets them. Server access logs are delivered under a bucket policy instead of the legacy ACL.
 */
export const FEATURE_FLAGS = {
  "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": true,
} as const;

export interface ConnectorAppOptions extends AppProps {
  /** Register cdk-nag so that a finding fails synthesis (default: true). */
  nag?: boolean;
}

export function stackNameOf(connection: string): string {
  return `SaddleData-${connection}`;
}

export function createConnectorApp(
  config: DeploymentConfig,
  options: ConnectorAppOptions = {},
): { app: App; stacks: ConnectorStack[] } {
  const { nag = true, context, ...props } = options;
  const app = new App({ ...props, context: { ...FEATURE_FLAGS, ...context } });
  const env =
    process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
      ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
      : undefined;
  const stacks = config.connections.map(
    (connection) =>
      new ConnectorStack(app, stackNameOf(connection.name), {
        connection,
        env,
        description: `SaddleData Salesforce connector: connection ${connection.name}`,
      }),
  );
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stacks };
}
