import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { ConfigurationError, DataError } from "../../errors";
import type { ObjectInfo, ObjectStore } from "../ports";
import type { LoadFile } from "./load-state";

/**
 * Opening an inbound file: its format from the name (`.csv`, `.jsonl`, `.ndjson`, each optionally
 * `.gz`), gzip recognised by suffix or by its magic bytes, bytes streamed — never the whole file in
 * memory — and the version checked, so a file replaced during a load is not half old, half new.
 */

export type InboundFormat = "csv" | "jsonl";

const GZIP_MAGIC = [0x1f, 0x8b] as const;

export function inboundFormatOf(key: string): InboundFormat {
  const name = (key.split("/").pop() ?? key).toLowerCase().replace(/\.gz$/, "");
  if (name.endsWith(".csv")) return "csv";
  if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) return "jsonl";
  throw new DataError(
    `${key}: the file name does not say its format. Name CSV files *.csv and JSON lines files *.jsonl or *.ndjson (add .gz when gzipped).`,
    { code: "UNKNOWN_FORMAT" },
  );
}

function versionMatches(file: LoadFile, info: ObjectInfo): boolean {
  if (info.versionId !== undefined && info.versionId === file.version) return true;
  if (info.etag !== undefined && info.etag === file.version) return true;
  // Neither identifies the object (a store without ETags): nothing to compare.
  return info.versionId === undefined && info.etag === undefined;
}

async function* chunksOf(body: Readable): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) yield chunk as Uint8Array;
}

async function* gunzip(
  head: Uint8Array[],
  rest: AsyncIterator<Uint8Array>,
  key: string,
): AsyncGenerator<Uint8Array> {
  async function* compressed() {
    yield* head;
    for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
  }
  const inflate = createGunzip();
  let failure: unknown;
  const feeding = pipeline(Readable.from(compressed(), { objectMode: false }), inflate).catch(
    (error: unknown) => {
      failure = error;
    },
  );
  try {
    for await (const chunk of inflate) yield chunk as Uint8Array;
    await feeding;
  } catch (error) {
    failure ??= error;
  } finally {
    inflate.destroy();
  }
  if (failure !== undefined) {
    if (failure instanceof DataError || failure instanceof ConfigurationError) throw failure;
    const code = (failure as { code?: string }).code ?? "";
    if (code.startsWith("Z_") || /gzip|header check|unexpected end/i.test(String(failure))) {
      throw new DataError(
        `${key} is not a valid gzip file (${(failure as Error).message}). Upload it again, or without compression.`,
        { code: "INVALID_GZIP", line: 1 },
      );
    }
    throw failure;
  }
}

/** The file's (uncompressed) bytes. Stop iterating early to release the connection. */
export async function* openInbound(store: ObjectStore, file: LoadFile): AsyncGenerator<Uint8Array> {
  const { body, info } = await store.stream(file.key);
  try {
    if (!versionMatches(file, info)) {
      throw new ConfigurationError(
        `s3://${file.bucket}/${file.key} changed during the load (now ${info.versionId ?? info.etag}, claimed ${file.version}). The new version's own load will load it; this run stops.`,
        { code: "FileChanged" },
      );
    }
    const chunks = chunksOf(body);
    const head: Uint8Array[] = [];
    let headBytes = 0;
    while (headBytes < GZIP_MAGIC.length) {
      const next = await chunks.next();
      if (next.done) break;
      head.push(next.value);
      headBytes += next.value.length;
    }
    const first = head.length === 1 ? (head[0] as Uint8Array) : Buffer.concat(head);
    const gzipped = first[0] === GZIP_MAGIC[0] && first[1] === GZIP_MAGIC[1];
    if (!gzipped && file.key.toLowerCase().endsWith(".gz") && first.length > 0) {
      throw new DataError(
        `${file.key} is named .gz but is not gzip-compressed. Compress it, or drop the .gz suffix.`,
        {
          code: "INVALID_GZIP",
          line: 1,
        },
      );
    }
    if (gzipped) {
      yield* gunzip([first], chunks, file.key);
    } else {
      if (first.length > 0) yield first;
      yield* chunks;
    }
  } finally {
    body.destroy();
  }
}
