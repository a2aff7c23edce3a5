/**
 * The commit index: `data/<Object>/_commits/<seq>.json`, one pointer per committed run, numbered by
 * the stream's commit sequence (the `commitSeq` the cursor commit writes). Commit writes the pointer
 * before the cursor; a pointer numbered above the stream's `commitSeq` belongs to a commit that did not
 * go through, and is overwritten by the next one, so readers only read up to `commitSeq`.
 */
import { ConfigurationError } from "../../errors";
import type { Layout } from "../layout";
import type { ObjectStore } from "../ports";

/** How a run's parts are written: gzip JSON lines, or typed Parquet. */
export type PartFormat = "jsonl" | "parquet";

export interface CommitPointer {
  seq: number;
  object: string;
  runId: string;
  /** The run folder's date (`dt=`). */
  runDate: string;
  manifestKey: string;
  /** The catalog version the run was extracted with. */
  catalogKey: string;
  format: PartFormat;
  committedAt: string;
  /**
   * The run's partial rows (formula refresh, new-field backfill): each pass's origin and the fields its
   * rows hold, for the merge to update only those columns. Absent: the run landed none.
   */
  partials?: Array<{ origin: "formula" | "backfill"; fields: string[] }>;
}

/** A part's format, from its key. */
export function partFormat(key: string): PartFormat {
  return key.endsWith(".parquet") ? "parquet" : "jsonl";
}

export async function writeCommitPointer(
  store: ObjectStore,
  layout: Layout,
  pointer: CommitPointer,
): Promise<void> {
  await store.put(
    layout.commitPointer(pointer.object, pointer.seq),
    `${JSON.stringify(pointer, null, 2)}\n`,
    {
      contentType: "application/json",
    },
  );
}

/**
 * The pointers of commits `from + 1` through `to`, in order. A missing one means the index was damaged
 * (commit writes it before the cursor): an error naming it, never a silent gap.
 */
export async function readCommitPointers(
  store: ObjectStore,
  layout: Layout,
  object: string,
  from: number,
  to: number,
): Promise<CommitPointer[]> {
  const pointers: CommitPointer[] = [];
  for (let seq = from + 1; seq <= to; seq++) {
    const key = layout.commitPointer(object, seq);
    const bytes = await store.get(key);
    if (bytes === undefined) {
      throw new ConfigurationError(
        `${object}: commit ${seq} has no pointer at ${key}, so its rows cannot reach the lake; run a full refresh of ${object} and clear its lake watermark`,
        { object },
      );
    }
    pointers.push(JSON.parse(new TextDecoder().decode(bytes)) as CommitPointer);
  }
  return pointers;
}
