/**
 * Reads back what an extract landed (untimed, for the smoke test): the manifest, then every part it
 * names: JSON lines streamed through gunzip, counting lines and parsing the first and last of each
 * part; Parquet parts read with DuckDB (every row, its columns without `_run_id`).
 */
import { once } from "node:events";
import { createGunzip } from "node:zlib";
import type { Manifest } from "../../functions/core/extract/manifest";
import { createRuntime, readRuntimeConfig } from "../../functions/runtime/runtime";
import { isParquetPart, readParquet } from "../../local/demo/landed";
import { readJsonArgument, runMain } from "../process/child-io";

export interface VerifyRequest {
  manifestKey: string;
}

export interface VerifyResult {
  records: number;
  parts: number;
  /** Whether every part's line count equals the manifest's. */
  partsMatch: boolean;
  /** Field names of the first record. */
  fields: string[];
}

async function countLines(
  body: NodeJS.ReadableStream,
): Promise<{ lines: number; first: string; last: string }> {
  const gunzip = createGunzip();
  body.pipe(gunzip);
  let lines = 0;
  let first = "";
  let tail = "";
  let last = "";
  gunzip.on("data", (chunk: Buffer) => {
    const text = tail + chunk.toString("utf8");
    const parts = text.split("\n");
    tail = parts.pop() ?? "";
    for (const line of parts) {
      if (lines === 0) first = line;
      last = line;
      lines += 1;
    }
  });
  await once(gunzip, "end");
  if (tail !== "") throw new Error("a part does not end with a line break");
  return { lines, first, last };
}

async function main(): Promise<VerifyResult> {
  const request = readJsonArgument<VerifyRequest>();
  const runtime = createRuntime(readRuntimeConfig());
  const bytes = await runtime.store.get(request.manifestKey);
  if (bytes === undefined) throw new Error(`no manifest at ${request.manifestKey}`);
  const manifest = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
  let records = 0;
  let partsMatch = true;
  let fields: string[] = [];
  for (const part of manifest.parts) {
    if (isParquetPart(part.key)) {
      const bytes = await runtime.store.get(part.key);
      if (bytes === undefined) throw new Error(`no part at ${part.key}`);
      const { columns, rows } = await readParquet(bytes);
      if (rows.length !== part.records) partsMatch = false;
      records += rows.length;
      if (fields.length === 0)
        fields = columns.map((column) => column.name).filter((name) => name !== "_run_id");
      continue;
    }
    const { body } = await runtime.store.stream(part.key);
    const counted = await countLines(body);
    if (counted.lines !== part.records) partsMatch = false;
    records += counted.lines;
    if (counted.lines > 0) {
      const record = JSON.parse(counted.first) as Record<string, unknown>;
      JSON.parse(counted.last);
      if (fields.length === 0) fields = Object.keys(record);
    }
  }
  return { records, parts: manifest.parts.length, partsMatch, fields };
}

runMain(main);
