/**
 * The README's layout table is the map of the tree: every product folder is in it, and each folder's
 * main file (the table's second column) starts with a `// <folder>/: …` line saying what the folder is.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const PRODUCT_FOLDERS = ["bin", "lib", "functions", "emulator", "local"];

interface Row {
  folder: string;
  main: string;
}

let rows: Row[];

beforeAll(async () => {
  const readme = await readFile(join(ROOT, "README.md"), "utf8");
  const layout = readme.slice(
    readme.indexOf("## Layout"),
    readme.indexOf("\n## ", readme.indexOf("## Layout")),
  );
  rows = [...layout.matchAll(/^\| `([^`]+)` \| `([^`]+)` \|/gm)].map((match) => ({
    folder: match[1] as string,
    main: match[2] as string,
  }));
});

async function foldersWithCode(folder: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, folder), { recursive: true, withFileTypes: true });
  const folders = new Set<string>();
  for (const entry of entries) {
    if (entry.isFile() && /\.(ts|js)$/.test(entry.name)) {
      folders.add(`${entry.parentPath.slice(ROOT.length + 1)}/`);
    }
  }
  return [...folders];
}

describe("the README's layout table", () => {
  it("lists every folder of the product that holds code", async () => {
    // Prepare
    const listed = new Set(rows.map((row) => row.folder));
    // Act
    const folders = (await Promise.all(PRODUCT_FOLDERS.map(foldersWithCode))).flat();
    // Assess
    expect(folders.filter((folder) => !listed.has(folder))).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(folders.length);
  });

  it("names a main file per folder that starts by saying what the folder is", async () => {
    for (const { folder, main } of rows) {
      // Act
      const lines = (await readFile(join(ROOT, folder, main), "utf8")).split("\n");
      const first = lines[0]?.startsWith("#!") ? lines[1] : lines[0];
      // Assess
      expect(first, `${folder}${main}`).toMatch(
        new RegExp(`^// ${folder.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: \\S`),
      );
    }
  });
});
