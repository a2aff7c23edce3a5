import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParallelGzip } from "../../../../../functions/core/formats/extract/parallel-gzip";

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

describe("ParallelGzip", () => {
  it("produces one gzip file whose members decompress to the input, in order", async () => {
    // Prepare: distinct content per block, so any reordering shows.
    const input = new TextEncoder().encode(
      Array.from({ length: 5000 }, (_, k) => `{"Id":"${k}","Name":"row ${k}"}\n`).join(""),
    );
    const gzip = new ParallelGzip({ blockBytes: 4096, concurrency: 3 });

    // Act
    const members: Uint8Array[] = [];
    for (let p = 0; p < input.length; p += 1000)
      members.push(...(await gzip.write(input.subarray(p, p + 1000))));
    members.push(...(await gzip.end()));

    // Assess
    const file = concat(members);
    expect(new Uint8Array(gunzipSync(file))).toEqual(input);
    expect(members.length).toBe(Math.ceil(input.length / 4096));
    expect(gzip.totals).toEqual({ input: input.length, output: file.length });
  });

  it("copies what it is given and never writes to a member it handed out", async () => {
    // Prepare: the caller refills one buffer after every write, as the extract's converter does.
    const rows = Array.from({ length: 3000 }, (_, k) => `{"Id":"${k}","Name":"row ${k}"}\n`);
    const scratch = new Uint8Array(64);
    const encoder = new TextEncoder();
    const gzip = new ParallelGzip({ blockBytes: 1024, concurrency: 2 });

    // Act: members are kept, unread, until the end, while blocks are filled and compressed again.
    const members: Uint8Array[] = [];
    for (const row of rows) {
      const { written } = encoder.encodeInto(row, scratch);
      members.push(...(await gzip.write(scratch.subarray(0, written))));
      scratch.fill(0x7e);
    }
    members.push(...(await gzip.end()));

    // Assess
    expect(new TextDecoder().decode(gunzipSync(concat(members)))).toBe(rows.join(""));
    expect(members.length).toBeGreaterThan(20);
  });

  it("writes a valid empty gzip file for no input", async () => {
    const gzip = new ParallelGzip();

    const file = concat(await gzip.end());

    expect(file.length).toBeGreaterThan(0);
    expect(gunzipSync(file).length).toBe(0);
  });

  it("round-trips arbitrary bytes for arbitrary block sizes and writes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 4 }),
        async (writes, blockBytes, concurrency) => {
          const gzip = new ParallelGzip({ blockBytes, concurrency });
          const members: Uint8Array[] = [];
          for (const w of writes) members.push(...(await gzip.write(w)));
          members.push(...(await gzip.end()));

          expect(new Uint8Array(gunzipSync(concat(members)))).toEqual(concat(writes));
        },
      ),
      { numRuns: 100 },
    );
  });
});
