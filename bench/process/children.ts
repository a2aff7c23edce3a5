/**
 * The parent side of the benchmark's processes. Every child entry is bundled once with esbuild (our
 * TypeScript only; packages stay in node_modules) and run by plain Node 22, so no TypeScript loader
 * sits in a measured process's memory or start-up. Services (emulator, AWS) stay up until stopped;
 * measurements run once, answer one result line and exit.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { CONNECTOR_BUNDLING } from "../../lib/connector-function.construct";
import { bundleFileName, esbuildOptionsFor } from "../cold-start/esbuild-options";
import { RESULT_MARKER } from "./child-io";

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
export const PROJECT_ROOT = join(BENCH_DIR, "..");
/** Scratch space (git-ignored): bundles, logs. */
export const WORK_DIR = join(BENCH_DIR, ".work");

/**
 * Services run against node_modules as they are (s3rver and dynalite load files at run time);
 * measurements are bundled with the stack's own Lambda settings, so they run the code Lambda runs.
 */
export const CHILD_ENTRIES = {
  emulator: { entry: "emulator/main.ts", lambdaLike: false },
  aws: { entry: "aws/main.ts", lambdaLike: false },
  setup: { entry: "setup/main.ts", lambdaLike: true },
  extractLimit: { entry: "extract/limit.ts", lambdaLike: true },
  extractConnector: { entry: "extract/connector.ts", lambdaLike: true },
  extractBaseline: { entry: "extract/baseline.ts", lambdaLike: true },
  // Untimed, and reads Parquet with DuckDB (a native package a Lambda bundle cannot hold).
  extractVerify: { entry: "extract/verify.ts", lambdaLike: false },
  loadLimit: { entry: "load/limit.ts", lambdaLike: true },
  loadConnector: { entry: "load/connector.ts", lambdaLike: true },
  // The lake's merge on one machine runs DuckDB (native): not a Lambda, no Lambda bundle.
  mergeSetup: { entry: "lake/merge-setup.ts", lambdaLike: false },
  merge: { entry: "lake/merge.ts", lambdaLike: false },
  // A whole execution through local mode's runner, which synthesizes the CDK stack: aws-cdk-lib finds
  // the functions' entry files next to lib/, so this child runs from source (through tsx), unbundled.
  cost: { entry: "cost/run.ts", lambdaLike: false, source: true },
} as const;

export type ChildName = keyof typeof CHILD_ENTRIES;

export class ChildFailedError extends Error {
  override readonly name = "ChildFailedError";
}

const built = new Map<ChildName, Promise<string>>();

async function bundle(name: ChildName): Promise<string> {
  const { entry, lambdaLike } = CHILD_ENTRIES[name];
  if ("source" in CHILD_ENTRIES[name]) return join(BENCH_DIR, entry);
  const outdir = join(WORK_DIR, "children", name);
  if (lambdaLike) {
    const options = esbuildOptionsFor(CONNECTOR_BUNDLING, join(BENCH_DIR, entry), outdir);
    await build({ ...options, metafile: false });
    return join(outdir, bundleFileName(CONNECTOR_BUNDLING));
  }
  const outfile = join(outdir, "index.mjs");
  await build({
    entryPoints: [join(BENCH_DIR, entry)],
    outfile,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node22",
    sourcemap: true,
    logLevel: "warning",
    tsconfig: join(PROJECT_ROOT, "tsconfig.json"),
  });
  return outfile;
}

/** Bundles one child entry (once per parent process); returns the file to run. */
export function buildChild(name: ChildName): Promise<string> {
  let pending = built.get(name);
  if (pending === undefined) {
    pending = bundle(name);
    built.set(name, pending);
  }
  return pending;
}

let logCounter = 0;
/** One folder of child logs per orchestrator run. */
const LOG_DIR = join(WORK_DIR, "logs", new Date().toISOString().replace(/[:.]/g, "-"));

function logStream(name: string): { path: string; stream: WriteStream } {
  const dir = LOG_DIR;
  mkdirSync(dir, { recursive: true });
  logCounter += 1;
  const path = join(dir, `${String(logCounter).padStart(3, "0")}-${name}.log`);
  return { path, stream: createWriteStream(path) };
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Node flags (e.g. a larger heap for the naive baseline). */
  nodeArgs?: string[];
  timeoutMs?: number;
}

interface Spawned {
  child: ChildProcess;
  /** The first marked line the child writes. */
  answer: Promise<unknown>;
  exited: Promise<number | null>;
  logPath: string;
  stderrTail: () => string;
}

function spawnChild(name: ChildName, file: string, request: unknown, options: SpawnOptions): Spawned {
  const log = logStream(name);
  const loader = file.endsWith(".ts") ? ["--import", "tsx"] : [];
  const child = spawn(
    process.execPath,
    [...loader, ...(options.nodeArgs ?? []), file, JSON.stringify(request)],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let tail = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log.stream.write(chunk);
    tail = (tail + chunk.toString("utf8")).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
  });
  const answer = new Promise<unknown>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NonNullable<ChildProcess["stdout"]> });
    let answered = false;
    lines.on("line", (line) => {
      if (!answered && line.startsWith(RESULT_MARKER)) {
        answered = true;
        resolve(JSON.parse(line.slice(RESULT_MARKER.length)));
      } else log.stream.write(`${line}\n`);
    });
    void exited.then((code) => {
      log.stream.end();
      if (!answered) {
        reject(
          new ChildFailedError(
            `bench child ${name} exited with code ${code} without answering (log: ${log.path}):\n${tail}`,
          ),
        );
      }
    });
  });
  answer.catch(() => undefined);
  return { child, answer, exited, logPath: log.path, stderrTail: () => tail };
}

async function withTimeout<T>(
  promise: Promise<T>,
  ms: number | undefined,
  what: string,
  child: ChildProcess,
) {
  if (ms === undefined) return promise;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new ChildFailedError(`${what} did not finish within ${ms} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Service<T> {
  ready: T;
  pid: number;
  stop(): Promise<void>;
}

/** Starts a long-running child (emulator, AWS) and waits for its ready line. */
export async function startService<T>(
  name: ChildName,
  request: unknown,
  options: SpawnOptions = {},
): Promise<Service<T>> {
  const file = await buildChild(name);
  const spawned = spawnChild(name, file, request, options);
  const { child } = spawned;
  const ready = (await withTimeout(spawned.answer, options.timeoutMs ?? 60_000, `${name} start`, child)) as T;
  let stopping: Promise<void> | undefined;
  return {
    ready,
    pid: child.pid ?? -1,
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.stdin?.end();
        const timer = setTimeout(() => child.kill("SIGTERM"), 5000);
        await spawned.exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** Runs one measurement child to its end and returns its result line. */
export async function runChild<T>(name: ChildName, request: unknown, options: SpawnOptions = {}): Promise<T> {
  const file = await buildChild(name);
  const spawned = spawnChild(name, file, request, options);
  spawned.child.stdin?.end();
  const result = (await withTimeout(spawned.answer, options.timeoutMs, name, spawned.child)) as T;
  const code = await spawned.exited;
  if (code !== 0) {
    throw new ChildFailedError(
      `bench child ${name} answered but exited with code ${code} (log: ${spawned.logPath}):\n${spawned.stderrTail()}`,
    );
  }
  return result;
}
