import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogStream } from "../../../../../functions/core/catalog";
import { createColumn } from "../../../../../functions/core/formats/extract/lake-batch";
import { lakeColumns } from "../../../../../functions/core/lake/lake-names";
import { catalogField } from "../../../../support/catalog-field";

const encoder = new TextEncoder();

function column(sfType: string) {
  const fields = [catalogField("Value__c", sfType)];
  const [lake] = lakeColumns({ fields, selectFields: ["Value__c"] } as CatalogStream);
  if (lake === undefined) throw new Error("no column");
  return createColumn(lake);
}

/** Pushes each text (as Bulk CSV bytes, inside a larger buffer) and returns the values or the refusals. */
function pushAll(sfType: string, texts: string[]): Array<unknown> {
  const target = column(sfType);
  const results: Array<unknown> = [];
  const pushed: number[] = [];
  for (const [index, text] of texts.entries()) {
    const bytes = encoder.encode(`,${text},`);
    const problem = target.push(bytes, 1, bytes.length - 1, false);
    if (problem === undefined) pushed.push(index);
    results.push(problem === undefined ? undefined : { refused: problem });
  }
  const values = target.values();
  for (const [row, index] of pushed.entries()) results[index] = values[row];
  return results;
}

describe("LakeBatch columns", () => {
  it("reads every decimal spelling of a double as the same double Number() gives", () => {
    const spelling = fc
      .tuple(
        fc.boolean(),
        fc.stringMatching(/^[0-9]{1,18}$/),
        fc.option(fc.stringMatching(/^[0-9]{1,12}$/), { nil: undefined }),
      )
      .map(
        ([negative, integer, fraction]) =>
          `${negative ? "-" : ""}${integer}${fraction === undefined ? "" : `.${fraction}`}`,
      );
    fc.assert(
      fc.property(fc.array(spelling, { minLength: 1, maxLength: 50 }), (texts) => {
        const values = pushAll("double", texts);
        for (const [index, text] of texts.entries())
          expect(Object.is(values[index], Number(text))).toBe(true);
      }),
      { numRuns: 300 },
    );
    // The spellings the fast path leaves to the general one still read, or are refused.
    expect(pushAll("double", ["1e-7", "-0", "1.", ".5", "+2", "0.1", "12345678901234567890.5"])).toEqual([
      1e-7,
      -0,
      1,
      0.5,
      2,
      0.1,
      Number("12345678901234567890.5"),
    ]);
    expect(pushAll("double", ["1-2", "--1", "1.2.3", "0x10"])).toEqual(
      ["1-2", "--1", "1.2.3", "0x10"].map((text) => ({ refused: `'${text}' is not a number` })),
    );
  });

  it("reads every canonical datetime as its instant and refuses impossible times", () => {
    const instant = fc.date({
      min: new Date("0001-01-01T00:00:00.000Z"),
      max: new Date("9999-12-31T23:59:59.999Z"),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(fc.array(instant, { minLength: 1, maxLength: 50 }), (dates) => {
        const values = pushAll(
          "datetime",
          dates.map((date) => date.toISOString()),
        );
        expect(values).toEqual(dates.map((date) => date.getTime()));
      }),
      { numRuns: 200 },
    );
    const wrong = [
      "2024-04-16T24:00:00.000Z",
      "2024-04-16T23:60:00.000Z",
      "2024-04-16T23:59:60.000Z",
      "2024-04-16T2x:00:00.000Z",
      "2024-04-16T10:00:00.0a0Z",
      "2024-02-30T10:00:00.000Z",
    ];
    for (const [index, value] of pushAll("datetime", wrong).entries()) {
      expect(value, wrong[index]).toEqual({ refused: expect.stringContaining("is not a datetime") });
    }
  });
});
