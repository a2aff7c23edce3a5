import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import { afterAll, describe, expect, it } from "vitest";
import { ENV } from "../../functions/contract";
import { ConnectorFunction, FUNCTION_SPECS, handlerEntry } from "../../lib/connector-function.construct";

const outdirs: string[] = [];

function bareStack(): Stack {
  const outdir = mkdtempSync(join(tmpdir(), "saddledata-fn-"));
  outdirs.push(outdir);
  const app = new App({
    outdir,
    builtinCloudFormationValidation: false,
    context: { "aws:cdk:bundling-stacks": [] },
  });
  return new Stack(app, "Bare");
}

afterAll(() => {
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

describe("ConnectorFunction", () => {
  it("bundles functions/<name>/handler.ts and sizes each function from its spec", () => {
    // Assess
    expect(handlerEntry("load-trigger")).toMatch(/functions\/load-trigger\/handler\.ts$/);
    expect(FUNCTION_SPECS.extract.memorySize).toBe(1769);
    expect(FUNCTION_SPECS.extract.timeout.toSeconds()).toBe(900);
  });

  it("merges the caller's environment over its defaults instead of replacing either", () => {
    // Prepare
    const stack = bareStack();

    // Act
    new ConnectorFunction(stack, "Fn", {
      function: "discover",
      logRetention: logs.RetentionDays.ONE_WEEK,
      environment: { NODE_OPTIONS: "--enable-source-maps --max-old-space-size=400", EXTRA: "yes" },
    }).configure({ connection: "acme" });

    // Assess
    Template.fromStack(stack).hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: {
          NODE_OPTIONS: "--enable-source-maps --max-old-space-size=400",
          MALLOC_MMAP_THRESHOLD_: "131072",
          POWERTOOLS_SERVICE_NAME: "saddledata",
          EXTRA: "yes",
          [ENV.connection]: "acme",
        },
      },
    });
  });

  it("refuses a second, different target for a variable a grant has set", () => {
    // Prepare
    const stack = bareStack();
    const fn = new ConnectorFunction(stack, "Fn", {
      function: "extract",
      logRetention: logs.RetentionDays.ONE_WEEK,
    });
    fn.useBucket(new s3.Bucket(stack, "One"), "a/", { data: ["upload"] });

    // Act
    const again = () => fn.useBucket(new s3.Bucket(stack, "Two"), "a/", { data: ["upload"] });

    // Assess
    expect(again).toThrowError(new RegExp(`${ENV.bucket} is already set`));
  });

  it("writes logs only to its own log group, with the retention asked for", () => {
    // Prepare
    const stack = bareStack();

    // Act
    new ConnectorFunction(stack, "Fn", { function: "load", logRetention: logs.RetentionDays.TWO_WEEKS });

    // Assess
    const template = Template.fromStack(stack);
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 14 });
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Effect: "Allow",
            Resource: { "Fn::GetAtt": [Match.stringLikeRegexp("^FnLogs"), "Arn"] },
          },
        ]),
      },
    });
  });
});
