// bench/: benchmarks (npm run bench), with their own README and results
/**
 * `npm run bench`: extract (limit, connector, naive baseline at 100,000 and 1,000,000 records), load
 * (limit, connector at 1,000,000), the lake's merge (1,000,000 changed rows into 1,000,000) and cold
 * start, three repetitions each; prints one table and writes bench/results.json (`--only merge` measures
 * the merge alone and writes its figures into the existing file, leaving the others as they are).
 * `npm run bench -- --help` lists the options.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BENCH_DIR } from "./process/children";
import { formatTable } from "./report/table";
import {
  type BenchOptions,
  type BenchResults,
  EXTRACT_PATHS,
  type ExtractPath,
  extractSummary,
  runBenchmark,
  type SizeFigures,
} from "./suite";

const HELP = `npm run bench -- [options]
  --sizes <n,n>      extract sizes in records (default 100000,1000000)
  --load <n>         load benchmark records, 0 to skip (default 1000000)
  --merge <n>        rows of the merge benchmark's table, every one changed by the run merged into it,
                     0 to skip (default 1000000)
  --cost <n>         records of the cost model's sync and load (one execution of each state machine,
                     priced per 1,000,000 records into results.json's "cost"), 0 to skip (default 100000)
  --only <a,b>       only these measurements: merge, cost, extract.connector, extract.parquet,
                     extract.baseline (the extract's limit runs with any of them: it sizes the CSV); their
                     figures replace theirs in the results file and nothing else in it changes (an
                     extract path at each of --sizes, which the file must already hold)
  --reps <n>         repetitions of each measurement (default 3)
  --import-reps <n>  fresh-process imports per bundle (default 5)
  --baseline-reps-1m <n>  naive baseline repetitions at 1,000,000 records and up (default 1: it takes
                     two to three minutes a run; with 3 the benchmark needs about 15 minutes)
  --no-cold-start    skip the bundle measurements
  --smoke            the CI smoke size: 20000 records, one repetition (results are not written)
  --profile <dir>    write a CPU profile of every connector process there
  --node-options <flags>  Node flags of the measured processes instead of the stack's NODE_OPTIONS
                     (e.g. --node-options "" to measure without --enable-source-maps)
  --extract-memory <MB>  the extract Lambda memory the extract processes run as (default the stack's
                     1769; from 3538, two vCPUs' worth, Parquet row groups are encoded on a second thread)
  --out <file>       results file (default bench/results.json)`;

/** The measurements that can run alone, each replacing only its own figures in the results file. */
const ALONE = ["merge", "cost", ...EXTRACT_PATHS.map((path) => `extract.${path}` as const)] as const;
type Alone = (typeof ALONE)[number];

function count(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number, got ${text}`);
  return value;
}

const { values } = parseArgs({
  options: {
    sizes: { type: "string" },
    load: { type: "string" },
    merge: { type: "string" },
    cost: { type: "string" },
    only: { type: "string" },
    reps: { type: "string" },
    "import-reps": { type: "string" },
    "baseline-reps-1m": { type: "string" },
    "no-cold-start": { type: "boolean", default: false },
    smoke: { type: "boolean", default: false },
    profile: { type: "string" },
    "node-options": { type: "string" },
    "extract-memory": { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

const smoke = values.smoke;
const only = values.only?.split(",").map((name) => name.trim()) as Alone[] | undefined;
for (const name of only ?? []) {
  if (!ALONE.includes(name)) throw new Error(`--only takes ${ALONE.join(", ")}, got ${name}`);
}
const onlyPaths = only
  ?.filter((name) => name.startsWith("extract."))
  .map((name) => name.slice("extract.".length) as ExtractPath);
const options: BenchOptions = {
  extractSizes:
    only === undefined || (onlyPaths?.length ?? 0) > 0
      ? (values.sizes ?? (smoke ? "20000" : "100000,1000000"))
          .split(",")
          .map((size) => count(size.trim(), "sizes"))
      : [],
  ...(onlyPaths === undefined ? {} : { extractPaths: onlyPaths }),
  loadRecords: only === undefined ? count(values.load ?? (smoke ? "20000" : "1000000"), "load") : 0,
  mergeRecords:
    only === undefined || only.includes("merge")
      ? count(values.merge ?? (smoke ? "20000" : "1000000"), "merge")
      : 0,
  ...(smoke ? { mergePartRecords: 5000 } : {}),
  costRecords:
    only === undefined || only.includes("cost") ? count(values.cost ?? (smoke ? "0" : "100000"), "cost") : 0,
  repetitions: Math.max(1, count(values.reps ?? (smoke ? "1" : "3"), "reps")),
  importRepetitions: Math.max(1, count(values["import-reps"] ?? (smoke ? "1" : "5"), "import-reps")),
  waitScale: 1,
  baselineHeapMb: 16_384,
  largeBaselineRepetitions: Math.max(1, count(values["baseline-reps-1m"] ?? "1", "baseline-reps-1m")),
  coldStart: only === undefined && !values["no-cold-start"],
  log: (line) => process.stderr.write(`${line}\n`),
  ...(values.profile === undefined ? {} : { profileDir: values.profile }),
  ...(values["node-options"] === undefined ? {} : { nodeOptions: values["node-options"] }),
  ...(values["extract-memory"] === undefined
    ? {}
    : { extractMemoryMb: count(values["extract-memory"], "extract-memory") }),
};

const started = Date.now();
const results = await runBenchmark(options);
process.stdout.write(`${formatTable(results)}\n`);
for (const [path, figures] of Object.entries(results.cost ?? {})) {
  if (path !== "extract" && path !== "load") continue;
  const { perMillion: c } = figures as NonNullable<typeof results.cost>["extract"];
  process.stdout.write(
    `cost per 1,000,000 records ${path === "extract" ? "extracted" : "loaded"} (scaled from ${c.measuredRecords}): ` +
      `$${c.totalUsd.toFixed(4)} = Lambda $${c.lambda.usd.toFixed(4)} (${c.lambda.gbSeconds.toFixed(1)} GB-s) + ` +
      `Step Functions $${c.stepFunctions.usd.toFixed(4)} (${Math.round(c.stepFunctions.transitions)}) + ` +
      `S3 $${c.s3.usd.toFixed(4)}${c.athena ? ` + Athena $${c.athena.usd.toFixed(4)} (estimated)` : ""}\n`,
  );
}
process.stdout.write(`(${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
const out = values.out ?? (smoke ? undefined : join(BENCH_DIR, "results.json"));
if (out !== undefined) {
  // Measurements run alone replace their own figures in the results there, and nothing else.
  const written =
    only !== undefined && existsSync(out)
      ? mergeResults(JSON.parse(readFileSync(out, "utf8")) as BenchResults, results)
      : results;
  writeFileSync(out, `${JSON.stringify(written, null, 2)}\n`);
  process.stdout.write(
    `results written to ${out}${only === undefined ? "" : ` (${only.join(", ")} only)`}\n`,
  );
}

/** The earlier results with the figures of the measurements run alone in place of theirs. */
function mergeResults(earlier: BenchResults, fresh: BenchResults): BenchResults {
  const merged: BenchResults = { ...earlier };
  if (only?.includes("merge") && fresh.merge !== undefined) merged.merge = fresh.merge;
  if (only?.includes("cost") && fresh.cost !== undefined) merged.cost = fresh.cost;
  if (onlyPaths !== undefined && onlyPaths.length > 0) {
    const sizes: SizeFigures[] = [...(earlier.extract?.sizes ?? [])];
    for (const size of fresh.extractSizes ?? fresh.extract?.sizes ?? []) {
      const at = sizes.findIndex((entry) => entry.records === size.records);
      const entry: SizeFigures = at < 0 ? { ...size } : { ...(sizes[at] as SizeFigures) };
      for (const path of onlyPaths) {
        if (size[path] !== undefined) entry[path] = size[path];
      }
      if (at < 0) sizes.push(entry);
      else sizes[at] = entry;
    }
    sizes.sort((a, b) => a.records - b.records);
    merged.extract = extractSummary(sizes);
  }
  return merged;
}
