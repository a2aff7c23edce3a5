import type { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { createConnectorApp } from "../../lib/app";
import { parseDeploymentConfig } from "../../lib/config";
import type { ConnectorStack } from "../../lib/connector.stack";

export const TEST_CONNECTION = {
  name: "acme",
  settings: { include: ["Account", "Contact", "*__c"], defaultMode: "incremental" },
  schedule: "cron(0 2 * * ? *)",
  scheduleTimeZone: "Europe/Paris",
  mapConcurrency: 6,
  prefix: "salesforce/acme",
  logRetentionDays: 30,
} as const;

export interface SynthesizedConnector {
  app: App;
  stack: ConnectorStack;
  template: Template;
}

/** One connector stack from a configuration, as `cdk synth` builds it but without bundling the handlers. */
export function synthConnector(connection: Record<string, unknown> = TEST_CONNECTION): SynthesizedConnector {
  const config = parseDeploymentConfig({ connections: [connection] }, "the test configuration");
  const { app, stacks } = createConnectorApp(config, {
    nag: false,
    builtinCloudFormationValidation: false,
    context: { "aws:cdk:bundling-stacks": [] },
  });
  const stack = stacks[0] as ConnectorStack;
  return { app, stack, template: Template.fromStack(stack) };
}
