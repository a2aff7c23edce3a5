// Deletes: after an incremental run's query, land the org's delete log for its window as delete rows.
import { type DeletedAnswer, type DeletedRecord, getDeleted } from "../../salesforce/deleted";
import type { CatalogStream } from "../catalog";
import type { ExtractDeps, PartColumns } from "./extract-deps";
import { type DeletesOutcome, type ExtractState, partKey } from "./extract-state";
import { type RestPartSink, writeRestPart } from "./fetch-rest-part";

const MINUTE = 60_000;
/** How far back the org's delete log reaches at most (15 days), less a minute of margin. */
const LOG_REACH_MS = 15 * 24 * 60 * MINUTE - MINUTE;

const floorToMinute = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;

/**
 * Whether a run reads the delete log: an incremental run with a committed cursor before it. The query
 * (`queryAll`) sees soft deletes while they are in the recycle bin; the log also has hard deletes and
 * deletes already purged from the bin, which no query returns.
 */
export function readsDeletes(state: ExtractState): boolean {
  return (
    state.mode === "incremental" &&
    state.cursorBefore !== undefined &&
    state.window.start !== undefined &&
    state.window.end !== undefined &&
    state.deletes === undefined
  );
}

/** A delete as a REST record: Id, IsDeleted when the object has it, and the deleted date as the cursor. */
function deleteRow(stream: CatalogStream, record: DeletedRecord): Record<string, unknown> {
  const row: Record<string, unknown> = { Id: record.id };
  if (stream.selectFields.includes("IsDeleted")) row.IsDeleted = true;
  if (stream.cursorField) row[stream.cursorField] = record.deletedDate;
  return row;
}

/**
 * Read the delete log over the run's window (whole minutes, at least one) and write every Id it
 * reports into one part of delete rows. More Ids than one answer holds: the range is halved until each
 * half fits. A range older than the log keeps: asked again from the oldest minute it may keep; an
 * object without a log: a warning. Duplicates (the query's own deleted rows, Ids reported
 * twice by overlapping windows) are harmless: a delete applies once. Where the log cannot answer (a
 * range older than it keeps, more Ids in a minute than one answer holds) the outcome says so (`lost`):
 * the run then reconciles Ids instead (reconcile.ts), so those deletes are found all the same.
 */
export async function fetchDeletes(
  deps: ExtractDeps,
  state: ExtractState,
  stream: CatalogStream,
  columns: PartColumns,
): Promise<ExtractState> {
  const { salesforce } = deps;
  const before = salesforce.totalCalls;
  const to = floorToMinute(Date.parse(state.window.end as string));
  let from = Math.min(floorToMinute(Date.parse(state.window.start as string)), to - MINUTE);
  const warnings: string[] = [];
  // Where the log could not answer: deletes may be lost there, so the run reconciles Ids instead.
  const lost: string[] = [];
  const earliest = floorToMinute(salesforce.serverNow() - LOG_REACH_MS) + MINUTE;
  let found = 0;
  const index = state.parts.length;
  const key = partKey(deps.layout, state, index);
  const read = async (
    sink: RestPartSink,
    start: number,
    end: number,
    asked?: DeletedAnswer,
  ): Promise<void> => {
    const answer = asked ?? (await getDeleted(salesforce, { object: state.object, start, end }));
    switch (answer.kind) {
      case "deleted":
        if (answer.records.length > 0) {
          await sink.take(answer.records.map((record) => deleteRow(stream, record)));
          found += answer.records.length;
        }
        return;
      case "too-many": {
        if (end - start <= MINUTE) {
          lost.push(
            `the org's delete log holds more Ids than one answer for the minute at ${new Date(start).toISOString()}`,
          );
          return;
        }
        const middle = floorToMinute(start + (end - start) / 2);
        await read(sink, start, middle);
        await read(sink, middle, end);
        return;
      }
      case "too-old":
        if (start < earliest && earliest < end) {
          lost.push(
            `the org's delete log does not reach back to ${new Date(start).toISOString()} (${answer.message})`,
          );
          from = earliest;
          await read(sink, earliest, end);
          return;
        }
        lost.push(`the org's delete log could not be read for this window (${answer.message})`);
        return;
      case "not-replicable":
        warnings.push(
          `${state.object}: the object has no delete log (${answer.message}); hard deletes are not seen.`,
        );
        return;
    }
  };
  // Most windows have no delete: the first answer is read before a part is opened, so none is written.
  const first = await getDeleted(salesforce, { object: state.object, start: from, end: to });
  const none = first.kind === "deleted" && first.records.length === 0;
  const bytes = none
    ? 0
    : await writeRestPart(
        deps,
        state,
        key,
        columns,
        async (sink) => {
          await read(sink, from, to, first);
          await sink.end();
        },
        "getDeleted",
      );
  const deletes: DeletesOutcome = {
    found,
    apiCalls: salesforce.totalCalls - before,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    ...(warnings.length > 0 ? { warning: warnings.join(" ") } : {}),
    ...(lost.length > 0 ? { lost: lost.join("; ") } : {}),
  };
  deps.log.info("extract: delete log read", { object: state.object, ...deletes });
  return {
    ...state,
    // A part whose answers all turned out empty (or only warnings) is not kept in the manifest.
    parts: found > 0 ? [...state.parts, [index, found, bytes]] : state.parts,
    bytes: found > 0 ? state.bytes + bytes : state.bytes,
    deletes,
    ...(warnings.length > 0 ? { warnings: [...(state.warnings ?? []), ...warnings] } : {}),
  };
}
