import { describe, expect, it } from "vitest";
import type { CatalogStream } from "../../../../functions/core/catalog";
import { buildHistorySelect } from "../../../../functions/core/lake/history-sql";
import { openDuckDb } from "../../../../local/lake/duckdb-engine";
import { demoStream, smallStream } from "../../../support/lake-streams";

/** The small stream with Name as a formula field. */
function stream(): CatalogStream {
  const base = smallStream();
  return {
    ...base,
    fields: base.fields.map((field) => (field.name === "Name" ? { ...field, calculated: true } : field)),
  };
}

const COLUMNS =
  "id string, isdeleted boolean, name string, amount__c decimal(18,2), employees__c bigint, since__c date, systemmodstamp timestamp, _origin string, run string";

describe("the history SQL", () => {
  it("is this text for the demo Invoice__c stream (golden)", async () => {
    // Act
    const sql = buildHistorySelect(demoStream("Invoice__c"));

    // Assess
    await expect(`${sql}\n`).toMatchFileSnapshot("./golden/invoice-history.sql");
  });

  it("makes one version per change: updates, a formula refresh, a backfill, a soft delete, a logged delete", async () => {
    // Prepare: A updated twice (its first version landed twice by overlapping windows), its formula
    // refreshed (then refreshed again, unchanged), then soft-deleted; B hard-deleted; C backfilled.
    const db = await openDuckDb();
    const run = (sql: string) => db.connection.run(sql);
    try {
      await run(`CREATE TABLE thing__c_changes (${COLUMNS})`);
      await run(`INSERT INTO thing__c_changes VALUES
        ('A', false, 'v1', 1.00, 1, NULL, TIMESTAMP '2026-03-01 10:00:00', NULL, 'r1'),
        ('A', false, 'v1', 1.00, 1, NULL, TIMESTAMP '2026-03-01 10:00:00', NULL, 'r2'),
        ('A', false, 'v2', 2.00, 1, NULL, TIMESTAMP '2026-03-01 11:00:00', NULL, 'r2'),
        ('A', NULL, 'v2 formula', NULL, NULL, NULL, TIMESTAMP '2026-03-01 12:00:00', 'formula', 'r3'),
        ('A', NULL, 'v2 formula', NULL, NULL, NULL, TIMESTAMP '2026-03-01 13:00:00', 'formula', 'r4'),
        ('A', true, 'v2 formula', 2.00, 1, NULL, TIMESTAMP '2026-03-01 14:00:00', NULL, 'r5'),
        ('B', false, 'b', 3.00, 3, NULL, TIMESTAMP '2026-03-01 10:00:00', NULL, 'r1'),
        ('B', true, NULL, NULL, NULL, NULL, TIMESTAMP '2026-03-01 12:30:00', 'getDeleted', 'r3'),
        ('C', false, 'c', NULL, 4, NULL, TIMESTAMP '2026-03-01 10:00:00', NULL, 'r1'),
        ('C', NULL, NULL, 5.00, NULL, NULL, TIMESTAMP '2026-03-01 12:00:00', 'backfill', 'r3')`);

      // Act
      const rows = (
        await db.connection.runAndReadAll(
          `SELECT id, name, CAST(amount__c AS VARCHAR) AS amount, CAST(systemmodstamp AS VARCHAR) AS stamp,
             CAST(valid_from AS VARCHAR) AS "from", CAST(valid_to AS VARCHAR) AS "to", is_deleted
           FROM (${buildHistorySelect(stream())}) ORDER BY id, valid_from`,
        )
      ).getRowObjectsJS();

      // Assess
      const version = (
        id: string,
        name: string | null,
        amount: string | null,
        stamp: string,
        from: string,
        to: string | null,
        deleted: boolean,
      ) => ({
        id,
        name,
        amount,
        stamp: `2026-03-01 ${stamp}`,
        from: `2026-03-01 ${from}`,
        to: to === null ? null : `2026-03-01 ${to}`,
        is_deleted: deleted,
      });
      expect(rows).toEqual([
        version("A", "v1", "1.00", "10:00:00", "10:00:00", "11:00:00", false),
        version("A", "v2", "2.00", "11:00:00", "11:00:00", "12:00:00", false),
        version("A", "v2 formula", "2.00", "11:00:00", "12:00:00", "14:00:00", false),
        version("A", "v2 formula", "2.00", "14:00:00", "14:00:00", null, true),
        version("B", "b", "3.00", "10:00:00", "10:00:00", "12:30:00", false),
        version("B", "b", "3.00", "10:00:00", "12:30:00", null, true),
        version("C", "c", null, "10:00:00", "10:00:00", "12:00:00", false),
        version("C", "c", "5.00", "10:00:00", "12:00:00", null, false),
      ]);
    } finally {
      db.close();
    }
  });

  it("refuses a stream without a cursor field", () => {
    // Act & Assess
    expect(() => buildHistorySelect({ ...smallStream(), cursorField: null })).toThrow(/no history table/);
  });
});
