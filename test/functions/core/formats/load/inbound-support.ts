/** Test helpers for the inbound readers: byte sources split anywhere, and reading a file whole. */
import type { InboundReader, RejectedRow } from "../../../../../functions/core/formats/load/inbound";

const encoder = new TextEncoder();

export function bytesOf(...parts: Array<string | Uint8Array | number[]>): Uint8Array {
  const arrays = parts.map((p) => (typeof p === "string" ? encoder.encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** Yields `bytes` split at the given offsets, each chunk a copy. */
export async function* chunked(bytes: Uint8Array, cuts: number[] = []): AsyncGenerator<Uint8Array> {
  let from = 0;
  for (const cut of [...cuts, bytes.length].sort((a, b) => a - b)) {
    if (cut < from) continue;
    yield bytes.slice(from, cut);
    from = cut;
  }
}

export interface ReadResult<V> {
  header: string[];
  rows: Array<{ line: number; values: V[] }>;
  rejected: RejectedRow[];
  batches: number;
  lastHeader: readonly string[];
}

export async function readAll<V>(reader: InboundReader<V>): Promise<ReadResult<V>> {
  const header = await reader.header();
  const result: ReadResult<V> = { header, rows: [], rejected: [], batches: 0, lastHeader: header };
  for await (const batch of reader.rows()) {
    result.batches++;
    result.rows.push(...batch.rows);
    result.rejected.push(...batch.rejected);
    result.lastHeader = batch.header;
  }
  return result;
}
