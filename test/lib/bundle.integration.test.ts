import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnectorApp } from "../../lib/app";
import { parseDeploymentConfig } from "../../lib/config";
import { TEST_CONNECTION } from "./synth";

const run = promisify(execFile);

/**
 * Imports a bundle the way the Lambda runtime does (an ES module by file URL) and calls its handler with
 * an event it must refuse: proof that the bundle loads on its own, exports `handler`, and that error names
 * survive minification (Step Functions matches on them).
 */
const PROBE = `
const bundle = await import(process.argv[1]);
const context = {
  functionName: "probe", functionVersion: "$LATEST", invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:probe",
  memoryLimitInMB: "128", awsRequestId: "00000000-0000-0000-0000-000000000000", logGroupName: "probe", logStreamName: "probe",
  callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 30000,
  done() {}, fail() {}, succeed() {},
};
let error = null;
try { await bundle.handler({}, context); } catch (thrown) { error = thrown.name; }
console.log(JSON.stringify({ node: process.versions.node, handler: typeof bundle.handler, error }));
`;

interface BundledFunction {
  name: string;
  directory: string;
}

describe("Lambda bundles", () => {
  let outdir: string;
  let bundles: BundledFunction[];

  beforeAll(async () => {
    // Prepare: the app as `cdk synth` builds it, bundling included, cdk-nag and template validation on.
    outdir = await mkdtemp(join(tmpdir(), "saddledata-bundles-"));
    const config = parseDeploymentConfig({ connections: [TEST_CONNECTION] }, "the test configuration");
    const { app, stacks } = createConnectorApp(config, {
      outdir,
      context: { "aws:cdk:enable-asset-metadata": true },
    });
    const stack = stacks[0];
    if (!stack) throw new Error("no stack");
    const template = app.synth().getStackByName(stack.stackName).template as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
    };
    bundles = Object.values(stack.functions).map((fn) => {
      const resource = template.Resources[stack.getLogicalId(fn.node.defaultChild as never)];
      const asset = resource?.Metadata?.["aws:asset:path"];
      if (!asset) throw new Error(`${fn.connectorFunction} has no asset path`);
      return { name: fn.connectorFunction, directory: join(outdir, asset) };
    });
  }, 180_000);

  afterAll(async () => {
    await rm(outdir, { recursive: true, force: true });
  });

  it("builds one ES module bundle with its source map per function", async () => {
    // Assess
    expect(bundles.map((bundle) => bundle.name).sort()).toEqual([
      "discover",
      "extract",
      "lake",
      "load",
      "load-trigger",
    ]);
    for (const bundle of bundles) {
      expect((await readdir(bundle.directory)).sort()).toEqual(["index.mjs", "index.mjs.map"]);
    }
  });

  it.each(["discover", "extract", "lake", "load", "load-trigger"])(
    "loads the %s bundle in a fresh Node 22 process with no node_modules",
    async (name) => {
      // Prepare: a directory outside the repository, so nothing resolves except what is bundled.
      const bundle = bundles.find((candidate) => candidate.name === name);
      if (!bundle) throw new Error(`no bundle for ${name}`);
      const isolated = await mkdtemp(join(tmpdir(), `saddledata-${name}-`));
      try {
        await copyFile(join(bundle.directory, "index.mjs"), join(isolated, "index.mjs"));
        await copyFile(join(bundle.directory, "index.mjs.map"), join(isolated, "index.mjs.map"));

        // Act
        const { stdout } = await run(
          process.execPath,
          [
            "--enable-source-maps",
            "--input-type=module",
            "-e",
            PROBE,
            `file://${join(isolated, "index.mjs")}`,
          ],
          { cwd: isolated, env: { PATH: process.env.PATH ?? "", AWS_REGION: "us-east-1" }, timeout: 60_000 },
        );

        // Assess
        const probe = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as {
          node: string;
          handler: string;
          error: string | null;
        };
        expect(probe.node.split(".")[0]).toBe("22");
        expect(probe.handler).toBe("function");
        expect(probe.error).toBe("ConfigurationError");
      } finally {
        await rm(isolated, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
