/**
 * The architecture's import rules live in biome.json (noRestrictedImports, one override per layer).
 * This runs Biome with that configuration over fixture files in a temporary folder laid out like the
 * repository, so a rule that stops catching a forbidden import — or starts refusing an allowed one —
 * fails here, not in review.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const BIOME = join(ROOT, "node_modules", ".bin", "biome");

/** A file at `file` importing `from`: whether `npm run lint` must refuse it. */
interface Case {
  file: string;
  from: string;
  forbidden: boolean;
}

const CASES: Case[] = [
  // functions/core: ports, not adapters; no AWS SDK; never the handlers, runtime or tooling.
  { file: "functions/core/a.ts", from: "@aws-sdk/client-s3", forbidden: true },
  { file: "functions/core/load/a.ts", from: "../../aws/s3-object-store", forbidden: true },
  { file: "functions/core/a.ts", from: "../runtime/runtime", forbidden: true },
  { file: "functions/core/a.ts", from: "../extract/handler", forbidden: true },
  { file: "functions/core/a.ts", from: "@aws-lambda-powertools/logger", forbidden: true },
  { file: "functions/core/a.ts", from: "aws-cdk-lib", forbidden: true },
  { file: "functions/core/a.ts", from: "../../local/environment", forbidden: true },
  { file: "functions/core/a.ts", from: "../../emulator/index", forbidden: true },
  { file: "functions/core/a.ts", from: "../../test/support/harness", forbidden: true },
  { file: "functions/core/a.ts", from: "../../bench/suite", forbidden: true },
  { file: "functions/core/load/a.ts", from: "../../salesforce/client", forbidden: false },
  { file: "functions/core/load/a.ts", from: "../../errors", forbidden: false },
  { file: "functions/core/load/a.ts", from: "../ports", forbidden: false },
  { file: "functions/core/load/a.ts", from: "../../contract", forbidden: false },
  { file: "functions/core/a.ts", from: "zod", forbidden: false },
  // functions/salesforce: the domain client; no core (no cycle), no adapters.
  { file: "functions/salesforce/a.ts", from: "../core/errors", forbidden: true },
  { file: "functions/salesforce/a.ts", from: "../core/catalog", forbidden: true },
  { file: "functions/salesforce/a.ts", from: "../aws/clients", forbidden: true },
  { file: "functions/salesforce/a.ts", from: "@aws-sdk/client-s3", forbidden: true },
  { file: "functions/salesforce/a.ts", from: "../errors", forbidden: false },
  // functions/aws: adapters implement the core's ports and know nothing else of the core.
  { file: "functions/aws/a.ts", from: "../core/ports", forbidden: false },
  { file: "functions/aws/a.ts", from: "../core/discover", forbidden: true },
  { file: "functions/aws/a.ts", from: "../core/extract/commit", forbidden: true },
  { file: "functions/aws/a.ts", from: "../core/lake/lake-engine", forbidden: false },
  { file: "functions/aws/a.ts", from: "../core/lake/merge", forbidden: true },
  { file: "functions/aws/a.ts", from: "../salesforce/client", forbidden: true },
  { file: "functions/aws/a.ts", from: "@aws-sdk/client-dynamodb", forbidden: false },
  // Handlers and the runtime compose everything, but no infrastructure or tooling.
  { file: "functions/extract/handler.ts", from: "../runtime/lambda", forbidden: false },
  { file: "functions/runtime/a.ts", from: "aws-cdk-lib/aws-lambda", forbidden: true },
  { file: "functions/runtime/a.ts", from: "../../lib/config", forbidden: true },
  { file: "functions/load/handler.ts", from: "../../local/environment", forbidden: true },
  { file: "functions/contract.ts", from: "../test/support/harness", forbidden: true },
  // DuckDB is local mode's lake engine: no code that runs in a Lambda loads it.
  { file: "functions/lake/handler.ts", from: "@duckdb/node-api", forbidden: true },
  { file: "functions/core/lake/a.ts", from: "@duckdb/node-api", forbidden: true },
  { file: "functions/runtime/a.ts", from: "@duckdb/node-api", forbidden: true },
  { file: "functions/lake/handler.ts", from: "../../local/lake/duckdb-engine", forbidden: true },
  { file: "functions/core/a.ts", from: "../lake/handler", forbidden: true },
  { file: "functions/lake/handler.ts", from: "../core/lake/merge", forbidden: false },
  { file: "local/lake/a.ts", from: "@duckdb/node-api", forbidden: false },
  // The emulator stands alone.
  { file: "emulator/http/a.ts", from: "../../functions/errors", forbidden: true },
  { file: "emulator/a.ts", from: "../functions/core/formats/load/values", forbidden: true },
  { file: "emulator/a.ts", from: "../local/environment", forbidden: true },
  { file: "emulator/a.ts", from: "./errors", forbidden: false },
  // lib/ reads the contract, errors, settings schema and layout; never a handler, adapter or runtime.
  { file: "lib/a.ts", from: "../functions/contract", forbidden: false },
  { file: "lib/a.ts", from: "../functions/core/settings", forbidden: false },
  { file: "lib/a.ts", from: "../functions/runtime/runtime", forbidden: true },
  { file: "lib/a.ts", from: "../functions/load-trigger/handler", forbidden: true },
  { file: "lib/a.ts", from: "../functions/aws/dynamo-state-store", forbidden: true },
  { file: "lib/a.ts", from: "../local/environment", forbidden: true },
  // The product (local mode, bin) imports no benchmark or test code.
  { file: "local/cli/a.ts", from: "../../test/support/harness", forbidden: true },
  { file: "local/cli/a.ts", from: "../../functions/extract/handler", forbidden: false },
  { file: "bin/a.ts", from: "../bench/suite", forbidden: true },
];

const run = promisify(execFile);
let dir: string;
/** Files with a noRestrictedImports diagnostic, from one Biome run over every fixture. */
let refused: Map<string, string[]>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "import-rules-"));
  const config = JSON.parse(await readFile(join(ROOT, "biome.json"), "utf8")) as Record<string, unknown>;
  // The fixtures are not a git work tree; everything in the folder is checked.
  await writeFile(
    join(dir, "biome.json"),
    JSON.stringify({ ...config, vcs: { enabled: false }, files: { includes: ["**"] } }),
  );
  for (const [index, testCase] of CASES.entries()) {
    // One file per case: the case's import under a file name that keeps its folder.
    const path = join(dir, testCase.file.replace(/\.ts$/, `-${index}.ts`));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `import * as m from "${testCase.from}";\nexport const used = m;\n`);
  }
  // Biome exits non-zero when it finds errors: the report is what matters.
  const { stdout } = await run(BIOME, ["lint", "--reporter=json", "--only=style/noRestrictedImports", "."], {
    cwd: dir,
  }).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
  const report = JSON.parse(stdout) as {
    diagnostics: Array<{ category: string; message: string; location: { path: string } }>;
  };
  refused = new Map();
  for (const diagnostic of report.diagnostics) {
    if (diagnostic.category !== "lint/style/noRestrictedImports") continue;
    const messages = refused.get(diagnostic.location.path) ?? [];
    refused.set(diagnostic.location.path, [...messages, diagnostic.message]);
  }
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("import rules (biome.json noRestrictedImports)", () => {
  it.each(CASES.map((testCase, index) => ({ ...testCase, index })))(
    "$file importing $from: forbidden $forbidden",
    ({ file, from, forbidden, index }) => {
      // Assess
      const messages = refused.get(file.replace(/\.ts$/, `-${index}.ts`)) ?? [];
      if (forbidden) {
        expect(messages.length, `${file} may not import ${from}`).toBeGreaterThan(0);
        // The message says where the code belongs instead.
        expect(messages.join(" ")).toMatch(/functions|ports|lib|emulator|benchmark|test/);
      } else {
        expect(messages, `${file} may import ${from}`).toEqual([]);
      }
    },
  );
});
