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

/**
 * `config` may be a function of the app, to read the configuration file named by the app's context
 * (`-c config=…`), which exists only once the app does.
 */
export function createConnectorApp(
  config: DeploymentConfig | ((app: App) => DeploymentConfig),
  options: ConnectorAppOptions = {},
): { app: App; stacks: ConnectorStack[] } {
  const { nag = true, context, ...props } = options;
  const app = new App({ ...props, context: { ...FEATURE_FLAGS, ...context } });
  const deployment = typeof config === "function" ? config(app) : config;
  const env =
    process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
      ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
      : undefined;
  const stacks = deployment.connections.map(
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
