/**
 * Cold start: every Lambda entry bundled as the CDK stack bundles it (its own `CONNECTOR_BUNDLING`),
 * the minified bundle's size, and the time to import it in a fresh Node 22 process — plainly, and
 * with `--enable-source-maps` as the stack's NODE_OPTIONS runs it.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { CONNECTOR_BUNDLING } from "../../lib/connector-function.construct";
import { BENCH_DIR, PROJECT_ROOT, WORK_DIR } from "../process/children";
import { median } from "../report/stats";
import { bundleFileName, esbuildOptionsFor } from "./esbuild-options";

const run = promisify(execFile);

export interface BundleFigures {
  /** The Lambda entry's folder under functions/. */
  name: string;
  /** The minified bundle (index.mjs), source map not included. */
  bytes: number;
  /** Median import time in a fresh process, no flags. */
  importMs: number;
  /** Median import time with --enable-source-maps (the deployed NODE_OPTIONS). */
  importMsSourceMaps: number;
  /** Median resident memory right after the import, no flags and with --enable-source-maps (MB). */
  importRssMb: number;
  importRssMbSourceMaps: number;
  importRuns: number[];
}

interface ImportProbe {
  importMs: number;
  rssMb: number;
}

async function importOnce(file: string, flags: string[]): Promise<ImportProbe> {
  const probe = join(BENCH_DIR, "cold-start", "import-probe.mjs");
  // An empty environment apart from PATH: a Lambda's cold start has no project settings to read.
  const { stdout } = await run(process.execPath, [...flags, probe, file], {
    env: { PATH: process.env.PATH ?? "" },
  });
  return JSON.parse(stdout.trim()) as ImportProbe;
}

/** Every `functions/<name>/handler.ts`: one Lambda each. */
export function lambdaEntries(): string[] {
  const root = join(PROJECT_ROOT, "functions");
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, "handler.ts")))
    .map((entry) => entry.name)
    .sort();
}

export async function measureColdStart(
  repetitions: number,
  log: (line: string) => void,
): Promise<BundleFigures[]> {
  const figures: BundleFigures[] = [];
  for (const name of lambdaEntries()) {
    const outdir = join(WORK_DIR, "bundles", name);
    rmSync(outdir, { recursive: true, force: true });
    mkdirSync(outdir, { recursive: true });
    await build(
      esbuildOptionsFor(CONNECTOR_BUNDLING, join(PROJECT_ROOT, "functions", name, "handler.ts"), outdir),
    );
    const file = join(outdir, bundleFileName(CONNECTOR_BUNDLING));
    const bytes = statSync(file).size;
    const plain: ImportProbe[] = [];
    const withMaps: ImportProbe[] = [];
    for (let i = 0; i < repetitions; i++) {
      plain.push(await importOnce(file, []));
      withMaps.push(await importOnce(file, ["--enable-source-maps"]));
    }
    const round = (mb: number) => Math.round(mb);
    const entry: BundleFigures = {
      name,
      bytes,
      importMs: median(plain.map((probe) => probe.importMs)),
      importMsSourceMaps: median(withMaps.map((probe) => probe.importMs)),
      importRssMb: round(median(plain.map((probe) => probe.rssMb))),
      importRssMbSourceMaps: round(median(withMaps.map((probe) => probe.rssMb))),
      importRuns: plain.map((probe) => probe.importMs),
    };
    log(
      `cold start ${name}: ${(bytes / 1e6).toFixed(2)} MB, import ${entry.importMs.toFixed(0)} ms and ` +
        `${entry.importRssMb} MB (${entry.importMsSourceMaps.toFixed(0)} ms and ${entry.importRssMbSourceMaps} MB with source maps)`,
    );
    figures.push(entry);
  }
  return figures;
}
