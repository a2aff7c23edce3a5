import { demoObjects } from "../../../emulator/org/demo-schema";
import { createOrg } from "../../../emulator/org/org";
import type { Org, Value } from "../../../emulator/org/types";
import type { LoadSummary } from "../../../functions/core/load/load-state";
import { readCsvRecords } from "../../../functions/core/load/row-codec";
import type { ObjectStore } from "../../../functions/core/ports";
import { type Harness, startHarness } from "../../support/harness";

export const T0 = Date.parse("2026-06-01T12:00:00.000Z");

/** An empty org with the demo schema, its clock frozen, behind the emulator, with local AWS. */
export async function startLoadHarness(
  load: Record<string, unknown> = {},
  emulator: Record<string, unknown> = {},
  settings: Record<string, unknown> = {},
): Promise<Harness & { org: Org }> {
  const org = createOrg({ seed: 5, now: T0, frozen: true, objects: demoObjects() });
  const harness = await startHarness({
    emulator: { org, ...emulator },
    settings: { ...settings, load: { retryWaitSeconds: 0, pollFirstSeconds: 1, pollMaxSeconds: 1, ...load } },
  });
  return Object.assign(harness, { org });
}

/** Put a file under inbound/ and return the manual request that loads it. */
export async function dropFile(
  h: Harness,
  key: string,
  body: string | Uint8Array,
): Promise<{ bucket: string; key: string }> {
  await h.runtime.store.put(key, body);
  return { bucket: h.runtime.config.bucket, key };
}

/** The S3 "Object Created" event EventBridge would deliver for a file already in the bucket. */
export async function objectCreatedEvent(h: Harness, key: string): Promise<Record<string, unknown>> {
  const info = await h.runtime.store.head(key);
  return {
    version: "0",
    "detail-type": "Object Created",
    source: "aws.s3",
    detail: {
      version: "0",
      bucket: { name: h.runtime.config.bucket },
      object: { key: key.replace(/ /g, "+"), size: info?.size, etag: info?.etag, sequencer: "0001" },
      reason: "PutObject",
    },
  };
}

export interface ResultFile {
  header: string[];
  rows: string[][];
}

export async function readResult(store: ObjectStore, key: string): Promise<ResultFile> {
  const { body } = await store.stream(key);
  const records = readCsvRecords(body);
  const header = await records.header();
  const rows: string[][] = [];
  for await (const batch of records.rows()) rows.push(...batch);
  return { header, rows };
}

export async function readSummary(store: ObjectStore, summary: LoadSummary): Promise<LoadSummary> {
  const bytes = await store.get(summary.files.summary);
  if (!bytes) throw new Error(`no summary at ${summary.files.summary}`);
  return JSON.parse(new TextDecoder().decode(bytes)) as LoadSummary;
}

/**
 * The result files agree with the summary: each holds as many rows as the summary counts, under the
 * documented header, and summary.json says what the action returned.
 */
export async function expectFilesAgree(store: ObjectStore, summary: LoadSummary | undefined): Promise<void> {
  if (!summary) throw new Error("the load returned no summary");
  const written = await readSummary(store, summary);
  if (JSON.stringify(written.counts) !== JSON.stringify(summary.counts)) {
    throw new Error(
      `summary.json counts ${JSON.stringify(written.counts)} differ from ${JSON.stringify(summary.counts)}`,
    );
  }
  const expected: Array<["success" | "failed" | "unprocessed" | "rejected" | "unchanged", number, string[]]> =
    [
      ["success", summary.counts.succeeded, ["sf__Id", "sf__Created"]],
      ["failed", summary.counts.failed, ["sf__Id", "sf__Error"]],
      ["unprocessed", summary.counts.unprocessed, ["reason"]],
      ["rejected", summary.counts.rejected, ["line", "reason"]],
      ["unchanged", summary.counts.unchanged, ["sf__Id"]],
    ];
  for (const [file, rows, leading] of expected) {
    const result = await readResult(store, summary.files[file]);
    if (result.rows.length !== rows) {
      throw new Error(`${file}.csv holds ${result.rows.length} rows, the summary counts ${rows}`);
    }
    if (leading.some((name, index) => result.header[index] !== name)) {
      throw new Error(
        `${file}.csv starts with ${result.header.slice(0, 2).join(",")}, not ${leading.join(",")}`,
      );
    }
  }
}

/** Result rows as objects keyed by header name. */
export function rowsOf(file: ResultFile): Array<Record<string, string>> {
  return file.rows.map((row) =>
    Object.fromEntries(file.header.map((name, index) => [name, row[index] ?? ""])),
  );
}

/** The stored values of some fields of a record. */
export function fieldsOf(org: Org, object: string, id: string, fields: string[]): Record<string, Value> {
  const record = org.get(object, id);
  if (!record) throw new Error(`${object} ${id} does not exist`);
  return Object.fromEntries(fields.map((field) => [field, record[field] ?? null]));
}

export function insertDirect(org: Org, object: string, input: Record<string, unknown>): string {
  const result = org.insert(object, input, "json");
  if (!result.success || !result.id) throw new Error(`insert failed: ${JSON.stringify(result.errors)}`);
  return result.id;
}
