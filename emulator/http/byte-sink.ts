/**
 * Writing CSV cells straight into a growable byte buffer: quoted, escaped UTF-8 with no intermediate
 * strings, for output that runs to millions of rows (Bulk query results, ingest result files).
 */

/** A buffer written at `pos`, grown by `ensure`. */
export interface ByteSink {
  buf: Buffer;
  pos: number;
  ensure(count: number): void;
}

const QUOTE = 0x22;

/** A reusable sink: fill it, `take()` a copy of what was written, fill it again. */
export class ByteScratch implements ByteSink {
  buf: Buffer;
  pos = 0;

  constructor(initialBytes = 1024 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  ensure(count: number): void {
    if (this.pos + count <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + count));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** A copy of the bytes written since the last take (the scratch is then reused). */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}

/** Plain ASCII text, unquoted. */
export function writeAscii(out: ByteSink, text: string): void {
  out.ensure(text.length);
  const buf = out.buf;
  let p = out.pos;
  for (let i = 0; i < text.length; i++) buf[p++] = text.charCodeAt(i);
  out.pos = p;
}

export function writeBytes(out: ByteSink, bytes: Uint8Array): void {
  out.ensure(bytes.length);
  const buf = out.buf;
  let p = out.pos;
  for (let i = 0; i < bytes.length; i++) buf[p++] = bytes[i] as number;
  out.pos = p;
}

/** A double-quoted field with embedded quotes doubled, UTF-8 encoded in place. */
export function writeQuoted(out: ByteSink, text: string): void {
  out.ensure(text.length * 3 + 4);
  const buf = out.buf;
  let p = out.pos;
  buf[p++] = QUOTE;
  // Buffer#write encodes faster than a per-character loop, even for short strings.
  p += buf.write(text.indexOf('"') === -1 ? text : text.replaceAll('"', '""'), p, "utf8");
  buf[p++] = QUOTE;
  out.pos = p;
}
