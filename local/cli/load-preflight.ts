/**
 * Before `saddledata load --file` puts a file under `inbound/`, its header is checked against the
 * object's describe with the load's own rules (object, permission, external id field, columns). A typo
 * then costs one describe call and one clear line, instead of a misplaced file that stays in the
 * bucket (inbound files are never deleted) and a rejected load. The load still validates every row.
 */
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { inboundFormatOf } from "../../functions/core/load/inbound-file";
import { buildLoadPlan } from "../../functions/core/load/load-plan";
import type { LoadTarget } from "../../functions/core/load/load-state";
import { openInboundRows } from "../../functions/core/load/row-codec";
import type { Runtime } from "../../functions/runtime/runtime";

const GZIP_MAGIC = [0x1f, 0x8b];

async function* fileBytes(path: string): AsyncGenerator<Uint8Array> {
  const head = createReadStream(path, { start: 0, end: 1 });
  const magic: number[] = [];
  for await (const chunk of head) magic.push(...(chunk as Buffer));
  const gzipped = GZIP_MAGIC.every((byte, index) => magic[index] === byte);
  const stream = gzipped ? createReadStream(path).pipe(createGunzip()) : createReadStream(path);
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } finally {
    stream.destroy();
  }
}

/** Throws the load's own DataError (or ConfigurationError) when the file could never load. */
export async function checkFileAgainstOrg(runtime: Runtime, path: string, target: LoadTarget): Promise<void> {
  const format = inboundFormatOf(path);
  const rows = openInboundRows(fileBytes(path), format);
  let header: string[];
  try {
    header = await rows.header();
  } finally {
    await rows.close();
  }
  // An empty file is the load's to reject, with its report.
  if (header.length === 0) return;
  await buildLoadPlan(
    await runtime.salesforce(),
    target,
    header,
    format,
    runtime.config.settings.blockFields,
  );
}
