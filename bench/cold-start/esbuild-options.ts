/**
 * The CDK stack's esbuild settings (`CONNECTOR_BUNDLING`, a CDK `BundlingOptions`) translated into
 * esbuild's own options the way `aws-lambda-nodejs` turns them into command-line flags, so the bundles
 * measured here are the bundles Lambda runs.
 */

import { join } from "node:path";
import { type BundlingOptions, OutputFormat, SourceMapMode } from "aws-cdk-lib/aws-lambda-nodejs";
import type { BuildOptions } from "esbuild";

export function bundleFileName(bundling: BundlingOptions): string {
  return bundling.format === OutputFormat.ESM ? "index.mjs" : "index.js";
}

export function esbuildOptionsFor(bundling: BundlingOptions, entry: string, outdir: string): BuildOptions {
  if (bundling.target === undefined) {
    throw new Error("CONNECTOR_BUNDLING has no target; the stack would derive it from the runtime.");
  }
  if (bundling.esbuildArgs !== undefined || bundling.nodeModules !== undefined) {
    throw new Error(
      "esbuildArgs / nodeModules in CONNECTOR_BUNDLING: teach bench/cold-start to pass them on.",
    );
  }
  const sourceMapEnabled = bundling.sourceMapMode ?? bundling.sourceMap;
  const mode = bundling.sourceMapMode ?? SourceMapMode.DEFAULT;
  const options: BuildOptions = {
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: bundling.target,
    outfile: join(outdir, bundleFileName(bundling)),
    minify: bundling.minify ?? false,
    // The CDK's `--sourcemap` without a value is esbuild's linked source map (`true`).
    sourcemap: sourceMapEnabled ? (mode === SourceMapMode.DEFAULT ? true : mode) : false,
    sourcesContent: bundling.sourcesContent ?? true,
    // As the CDK: the AWS SDK is external unless the stack bundles it.
    external: bundling.externalModules ?? (bundling.bundleAwsSDK ? [] : ["@aws-sdk/*"]),
    keepNames: bundling.keepNames ?? false,
    metafile: true,
    logLevel: "warning",
  };
  if (bundling.format !== undefined) options.format = bundling.format === OutputFormat.ESM ? "esm" : "cjs";
  if (bundling.mainFields !== undefined) options.mainFields = bundling.mainFields;
  if (bundling.banner !== undefined) options.banner = { js: bundling.banner };
  if (bundling.footer !== undefined) options.footer = { js: bundling.footer };
  if (bundling.tsconfig !== undefined) options.tsconfig = bundling.tsconfig;
  if (bundling.define !== undefined) options.define = bundling.define;
  if (bundling.loader !== undefined) options.loader = bundling.loader as BuildOptions["loader"];
  if (bundling.inject !== undefined) options.inject = bundling.inject;
  return options;
}
