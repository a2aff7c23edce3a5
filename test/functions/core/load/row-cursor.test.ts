import { describe, expect, it } from "vitest";
import { RowCursor, type SourceItem } from "../../../../functions/core/load/row-cursor";

function valid(index: number): SourceItem {
  return { ok: true, row: { index, line: index + 2, values: [`v${index}`] } };
}

function invalid(index: number): SourceItem {
  return { ok: false, reject: { index, line: index + 2, reason: "bad", raw: [] } };
}

async function* batches(...groups: SourceItem[][]): AsyncGenerator<SourceItem[]> {
  yield* groups;
}

describe("row cursor", () => {
  it("walks valid rows across batches, passing over invalid ones, and tracks the position", async () => {
    // Prepare
    const cursor = new RowCursor(
      batches([valid(3), invalid(4)], [], [invalid(5), valid(6)], [invalid(7)]),
      3,
    );

    // Act
    const first = await cursor.nextValid();
    const afterFirst = cursor.position;
    const peeked = await cursor.peekValid();
    const beforeTake = cursor.position;
    cursor.take();
    const exhausted = await cursor.exhausted();

    // Assess
    expect(first?.index).toBe(3);
    expect(afterFirst).toBe(4);
    expect(peeked?.index).toBe(6);
    expect(beforeTake).toBe(6);
    expect(cursor.position).toBe(8);
    expect(exhausted).toBe(true);
  });

  it("keeps a peeked row for the next taker", async () => {
    // Prepare
    const cursor = new RowCursor(batches([valid(0), valid(1)]), 0);

    // Act
    const a = await cursor.peekValid();
    const b = await cursor.peekValid();
    const taken = await cursor.nextValid();

    // Assess
    expect(a).toBe(b);
    expect(taken).toBe(a);
    expect((await cursor.nextValid())?.index).toBe(1);
    expect(await cursor.nextValid()).toBeUndefined();
    expect(() => cursor.take()).toThrow(/without a peeked item/);
  });
});
