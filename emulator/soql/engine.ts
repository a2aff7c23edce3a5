// emulator/soql/: the emulator's SOQL subset: lexer, parser, engine
/**
 * Runs a parsed query over a QuerySource. Rows stream: without ORDER BY nothing is held beyond the
 * current row; with ORDER BY only the sort keys and row handles of matching rows are kept (just the
 * best OFFSET + LIMIT of them when a LIMIT is given).
 */
import type { Column, QueryOptions, QueryResult, ResultRow } from "../org/types";
import { compileCondition, compileOrder, type Predicate, resolveField } from "./compile";
import { unknownObject } from "./errors";
import { parseSoql } from "./parser";
import type { QueryRow, QuerySource } from "./source";

type Keyed = { keys: Array<string | number | boolean | null>; seq: number; row: QueryRow };

/** Largest OFFSET + LIMIT kept in a bounded buffer instead of sorting every match. */
const TOP_K_MAX = 50_000;

function insertSorted(buffer: Keyed[], item: Keyed, compare: (a: Keyed, b: Keyed) => number, cap: number) {
  if (buffer.length >= cap) {
    const last = buffer[buffer.length - 1] as Keyed;
    if (compare(item, last) >= 0) return;
  }
  let low = 0;
  let high = buffer.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (compare(buffer[mid] as Keyed, item) <= 0) low = mid + 1;
    else high = mid;
  }
  buffer.splice(low, 0, item);
  if (buffer.length > cap) buffer.pop();
}

export function runQuery(source: QuerySource, soql: string, options: QueryOptions): QueryResult {
  const parsed = parseSoql(soql);
  const root = source.findObject(parsed.object.name);
  if (!root?.queryable) throw unknownObject(soql, parsed.object.offset, parsed.object.name);
  const resolved = parsed.fields.map((ref) => resolveField(source, soql, root, ref));
  const columns: Column[] = resolved.map((r) => ({ name: r.path.join("."), path: r.path, field: r.field }));
  const readers = resolved.map((r) => r.read);
  const where: Predicate = parsed.where ? compileCondition(source, soql, root, parsed.where) : () => true;
  const order = parsed.orderBy.length > 0 ? compileOrder(source, soql, root, parsed.orderBy) : undefined;
  const skip = parsed.offset ?? 0;
  const limit = parsed.limit ?? Number.POSITIVE_INFINITY;
  const scan = source.open(root.name, options.includeDeleted);

  const project = (row: QueryRow): ResultRow => ({ id: row.id, values: readers.map((read) => read(row)) });

  if (parsed.count) {
    let counted = 0;
    for (const row of scan()) if (where(row)) counted++;
    const totalSize = Math.max(0, Math.min(limit, counted - skip));
    return { object: root.name, columns, totalSize, countOnly: true, rows: () => [] };
  }

  let matches = 0;
  let sorted: Keyed[] | undefined;
  if (order) {
    const compare = (a: Keyed, b: Keyed) => order.compare(a.keys, b.keys) || a.seq - b.seq;
    const cap = skip + limit;
    const buffer: Keyed[] = [];
    for (const row of scan()) {
      if (!where(row)) continue;
      const item = { keys: order.keys(row), seq: matches++, row };
      if (cap > TOP_K_MAX) buffer.push(item);
      else if (cap > 0) insertSorted(buffer, item, compare, cap);
    }
    if (cap > TOP_K_MAX) buffer.sort(compare);
    sorted = buffer.slice(skip, skip + limit);
  } else {
    for (const row of scan()) if (where(row)) matches++;
  }
  const totalSize = Math.max(0, Math.min(limit, matches - skip));

  return {
    object: root.name,
    columns,
    totalSize,
    rows: (): Iterable<ResultRow> => {
      if (sorted) {
        const rows = sorted;
        return (function* () {
          for (const item of rows) yield project(item.row);
        })();
      }
      return (function* () {
        let skipped = 0;
        let produced = 0;
        if (limit <= 0) return;
        for (const row of scan()) {
          if (!where(row)) continue;
          if (skipped < skip) {
            skipped++;
            continue;
          }
          yield project(row);
          if (++produced >= limit) return;
        }
      })();
    },
  };
}
