import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
  const outdir = mkdtempSync(join(tmpdir(), "saddledata-synth-"));
  const { app, stacks } = createConnectorApp(config, {
    outdir,
    nag: false,
    builtinCloudFormationValidation: false,
    context: { "aws:cdk:bundling-stacks": [] },
  });
  const stack = stacks[0] as ConnectorStack;
  try {
    // The template is kept in memory; the assembly written to disk is not needed afterwards.
    return { app, stack, template: Template.fromStack(stack) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
