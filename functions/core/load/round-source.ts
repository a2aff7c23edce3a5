import { DataError } from "../../errors";
import { inboundFormatOf, openInbound } from "./inbound-file";
import type { LoadDeps } from "./load-deps";
import type { LoadPlan } from "./load-plan";
import type { LoadState } from "./load-state";
import { openInboundRows, prepareRow, stagedFileItems } from "./row-codec";
import type { SourceItem } from "./row-cursor";
import { partKey } from "./run-folder";

/**
 * The rows a round reads, as batches of source items: round 0 reads the inbound file (each row
 * checked against the plan), later rounds read the rows the previous round staged for retry. Rows
 * before `skip` are read and dropped, which is how an invocation continues where the last one stopped.
 */

/**
 * The plan for rows that line up with a header. JSON lines reveal columns as they go, so while the
 * file is validated the plan grows with them; afterwards every header must be a prefix of the plan's.
 */
export type PlanFor = (header: readonly string[]) => Promise<LoadPlan>;

export function headerFits(header: readonly string[], plan: LoadPlan): boolean {
  return (
    header.length <= plan.columns.length &&
    header.every((name, index) => plan.columns[index]?.header === name)
  );
}

/** A fixed plan: the header must be the plan's (or, for JSON lines, its beginning). */
export function fixedPlan(plan: LoadPlan, key: string): PlanFor {
  return async (header) => {
    if (headerFits(header, plan) && (plan.format === "jsonl" || header.length === plan.columns.length))
      return plan;
    throw new DataError(
      `The columns of ${key} changed during the load (${header.join(",")}); it was validated with ${plan.columns.map((column) => column.header).join(",")}.`,
      { line: 1, code: "HEADER_CHANGED" },
    );
  };
}

/** The header of the inbound file: whole-file problems (empty, binary, …) are thrown as DataError. */
export async function readInboundHeader(deps: LoadDeps, state: LoadState): Promise<string[]> {
  const bytes = openInbound(deps.storeFor(state.file.bucket), state.file);
  const reader = openInboundRows(bytes, inboundFormatOf(state.file.key));
  try {
    return await reader.header();
  } finally {
    await reader.close();
  }
}

async function* inboundItems(
  deps: LoadDeps,
  state: LoadState,
  planFor: PlanFor,
  skip: number,
): AsyncGenerator<SourceItem[]> {
  const bytes = openInbound(deps.storeFor(state.file.bucket), state.file);
  const reader = openInboundRows(bytes, inboundFormatOf(state.file.key));
  try {
    let plan = await planFor(await reader.header());
    let index = 0;
    for await (const batch of reader.batches()) {
      if (batch.header.length !== plan.columns.length || !headerFits(batch.header, plan)) {
        plan = await planFor(batch.header);
      }
      const items: SourceItem[] = [];
      for (const raw of batch.items) {
        const at = index++;
        if (at < skip) continue;
        items.push(prepareRow(plan, raw, at));
      }
      if (items.length > 0) yield items;
    }
  } finally {
    await reader.close();
  }
}

async function* stagedItems(deps: LoadDeps, state: LoadState, skip: number): AsyncGenerator<SourceItem[]> {
  const position = { index: 0 };
  for (let part = 0; part < state.sourceParts; part++) {
    yield* stagedFileItems(deps.store, partKey(state, "retry", part, state.round), position, skip);
  }
}

export function openRoundSource(
  deps: LoadDeps,
  state: LoadState,
  planFor: PlanFor,
  skip: number,
): AsyncGenerator<SourceItem[]> {
  return state.round === 0 ? inboundItems(deps, state, planFor, skip) : stagedItems(deps, state, skip);
}
