/**
 * Micro benchmark of the extract hot path: Bulk 2.0 result CSV → typed JSON lines (→ gzip).
 *
 *   npx tsx bench/micro/bulk-csv-to-jsonl.ts [rows=200000] [chunkKiB=64] [--convert-only]
 *
 * Prints, for a synthetic 40-column page set: conversion alone (MB/s of CSV in, rows/s), conversion
 * piped into gzip, a gzip level/strategy table (speed and size), and an end-to-end comparison with a
 * plain loopback HTTP download of the same CSV (the brief's yardstick: extract ≥ 0.25× download).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setImmediate as tick } from "node:timers/promises";
import zlib from "node:zlib";
import { BulkCsvToJsonl } from "../../functions/core/formats/extract/bulk-csv-to-jsonl";
import { ParallelGzip, type ParallelGzipOptions } from "../../functions/core/formats/extract/parallel-gzip";
import { buildCsv, COLUMNS } from "./synthetic-page";

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const CONVERT_ONLY = process.argv.includes("--convert-only");
const ROWS = Number(args[0] ?? 200_000);
const CHUNK = Number(args[1] ?? 64) * 1024;
const MB = 1_000_000;

function chunks(csv: Buffer, size: number): Buffer[] {
  const list: Buffer[] = [];
  for (let p = 0; p < csv.length; p += size) list.push(csv.subarray(p, Math.min(csv.length, p + size)));
  return list;
}

/** CPU milliseconds this process has used (all threads), for figures that hold on a busy machine. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function convertOnce(parts: Buffer[]): { ms: number; cpu: number; outBytes: number; records: number } {
  const converter = new BulkCsvToJsonl(COLUMNS);
  let outBytes = 0;
  const c0 = cpuMs();
  const t0 = performance.now();
  for (const part of parts) outBytes += converter.push(part).length;
  outBytes += converter.endPage().length;
  return { ms: performance.now() - t0, cpu: cpuMs() - c0, outBytes, records: converter.records };
}

async function convertAndCompress(
  parts: Iterable<Buffer> | AsyncIterable<Buffer>,
  compressor: zlib.Gzip | zlib.ZstdCompress,
): Promise<{ ms: number; compressedBytes: number }> {
  const converter = new BulkCsvToJsonl(COLUMNS);
  let compressedBytes = 0;
  compressor.on("data", (d: Buffer) => {
    compressedBytes += d.length;
  });
  const done = once(compressor, "end");
  const t0 = performance.now();
  for await (const part of parts) {
    const lines = converter.push(part);
    if (lines.length > 0 && !compressor.write(lines)) await once(compressor, "drain");
  }
  compressor.end(converter.endPage());
  await done;
  return { ms: performance.now() - t0, compressedBytes };
}

async function convertAndParallelGzip(
  parts: Iterable<Buffer> | AsyncIterable<Buffer>,
  options: ParallelGzipOptions,
): Promise<{ ms: number; compressedBytes: number }> {
  const converter = new BulkCsvToJsonl(COLUMNS);
  const gzip = new ParallelGzip(options);
  const t0 = performance.now();
  for await (const part of parts) {
    const lines = converter.push(part);
    if (lines.length > 0) await gzip.write(lines);
  }
  await gzip.write(converter.endPage());
  await gzip.end();
  return { ms: performance.now() - t0, compressedBytes: gzip.totals.output };
}

/**
 * Chunks as a network delivers them: one per event-loop turn. Fed in a tight loop instead, the main
 * thread never lets zlib's completion callbacks run, and compression cannot overlap conversion.
 */
async function* arriving(parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const part of parts) {
    yield part;
    await tick();
  }
}

function best<T extends { ms: number }>(runs: T[]): T {
  return runs.reduce((a, b) => (b.ms < a.ms ? b : a));
}

function mbps(bytes: number, ms: number): string {
  return ((bytes / MB) * (1000 / ms)).toFixed(0).padStart(5);
}

/**
 * Serves the CSV from a child process, as a remote server would: in this process it would compete with
 * the conversion for the main thread.
 */
async function serve(csv: Buffer): Promise<{ url: string; close: () => Promise<void> }> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "bulk-bench-")), "page.csv");
  writeFileSync(file, csv);
  const child = spawn(process.execPath, ["-e", SERVER, file], { stdio: ["ignore", "pipe", "inherit"] });
  const [first] = (await once(child.stdout, "data")) as [Buffer];
  const port = Number(first.toString().trim());
  return {
    url: `http://127.0.0.1:${port}/results`,
    close: async () => {
      child.kill();
      await once(child, "exit");
      rmSync(path.dirname(file), { recursive: true, force: true });
    },
  };
}

const SERVER = `
const http = require("node:http");
const csv = require("node:fs").readFileSync(process.argv[1]);
const server = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/csv", "content-length": csv.length });
  let p = 0;
  const pump = () => {
    while (p < csv.length) {
      const end = Math.min(csv.length, p + (1 << 20));
      const ok = res.write(csv.subarray(p, end));
      p = end;
      if (!ok) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

async function* download(url: string): AsyncGenerator<Buffer> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get(url, resolve).on("error", reject),
  );
  for await (const chunk of res) yield chunk as Buffer;
}

async function timeDownload(
  url: string,
  consume: (body: AsyncIterable<Buffer>) => Promise<void>,
): Promise<{ ms: number }> {
  const t0 = performance.now();
  await consume(download(url));
  return { ms: performance.now() - t0 };
}

async function main(): Promise<void> {
  const csv = buildCsv(ROWS);
  const parts = chunks(csv, CHUNK);
  console.log(
    `CSV: ${ROWS} rows × ${COLUMNS.length} columns, ${(csv.length / MB).toFixed(1)} MB, ${CHUNK / 1024} KiB chunks, node ${process.version}`,
  );

  for (let k = 0; k < 3; k++) convertOnce(parts); // warm-up
  const convRuns = Array.from({ length: 5 }, () => convertOnce(parts));
  const conv = best(convRuns);
  const convCpu = Math.min(...convRuns.map((r) => r.cpu));
  console.log(
    `convert only:        ${mbps(csv.length, conv.ms)} MB/s CSV in, ${((conv.records / conv.ms) * 1000).toFixed(0)} rows/s, ` +
      `JSONL ${(conv.outBytes / MB).toFixed(1)} MB (${conv.ms.toFixed(0)} ms; ${mbps(csv.length, convCpu)} MB per CPU-second)`,
  );

  if (CONVERT_ONLY) return;

  const jsonl = Buffer.concat([
    ...(() => {
      const c = new BulkCsvToJsonl(COLUMNS);
      const out = parts.map((p) => Buffer.from(c.push(p)));
      out.push(Buffer.from(c.endPage()));
      return out;
    })(),
  ]);

  console.log("\ncompression of the JSONL alone (one thread, *Sync, per CPU-second):");
  const Z = zlib.constants;
  const settings: Array<[string, (b: Buffer) => Buffer]> = [
    ["gzip level 1", (b) => zlib.gzipSync(b, { level: 1 })],
    ["gzip level 1, Z_FILTERED", (b) => zlib.gzipSync(b, { level: 1, strategy: Z.Z_FILTERED })],
    ["gzip level 1, Z_FIXED", (b) => zlib.gzipSync(b, { level: 1, strategy: Z.Z_FIXED })],
    ["gzip level 1, memLevel 9", (b) => zlib.gzipSync(b, { level: 1, memLevel: 9 })],
    ["gzip level 1, window 2^12", (b) => zlib.gzipSync(b, { level: 1, windowBits: 12 })],
    ["gzip level 2", (b) => zlib.gzipSync(b, { level: 2 })],
    ["gzip level 3", (b) => zlib.gzipSync(b, { level: 3 })],
    ["gzip level 4", (b) => zlib.gzipSync(b, { level: 4 })],
    ["gzip level 6 (default)", (b) => zlib.gzipSync(b, { level: 6 })],
    ["gzip level 9", (b) => zlib.gzipSync(b, { level: 9 })],
    ["gzip Z_RLE", (b) => zlib.gzipSync(b, { level: 1, strategy: Z.Z_RLE })],
    ["gzip Z_HUFFMAN_ONLY", (b) => zlib.gzipSync(b, { level: 1, strategy: Z.Z_HUFFMAN_ONLY })],
    ["zstd level 1", (b) => zlib.zstdCompressSync(b, { params: { [Z.ZSTD_c_compressionLevel]: 1 } })],
    [
      "zstd level 3 (default)",
      (b) => zlib.zstdCompressSync(b, { params: { [Z.ZSTD_c_compressionLevel]: 3 } }),
    ],
  ];
  for (const [label, compress] of settings) {
    // The slow levels are measured once: they are there for their size, not to be picked.
    const runs = Array.from({ length: /level [69]/.test(label) ? 1 : 3 }, () => {
      const c0 = cpuMs();
      const size = compress(jsonl).length;
      return { ms: cpuMs() - c0, size };
    });
    // CPU time, not wall time: compression here runs on this thread alone.
    const b = best(runs);
    console.log(
      `  ${label.padEnd(26)} ${mbps(jsonl.length, b.ms)} MB/s JSONL in (= ${mbps(csv.length, b.ms)} MB/s CSV), ` +
        `${(b.size / MB).toFixed(1).padStart(5)} MB (${((b.size / jsonl.length) * 100).toFixed(1)}% of JSONL, ` +
        `${((b.size / csv.length) * 100).toFixed(1)}% of CSV)`,
    );
  }

  console.log(
    "\nconvert → compression stream (chunks arrive one per event-loop turn; compression on the libuv pool):",
  );
  const BIG = { writableHighWaterMark: 4 << 20, chunkSize: 256 << 10 };
  const pipelines: Array<[string, () => zlib.Gzip | zlib.ZstdCompress]> = [
    ["createGzip({ level: 1 }) as is", () => zlib.createGzip({ level: 1 })],
    ["gzip 1, 4 MiB buffer", () => zlib.createGzip({ level: 1, ...BIG })],
    ["gzip 3, 4 MiB buffer", () => zlib.createGzip({ level: 3, ...BIG })],
    ["gzip 6, 4 MiB buffer", () => zlib.createGzip({ level: 6, ...BIG })],
    [
      "zstd 1, 4 MiB buffer",
      () => zlib.createZstdCompress({ params: { [Z.ZSTD_c_compressionLevel]: 1 }, ...BIG }),
    ],
  ];
  const parallel: Array<[string, ParallelGzipOptions]> = [
    ["ParallelGzip level 1, 2 blocks", { level: 1, concurrency: 2 }],
    ["ParallelGzip level 1, 4 blocks", { level: 1, concurrency: 4 }],
    ["ParallelGzip level 3, 4 blocks", { level: 3, concurrency: 4 }],
  ];
  type Run = [string, () => Promise<{ ms: number; compressedBytes: number }>];
  const runs: Run[] = [
    ...pipelines.map(([label, make]): Run => [label, () => convertAndCompress(arriving(parts), make())]),
    ...parallel.map(
      ([label, options]): Run => [label, () => convertAndParallelGzip(arriving(parts), options)],
    ),
  ];
  for (const [label, run] of runs) {
    await run();
    const b = best([await run(), await run()]);
    console.log(
      `  ${label.padEnd(32)} ${mbps(csv.length, b.ms)} MB/s CSV in, ${((ROWS / b.ms) * 1000).toFixed(0).padStart(6)} rows/s, ` +
        `${(b.compressedBytes / MB).toFixed(1)} MB out`,
    );
  }

  console.log("\nloopback HTTP (127.0.0.1, server in a child process), same CSV:");
  const server = await serve(csv);
  try {
    const discard = async (body: AsyncIterable<Buffer>): Promise<void> => {
      for await (const _chunk of body) {
        // only the transfer is measured
      }
    };
    const convert = async (body: AsyncIterable<Buffer>): Promise<void> => {
      const c = new BulkCsvToJsonl(COLUMNS);
      for await (const chunk of body) c.push(chunk);
      c.endPage();
    };
    const gzip1 = async (body: AsyncIterable<Buffer>): Promise<void> => {
      await convertAndCompress(body, zlib.createGzip({ level: 1, ...BIG }));
    };
    const parallelGzip1 = async (body: AsyncIterable<Buffer>): Promise<void> => {
      await convertAndParallelGzip(body, { level: 1 });
    };
    const zstd1 = async (body: AsyncIterable<Buffer>): Promise<void> => {
      await convertAndCompress(
        body,
        zlib.createZstdCompress({ params: { [Z.ZSTD_c_compressionLevel]: 1 }, ...BIG }),
      );
    };
    const time = async (consume: (body: AsyncIterable<Buffer>) => Promise<void>) => {
      await timeDownload(server.url, consume);
      return best([await timeDownload(server.url, consume), await timeDownload(server.url, consume)]);
    };
    const dl = await time(discard);
    console.log(`  download only:               ${mbps(csv.length, dl.ms)} MB/s`);
    for (const [label, consume] of [
      ["download + convert:        ", convert],
      ["download + convert + gzip1:", gzip1],
      ["… + ParallelGzip level 1:  ", parallelGzip1],
      ["download + convert + zstd1:", zstd1],
    ] as const) {
      const r = await time(consume);
      console.log(`  ${label}  ${mbps(csv.length, r.ms)} MB/s (${(dl.ms / r.ms).toFixed(2)}× download)`);
    }
  } finally {
    await server.close();
  }
}

await main();
