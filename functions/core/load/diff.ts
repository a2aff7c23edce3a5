import { describeError } from "../../errors";
import type { SalesforceClient } from "../../salesforce/client";
import { nextRestQueryPage, queryMany, startRestQuery } from "../../salesforce/rest-query";
import { readCatalogIndex, readStream } from "../catalog-store";
import { id18, sameValue } from "../formats/load/same-value";
import { currentValuesSql } from "../lake/current-values-sql";
import { lakeColumns } from "../lake/lake-names";
import { type LoadDeps, nowOf } from "./load-deps";
import { readLoadMarker } from "./load-marker";
import type { LoadPlan } from "./load-plan";
import type { DiffSource, LoadState, RowFate } from "./load-state";
import type { SourceRow } from "./row-cursor";

/**
 * What each row of an update, upsert or delete would do to the org: create a record, update one, leave
 * it unchanged, or miss (no record has its key). Rows are compared with their records' current values
 * field by field, by Salesforce type (formats/load/same-value.ts). The values come from the object's
 * current-state table in the lake when the object is synced, merged through its last commit and fresh
 * enough (`diffMaxLagMinutes`) and no load changed it since, which costs no API call; otherwise from
 * the org, by REST queries of 200 keys, 25 to a composite/batch call. A record the source does not hold
 * is never "unchanged": the row is sent.
 */

/**
 * Rows compared per lookup: one lake statement, or one `composite/batch` call of 25 queries of
 * QUERY_KEYS keys each.
 */
export const DIFF_BATCH_ROWS = 5000;
/** A load counts as seen by the table only when it ended this long before the table's window did. */
const LOAD_MARGIN_MS = 120_000;
/** Keys per REST query: `WHERE key IN (…)` stays far below a URL's length. */
const QUERY_KEYS = 200;

export interface RowVerdict {
  fate: RowFate;
  /** The record the row's key found (18 characters), when one did. */
  id?: string;
  /** The fields the row would change (update), for the plan. */
  changed: string[];
}

type Current = Record<string, unknown>;

/** Where the key of a row is, and how it matches a record. */
interface KeyOf {
  column: number;
  field: string;
  /**
   * Ids match by their 18-character form; external ids exactly: a case-sensitive external id takes
   * `a-1` and `A-1` for two records, so a key in another case finds none and the row is sent (where
   * Salesforce matches it case-insensitively, that send only repeats the values).
   */
  normalize: (value: string) => string | undefined;
}

function keyOf(plan: LoadPlan): KeyOf | undefined {
  if (plan.operation === "upsert" && plan.externalIdField) {
    const field = plan.externalIdField;
    const column = plan.columns.findIndex((c) => c.name === field && !c.relationship);
    if (field === "Id") return { column, field, normalize: id18 };
    return { column, field, normalize: (value) => value };
  }
  if (plan.operation === "insert" || plan.idColumn < 0) return undefined;
  return { column: plan.idColumn, field: "Id", normalize: id18 };
}

/** The fields a row of this plan may change: every column but the key and Id (relationships apart). */
function comparedColumns(plan: LoadPlan, key: KeyOf | undefined): number[] {
  if (plan.operation !== "update" && plan.operation !== "upsert") return [];
  return plan.columns
    .map((column, index) => ({ column, index }))
    .filter(({ column, index }) => index !== key?.column && column.name !== "Id" && !column.relationship)
    .map(({ index }) => index);
}

function soqlLiteral(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** Where current values come from, decided by `RowDiffer.open`. */
interface Lookup {
  source: DiffSource;
  /** Current values by normalized key; a key with two records maps to undefined (ambiguous). */
  find(keys: string[]): Promise<Map<string, Current | undefined>>;
}

/**
 * Rows by normalized key, each row's fields keyed by their lower-case name: Athena answers every column
 * name in lower case (Trino folds even quoted aliases), REST and DuckDB as the query spelled it.
 */
function indexed(answers: Current[], key: KeyOf): Map<string, Current | undefined> {
  const out = new Map<string, Current | undefined>();
  for (const answer of answers) {
    const row = Object.fromEntries(
      Object.entries(answer).map(([name, value]) => [name.toLowerCase(), value]),
    );
    const raw = row[key.field.toLowerCase()];
    const normalized = raw === null || raw === undefined ? undefined : key.normalize(String(raw));
    if (normalized === undefined) continue;
    out.set(normalized, out.has(normalized) ? undefined : row);
  }
  return out;
}

async function singleQuery(client: SalesforceClient, object: string, soql: string): Promise<Current[]> {
  const rows: Current[] = [];
  let page = await startRestQuery(client, { object, soql, includeDeleted: false });
  for (;;) {
    rows.push(...page.records);
    if (page.done || !page.nextRecordsUrl) return rows;
    page = await nextRestQueryPage(client, { object, nextRecordsUrl: page.nextRecordsUrl });
  }
}

function orgLookup(
  deps: LoadDeps,
  plan: LoadPlan,
  key: KeyOf,
  fields: string[],
  client: SalesforceClient,
  reason: string,
): Lookup {
  const select = [...new Set(["Id", key.field, ...fields])];
  return {
    source: { source: "org", reason },
    async find(keys) {
      const soqls: string[] = [];
      for (let start = 0; start < keys.length; start += QUERY_KEYS) {
        const chunk = keys.slice(start, start + QUERY_KEYS).map(soqlLiteral);
        soqls.push(
          `SELECT ${select.join(", ")} FROM ${plan.object} WHERE ${key.field} IN (${chunk.join(", ")})`,
        );
      }
      // One query answers in one call; more go 25 to a composite/batch call.
      const rows: Current[] =
        soqls.length === 1
          ? await singleQuery(client, plan.object, soqls[0] as string)
          : (await queryMany(client, { object: plan.object, soqls })).flat();
      deps.log.debug("load: current values read from the org", { keys: keys.length, rows: rows.length });
      return indexed(rows, key);
    },
  };
}

/**
 * The lake's table when it can answer for this load, else why not: never synced, not merged through
 * its last commit, older than `diffMaxLagMinutes`, missing a column, or no engine here.
 */
async function lakeLookup(
  deps: LoadDeps,
  plan: LoadPlan,
  key: KeyOf,
  fields: string[],
): Promise<Lookup | string> {
  const lake = deps.lake;
  if (lake === undefined) return "no lake engine is configured for loads here";
  const object = plan.object;
  const item = await deps.state.get({ connection: lake.connection, object });
  if (item?.commitSeq === undefined || item.cursor === undefined) {
    return `${object} has never been synced, so the lake has no current-state table of it`;
  }
  let engine: Awaited<ReturnType<typeof lake.engine>>;
  try {
    engine = await lake.engine();
  } catch (error) {
    return `the lake engine is not available (${describeError(error).message})`;
  }
  if (engine.currentValues === undefined) return "this lake engine cannot look up current values";
  const table = item.lake?.[engine.watermark];
  const mergedSeq = table?.mergedSeq ?? 0;
  if (mergedSeq !== item.commitSeq) {
    return `the current-state table of ${object} is merged through commit ${mergedSeq}, not the last one (${item.commitSeq})`;
  }
  const lagMinutes = (nowOf(deps) - Date.parse(item.cursor)) / 60_000;
  if (!(lagMinutes <= deps.settings.diffMaxLagMinutes)) {
    return `the current-state table of ${object} holds the org as of ${item.cursor}, ${Math.round(lagMinutes)} minutes ago (diffMaxLagMinutes: ${deps.settings.diffMaxLagMinutes})`;
  }
  const loaded = await readLoadMarker(deps, object);
  if (loaded !== undefined) {
    if (loaded.finishedAt === undefined) {
      return `a load of ${object} (${loaded.key}, run ${loaded.runId}) has been sending since ${loaded.sendingSince} and has not ended: the table does not know its changes`;
    }
    // A margin for the difference between this clock and the org's, which stamps the window.
    if (Date.parse(loaded.finishedAt) + LOAD_MARGIN_MS >= Date.parse(item.cursor)) {
      return `a load of ${object} (${loaded.key}) ended at ${loaded.finishedAt}, after the table's window (${item.cursor}): the table does not know its changes until the next sync`;
    }
  }
  const index = await readCatalogIndex(deps.store, deps.layout);
  const entry = index?.streams[object];
  if (entry === undefined) return `the catalog has no ${object}`;
  const stream = await readStream(deps.store, entry.key);
  const columns = new Map(lakeColumns(stream).map((column) => [column.field, column.name]));
  const lacking = [key.field, ...fields].filter((field) => !columns.has(field));
  if (lacking.length > 0) {
    return `the current-state table of ${object} has no column for ${lacking.join(", ")}`;
  }
  const lookup = engine.currentValues.bind(engine);
  return {
    source: {
      source: "lake",
      reason: `the current-state table of ${object} holds the org as of ${item.cursor} (commit ${mergedSeq})`,
    },
    async find(keys) {
      const wanted = [...new Set(["Id", key.field, ...fields])];
      const sql = currentValuesSql(
        object,
        wanted.map((field) => ({ field, column: columns.get(field) as string })),
        { field: key.field, column: columns.get(key.field) as string, caseInsensitive: false },
        keys,
      );
      return indexed(await lookup(stream, mergedSeq, sql), key);
    },
  };
}

/** Compares rows of one load with their records; made once per invocation that validates. */
export class RowDiffer {
  private constructor(
    readonly plan: LoadPlan,
    private readonly key: KeyOf | undefined,
    private readonly compared: number[],
    private lookup: Lookup | undefined,
    /** The org's lookup, for when the lake fails half-way. */
    private readonly fallback?: (reason: string) => Lookup,
    private readonly state?: LoadState,
  ) {}

  get source(): DiffSource | undefined {
    return this.lookup?.source;
  }

  /**
   * The differ for this load: the source the state already chose (a later invocation keeps it), else the
   * lake when it can answer, else the org.
   */
  static async open(
    deps: LoadDeps,
    state: LoadState,
    plan: LoadPlan,
    client: SalesforceClient,
  ): Promise<RowDiffer> {
    const key = keyOf(plan);
    const compared = comparedColumns(plan, key);
    if (key === undefined || key.column < 0) return new RowDiffer(plan, key, compared, undefined);
    const fields = compared.map((index) => plan.columns[index]?.name as string);
    let lookup: Lookup | undefined;
    if (state.diffSource?.source !== "org") {
      // The lake only saves API calls: when it cannot answer, for whatever reason, the org does.
      const lake = await lakeLookup(deps, plan, key, fields).catch(
        (error: unknown) => `the lake could not be read (${describeError(error).message})`,
      );
      if (typeof lake !== "string") lookup = lake;
      else state.diffSource = { source: "org", reason: lake };
    }
    const fallback = (reason: string) => orgLookup(deps, plan, key, fields, client, reason);
    lookup ??= fallback(state.diffSource?.reason ?? "");
    state.diffSource = lookup.source;
    return new RowDiffer(plan, key, compared, lookup, fallback, state);
  }

  /** Current values by key: from the lake, or from the org once the lake failed (said in the state). */
  private async find(keys: string[]): Promise<Map<string, Current | undefined>> {
    const lookup = this.lookup as Lookup;
    if (lookup.source.source === "org" || this.fallback === undefined) return lookup.find(keys);
    try {
      return await lookup.find(keys);
    } catch (error) {
      const org = this.fallback(`the lake's lookup failed (${describeError(error).message})`);
      this.lookup = org;
      if (this.state) this.state.diffSource = org.source;
      return org.find(keys);
    }
  }

  /** Each row's fate, in order. */
  async verdicts(rows: readonly SourceRow[]): Promise<RowVerdict[]> {
    const { plan, key, lookup } = this;
    if (key === undefined || lookup === undefined) return rows.map(() => ({ fate: "create", changed: [] }));
    const keys = rows.map((row) => {
      const value = row.values[key.column];
      return typeof value === "string" ? key.normalize(value) : undefined;
    });
    const counts = new Map<string, number>();
    for (const value of keys) if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
    const found = counts.size === 0 ? new Map() : await this.find([...counts.keys()]);
    return rows.map((row, index) => {
      const value = keys[index];
      const current = value === undefined ? undefined : found.get(value);
      if (current === undefined) {
        // No record (or two with the key): an upsert creates, the rest miss (Salesforce says why).
        return { fate: plan.operation === "upsert" ? "create" : "miss", changed: [] };
      }
      const id = id18(String(current.id ?? "")) ?? undefined;
      if (plan.operation === "delete" || plan.operation === "hardDelete") {
        return { fate: "delete", ...(id ? { id } : {}), changed: [] };
      }
      const changed: string[] = [];
      for (const column of plan.columns.keys()) {
        const planned = plan.columns[column];
        const sent = row.values[column];
        if (planned === undefined || sent === undefined || column === key.column || planned.name === "Id")
          continue;
        if (planned.relationship || !this.compared.includes(column)) {
          changed.push(planned.name);
          continue;
        }
        if (!sameValue(planned.field, sent, current[planned.name.toLowerCase()])) changed.push(planned.name);
      }
      // A key twice in one batch: the rows are sent, as Salesforce would apply them in order.
      const twice = (counts.get(value as string) ?? 0) > 1;
      const fate: RowFate = changed.length === 0 && !twice ? "unchanged" : "update";
      return { fate, ...(id ? { id } : {}), changed };
    });
  }
}
