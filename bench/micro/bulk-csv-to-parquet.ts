/**
 * Micro benchmark of the Parquet extract path: Bulk 2.0 result CSV → LakeBatch → Parquet part bytes.
 *
 *   npx tsx bench/micro/bulk-csv-to-parquet.ts [rows=200000] [chunkKiB=64]
 *
 * Prints CPU time per stage for the synthetic 40-column page (synthetic-page.ts): scanning into typed
 * columns alone, + making each column's JS values, + the whole Parquet part (hyparquet-writer, ZSTD)
 * encoded in the main thread and on the encoder thread, and the JSON-lines path (conversion + gzip level 1) for comparison, with peak RSS.
 */
import { performance } from "node:perf_hooks";
import zlib from "node:zlib";
import { BulkCsvToColumns } from "../../functions/core/formats/extract/bulk-csv-to-columns";
import { BulkCsvToJsonl } from "../../functions/core/formats/extract/bulk-csv-to-jsonl";
import { LakeBatch } from "../../functions/core/formats/extract/lake-batch";
import { ParquetPartWriter } from "../../functions/core/formats/extract/parquet-part";
import { type LakeStream, lakeColumns } from "../../functions/core/lake/lake-names";
import { buildCsv, COLUMNS } from "./synthetic-page";

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const ROWS = Number(args[0] ?? 200_000);
const CHUNK = Number(args[1] ?? 64) * 1024;
const ONLY = process.argv.find((a) => a.startsWith("--only="))?.slice(7);
const MB = 1_000_000;

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

const stream = {
  fields: COLUMNS.map((column) => ({
    name: column.name,
    sfType: column.sfType,
    ...(column.sfType === "currency" ? { precision: 18, scale: 2 } : {}),
  })),
  selectFields: COLUMNS.map((column) => column.name),
} as unknown as LakeStream;
const lake = lakeColumns(stream);

async function stage(
  name: string,
  parts: Buffer[],
  run: (parts: Buffer[]) => Promise<number>,
): Promise<void> {
  if (ONLY !== undefined && ONLY !== name) return;
  global.gc?.();
  const c0 = cpuMs();
  const t0 = performance.now();
  const out = await run(parts);
  const ms = performance.now() - t0;
  const cpu = cpuMs() - c0;
  console.log(
    `${name.padEnd(22)} wall ${ms.toFixed(0).padStart(6)} ms  cpu ${cpu.toFixed(0).padStart(6)} ms  ` +
      `${((ROWS / cpu) * 1000).toFixed(0).padStart(8)} rows/cpu-s  out ${(out / MB).toFixed(1)} MB  ` +
      `rss ${(process.memoryUsage.rss() / MB).toFixed(0)} MB (max ${(process.resourceUsage().maxRSS / 1024).toFixed(0)})`,
  );
}

async function main(): Promise<void> {
  const csv = buildCsv(ROWS);
  const parts: Buffer[] = [];
  for (let p = 0; p < csv.length; p += CHUNK) parts.push(csv.subarray(p, Math.min(csv.length, p + CHUNK)));
  console.log(
    `CSV: ${ROWS} rows × ${COLUMNS.length} columns, ${(csv.length / MB).toFixed(1)} MB, node ${process.version}`,
  );

  await stage("scan to columns", parts, async (chunks) => {
    const batch = new LakeBatch(lake);
    const converter = new BulkCsvToColumns("Bench", lake, batch);
    for (const chunk of chunks) {
      converter.push(chunk);
      if (ParquetPartWriter.full(batch)) batch.reset();
    }
    converter.endPage();
    return 0;
  });
  await stage("scan + values()", parts, async (chunks) => {
    const batch = new LakeBatch(lake);
    const converter = new BulkCsvToColumns("Bench", lake, batch);
    let n = 0;
    const drain = () => {
      for (const column of batch.columns) n += column.values().length;
      batch.reset();
    };
    for (const chunk of chunks) {
      converter.push(chunk);
      if (ParquetPartWriter.full(batch)) drain();
    }
    converter.endPage();
    drain();
    return n * 0;
  });
  for (const [name, offThread] of [
    ["parquet part, inline", false],
    ["parquet part, thread", true],
  ] as const) {
    await stage(name, parts, async (chunks) => {
      const batch = new LakeBatch(lake);
      const converter = new BulkCsvToColumns("Bench", lake, batch);
      let out = 0;
      const send = async (bytes: Uint8Array) => {
        out += bytes.length;
      };
      const part = new ParquetPartWriter(lake, "run-1", send, undefined, offThread);
      for (const chunk of chunks) {
        converter.push(chunk);
        if (ParquetPartWriter.full(batch)) await part.writeRowGroup(batch);
      }
      converter.endPage();
      await part.writeRowGroup(batch);
      await part.finish();
      return out;
    });
  }
  await stage("jsonl + gzip 1", parts, async (chunks) => {
    const converter = new BulkCsvToJsonl(COLUMNS);
    let out = 0;
    for (const chunk of chunks) out += zlib.gzipSync(converter.push(chunk), { level: 1 }).length;
    out += zlib.gzipSync(converter.endPage(), { level: 1 }).length;
    return out;
  });
}

void main();
