/**
 * The demo's lake step: after the incremental sync (whose merges brought every current-state table up to
 * date), one query over the current state, shown at the end, and a check that the account table holds
 * exactly the org's live accounts.
 */
import type { Org } from "../../emulator/org/types";
import type { Runtime } from "../../functions/runtime/runtime";
import { runQuery } from "../cli/query-run";
import { plural } from "../cli/text-format";
import type { DemoCheck } from "./checks";

export const DEMO_QUERY =
  "SELECT name, industry, annualrevenue FROM account WHERE annualrevenue IS NOT NULL ORDER BY annualrevenue DESC, name LIMIT 5";

export interface DemoLake {
  sql: string;
  columns: string[];
  numeric: boolean[];
  cells: string[][];
  check: DemoCheck;
}

export async function queryDemoLake(runtime: Runtime, org: Org, storage: string): Promise<DemoLake> {
  const top = await runQuery(runtime, DEMO_QUERY, storage);
  const counted = await runQuery(runtime, "SELECT count(*) AS n FROM account", storage);
  const inLake = Number(counted.cells[0]?.[0] ?? -1);
  const live = org.query("SELECT Id FROM Account", { includeDeleted: false }).totalSize;
  const ok = inLake === live && counted.behind.length === 0;
  const detail = ok
    ? `the account table holds the org's ${plural(live, "live account")}; every table is merged`
    : `the account table holds ${plural(inLake, "row")} but the org has ${plural(live, "live account")}${counted.behind.length > 0 ? `; not merged: ${counted.behind.map((behind) => behind.table).join(", ")}` : ""}`;
  return {
    sql: DEMO_QUERY,
    columns: top.columns,
    numeric: top.numeric,
    cells: top.cells,
    check: { name: "lake", ok, detail },
  };
}
