/**
 * package.json tells the truth about what the product needs: every package the product's code imports
 * at run time is a runtime dependency (so `npm ci --omit=dev` runs the command line and the CDK app),
 * and every runtime dependency is imported by the product's code (nothing rides along unused).
 * Type-only imports need no runtime package; tests and benchmarks use the dev dependencies.
 */
import { readdir, readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
/** The product: what runs in a Lambda, on the command line, in the CDK app and the emulator. */
const PRODUCT_FOLDERS = ["bin", "lib", "functions", "local", "emulator"];

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, folder), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && /\.(ts|js|mjs)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

const BUILTINS = new Set(builtinModules);

/** Packages a file loads at run time: static imports and re-exports that are not type-only, import(), require(). */
function runtimeImports(text: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?["']([^"'./][^"']*)["']/gm,
    /\bimport\(\s*["']([^"'./][^"']*)["']\s*\)/g,
    /\brequire\(\s*["']([^"'./][^"']*)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1] as string;
      if (specifier.startsWith("node:") || BUILTINS.has(specifier)) continue;
      found.add(packageOf(specifier));
    }
  }
  return [...found];
}

describe("dependencies", () => {
  it("reads runtime imports and skips type-only ones", () => {
    // Act
    const found = runtimeImports(
      [
        'import type { Context } from "aws-lambda";',
        'import { z } from "zod";',
        'import * as x from "@aws-sdk/client-s3";',
        'export { y } from "commander";',
        'const m = await import("tsx/esm/api");',
        'const d = require("dynalite");',
        'import { readFile } from "node:fs";',
        'import { a } from "./local";',
      ].join("\n"),
    );
    // Assess
    expect(found.sort()).toEqual(["@aws-sdk/client-s3", "commander", "dynalite", "tsx", "zod"]);
  });

  it("lists every package the product imports as a runtime dependency, and no other", async () => {
    // Prepare
    const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const imported = new Map<string, string>();
    for (const folder of PRODUCT_FOLDERS) {
      for (const file of await sourceFiles(folder)) {
        for (const name of runtimeImports(await readFile(file, "utf8"))) {
          if (!imported.has(name)) imported.set(name, file.slice(ROOT.length + 1));
        }
      }
    }
    const dependencies = Object.keys(manifest.dependencies);
    // Act
    const missing = [...imported]
      .filter(([name]) => !dependencies.includes(name))
      .map(([n, f]) => `${n} (${f})`);
    const unused = dependencies.filter((name) => !imported.has(name));
    // Assess
    expect(missing, "imported by the product but not a runtime dependency").toEqual([]);
    expect(unused, "runtime dependencies the product never imports (move to devDependencies)").toEqual([]);
  });
});
