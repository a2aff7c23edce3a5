import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Validations } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { createConnectorApp } from "../../lib/app";
import { parseDeploymentConfig } from "../../lib/config";
import { synthConnector, TEST_CONNECTION } from "./synth";

function violationsOf(connection: Record<string, unknown> = TEST_CONNECTION) {
  const { app } = synthConnector(connection);
  return { app, report: new AwsSolutionsChecks(app).validateScope(app) };
}

describe("cdk-nag AWS Solutions checks", () => {
  it.each([
    ["with a key prefix and a created secret", TEST_CONNECTION],
    [
      "at the bucket root with an existing secret and alarm topic",
      {
        ...TEST_CONNECTION,
        prefix: "",
        secret: "salesforce/acme",
        alarmTopicArn: "arn:aws:sns:eu-west-1:111122223333:alarms",
      },
    ],
  ])("report no error and no warning %s", (_label, connection) => {
    // Act
    const { report } = violationsOf(connection);

    // Assess
    expect(
      report.violations.map(
        (violation) =>
          `${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(", ")}`,
      ),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it("acknowledges each finding on its construct, with a reason", () => {
    // Prepare
    const { app } = synthConnector();

    // Act
    const acknowledged = app.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((entry) => Object.entries(entry.data as Record<string, { reason?: string } | string>)),
      );

    // Assess
    expect(acknowledged.length).toBeGreaterThan(5);
    for (const [id, value] of acknowledged) {
      const reason = typeof value === "string" ? value : value.reason;
      expect(id).toMatch(/AwsSolutions-/);
      expect(reason?.length ?? 0).toBeGreaterThan(30);
    }
  });

  it("still reports a finding nobody acknowledged", () => {
    // Prepare
    const { app, stack } = synthConnector();
    new s3.Bucket(stack, "CarelessBucket");

    // Act
    const report = new AwsSolutionsChecks(app).validateScope(app);

    // Assess
    const rules = report.violations.map((violation) => violation.ruleName);
    expect(rules).toEqual(expect.arrayContaining(["AwsSolutions-S1", "AwsSolutions-S10"]));
    expect(report.success).toBe(false);
  });

  it("run on every synthesis of the app, which fails on a finding", async () => {
    // Prepare: the app as bin/app.ts builds it.
    const outdir = await mkdtemp(join(tmpdir(), "saddledata-nag-"));
    const config = parseDeploymentConfig({ connections: [TEST_CONNECTION] }, "test");
    const { app, stacks } = createConnectorApp(config, {
      outdir,
      builtinCloudFormationValidation: false,
      context: { "aws:cdk:bundling-stacks": [] },
    });
    const stack = stacks[0];
    if (!stack) throw new Error("no stack");
    new s3.Bucket(stack, "CarelessBucket");

    try {
      // Act
      const synth = () => app.synth();

      // Assess
      expect(synth).toThrowError(/AwsSolutions-S10/);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });
});
