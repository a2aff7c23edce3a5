/**
 * UTF-8 checks for byte input. Node's `isUtf8` (SIMD) answers the common "is it all valid" question
 * fast; when it says no, `findInvalidUtf8` locates the first bad byte so the error can name a line.
 */
import { isUtf8 } from "node:buffer";

/** True when `bytes[start, end)` is well-formed UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF). */
export function isValidUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  if (start >= end) return true;
  return isUtf8(bytes.subarray(start, end));
}

/**
 * Offset of the first byte in `bytes[start, end)` that starts an invalid UTF-8 sequence, or -1.
 * A sequence cut off by `end` counts as invalid: callers pass whole rows or whole files.
 */
export function findInvalidUtf8(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
      cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
      cp = b & 0x07;
    } else {
      return i;
    }
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || i + k >= end || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}
