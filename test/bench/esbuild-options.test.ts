import { OutputFormat, SourceMapMode } from "aws-cdk-lib/aws-lambda-nodejs";
import { describe, expect, it } from "vitest";
import { bundleFileName, esbuildOptionsFor } from "../../bench/cold-start/esbuild-options";
import { CONNECTOR_BUNDLING } from "../../lib/connector-function.construct";

describe("esbuildOptionsFor", () => {
  it("carries the stack's bundling settings over to esbuild as the CDK's command line does", () => {
    // Act
    const options = esbuildOptionsFor(CONNECTOR_BUNDLING, "/src/functions/extract/handler.ts", "/out");

    // Assess
    expect(options).toMatchObject({
      entryPoints: ["/src/functions/extract/handler.ts"],
      bundle: true,
      platform: "node",
      target: CONNECTOR_BUNDLING.target,
      format: "esm",
      outfile: "/out/index.mjs",
      minify: CONNECTOR_BUNDLING.minify,
      sourcesContent: CONNECTOR_BUNDLING.sourcesContent,
      mainFields: CONNECTOR_BUNDLING.mainFields,
      banner: { js: CONNECTOR_BUNDLING.banner },
      tsconfig: CONNECTOR_BUNDLING.tsconfig,
    });
  });

  it("keeps the AWS SDK external unless the stack bundles it, and maps source map modes", () => {
    // Prepare
    const base = { format: OutputFormat.CJS, target: "node22" };

    // Act
    const external = esbuildOptionsFor({ ...base, sourceMap: true }, "e.ts", "/o");
    const bundled = esbuildOptionsFor({ ...base, bundleAwsSDK: true, sourceMap: false }, "e.ts", "/o");
    const inline = esbuildOptionsFor({ ...base, sourceMapMode: SourceMapMode.INLINE }, "e.ts", "/o");

    // Assess
    expect(external.external).toEqual(["@aws-sdk/*"]);
    expect(external.sourcemap).toBe(true);
    expect(external.outfile).toBe("/o/index.js");
    expect(bundled.external).toEqual([]);
    expect(bundled.sourcemap).toBe(false);
    expect(inline.sourcemap).toBe("inline");
    expect(bundleFileName(base)).toBe("index.js");
  });

  it("refuses settings it cannot pass on rather than measuring a different bundle", () => {
    expect(() =>
      esbuildOptionsFor({ target: "node22", esbuildArgs: { "--foo": true } }, "e.ts", "/o"),
    ).toThrow(/esbuildArgs/);
    expect(() => esbuildOptionsFor({}, "e.ts", "/o")).toThrow(/target/);
  });
});
