/**
 * Each engine's current-state table keeps its own watermark in the state table (dynalite) over the
 * same committed runs (s3rver): a DuckDB merge on one machine never moves the watermark of a deployed
 * Athena table, nor the other way round, and each table still gets every run exactly once. Athena
 * cannot run here, so its side is the lake handler driving an engine that answers as Athena does
 * (started, running, succeeded) and records the statements it was given.
 */
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CatalogStream } from "../../../functions/core/catalog";
import type { LakeEngine, LakeQueryState } from "../../../functions/core/lake/lake-engine";
import type { Runtime } from "../../../functions/runtime/runtime";
import { statusReport, statusText } from "../../../local/cli/status-report";
import { openRuntimeLake } from "../../../local/lake/local-lake";
import { driveMerge, driveSync } from "../../support/drive";
import { type Harness, startHarness } from "../../support/harness";

/** Stands in for Athena: each statement runs for one poll, then succeeds. */
class AthenaStandIn implements LakeEngine {
  readonly watermark = "athena";
  readonly statements: string[] = [];
  private readonly polled = new Set<string>();

  async ensureTables(_stream: CatalogStream): Promise<void> {}
  async addRun(_stream: CatalogStream, _run: { runId: string; runDate: string }): Promise<void> {}

  async startMerge(_stream: CatalogStream, sql: string): Promise<string> {
    this.statements.push(sql);
    return `athena-${this.statements.length}`;
  }

  async status(queryId: string): Promise<LakeQueryState> {
    if (this.polled.has(queryId)) return { state: "succeeded" };
    this.polled.add(queryId);
    return { state: "running" };
  }

  maintenance(_stream: CatalogStream): string[] {
    return [];
  }

  async startMaintenance(_stream: CatalogStream, sql: string): Promise<string> {
    return this.startMerge(_stream, sql);
  }

  async compareIds(): Promise<Array<{ kind: "delete" | "missing"; id: string }>> {
    return [];
  }
}

describe("each lake engine's own watermark", () => {
  let harness: Harness;
  let runtime: Runtime;
  let athenaRuntime: Runtime;
  const athena = new AthenaStandIn();
  const key = { connection: "test", object: "Account" };
  let catalogKey = "";

  async function sync(runId: string, mode: "full_refresh" | "incremental"): Promise<void> {
    const summaries = await driveSync(runtime, runId, { objects: ["Account"], mode });
    expect(summaries.get("Account")?.status).toBe("succeeded");
    const index = JSON.parse(
      new TextDecoder().decode(await runtime.store.get(runtime.layout.catalogIndex())),
    ) as { streams: Record<string, { key: string }> };
    catalogKey = index.streams.Account?.key ?? "";
  }

  /** The stream item as DynamoDB holds it: which attributes each merge wrote. */
  async function rawItem() {
    const output = await harness.env.clients.dynamodb.send(
      new GetItemCommand({
        TableName: runtime.config.table,
        Key: { pk: { S: `${key.connection}#${key.object}` } },
        ConsistentRead: true,
      }),
    );
    return output.Item ?? {};
  }

  /** Rows of the local lake, as `saddledata query` opens it. */
  async function query(sql: string): Promise<{ rows: Record<string, unknown>[]; mergedSeq?: number }> {
    const lake = await openRuntimeLake(runtime);
    try {
      const rows = (await lake.connection.runAndReadAll(sql)).getRowObjectsJS();
      const mergedSeq = lake.tables.find((info) => info.object === "Account")?.mergedSeq;
      return { rows, ...(mergedSeq === undefined ? {} : { mergedSeq }) };
    } finally {
      lake.close();
    }
  }

  beforeAll(async () => {
    harness = await startHarness();
    runtime = harness.runtime;
    athenaRuntime = { ...runtime, lake: async () => athena };
    await sync("sync-1", "full_refresh");
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it("a DuckDB merge leaves Athena's watermark where it was: Athena then merges the same run", async () => {
    // Act
    const local = await driveMerge(runtime, { runId: "sync-1", object: "Account", catalogKey });
    const afterLocal = await rawItem();
    const deployed = await driveMerge(athenaRuntime, { runId: "sync-1", object: "Account", catalogKey });

    // Assess
    expect(local).toMatchObject({ status: "done", mergedSeq: 1, runs: 1 });
    expect(afterLocal.duckdbMergedSeq).toEqual({ N: "1" });
    expect(afterLocal.mergedSeq).toBeUndefined();
    expect(afterLocal.mergeHolder).toBeUndefined();
    expect(deployed).toMatchObject({ status: "done", mergedSeq: 1, runs: 1 });
    expect(athena.statements).toHaveLength(1);
    expect(athena.statements[0]).toContain("(VALUES ('sync-1', 1))");
    const item = await rawItem();
    expect([item.mergedSeq, item.duckdbMergedSeq]).toEqual([{ N: "1" }, { N: "1" }]);
  });

  it("an Athena merge leaves DuckDB's watermark: status and query show the local table behind, then caught up", async () => {
    // Prepare: a changed account, committed by a second run.
    const org = harness.emulator.org;
    const [account] = [
      ...org.query("SELECT Id FROM Account ORDER BY Name LIMIT 1", { includeDeleted: false }).rows(),
    ];
    const id = account?.id as string;
    org.update("Account", { Id: id, Description: "Merged by both engines, once each." }, "json");
    org.clock.advance(2_000);
    await sync("sync-2", "incremental");

    // Act
    const deployed = await driveMerge(athenaRuntime, { runId: "sync-2", object: "Account", catalogKey });
    const afterDeployed = await runtime.state.get(key);
    const status = await statusReport(harness.env, "test", { loads: 1 });
    const behind = await query(`SELECT description FROM account WHERE id = '${id}'`);
    const local = await driveMerge(runtime, { runId: "sync-2", object: "Account", catalogKey });
    const caughtUp = await query(`SELECT description FROM account WHERE id = '${id}'`);
    const localAgain = await driveMerge(runtime, { runId: "sync-3", object: "Account", catalogKey });
    const deployedAgain = await driveMerge(athenaRuntime, { runId: "sync-3", object: "Account", catalogKey });

    // Assess: Athena merged run 2 alone; DuckDB's table stayed at run 1 until its own merge took run 2.
    expect(deployed).toMatchObject({ status: "done", mergedSeq: 2, runs: 1 });
    expect(athena.statements[1]).toContain("(VALUES ('sync-2', 2))");
    expect(afterDeployed?.lake).toMatchObject({ athena: { mergedSeq: 2 }, duckdb: { mergedSeq: 1 } });
    const row = status.objects.find((object) => object.object === "Account");
    expect(row?.lake).toMatchObject({ commits: 2, merged: 1, others: [{ engine: "athena", merged: 2 }] });
    expect(statusText(status)).toMatch(/^\s*Account .* behind: merged 1\/2; athena 2\/2 /m);
    expect(behind.mergedSeq).toBe(1);
    expect(behind.rows[0]?.description).not.toBe("Merged by both engines, once each.");
    expect(local).toMatchObject({ status: "done", mergedSeq: 2, runs: 1 });
    expect(caughtUp).toEqual({ rows: [{ description: "Merged by both engines, once each." }], mergedSeq: 2 });
    expect(localAgain).toMatchObject({ status: "done", mergedSeq: 2, runs: 0 });
    expect(deployedAgain).toMatchObject({ status: "done", mergedSeq: 2, runs: 0 });
    expect(athena.statements).toHaveLength(2);
    const item = await rawItem();
    expect([item.mergedSeq, item.duckdbMergedSeq]).toEqual([{ N: "2" }, { N: "2" }]);
    const [{ n }] = (await query("SELECT count(*) AS n FROM account")).rows as [{ n: bigint }];
    expect(Number(n)).toBe(org.query("SELECT Id FROM Account", { includeDeleted: false }).totalSize);
  });
});
