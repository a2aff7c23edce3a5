/**
 * Bulk's date and datetime text read as bytes, for both extract writers: `YYYY-MM-DD` and the
 * canonical `YYYY-MM-DDTHH:mm:ss.SSSZ` checked (a real calendar day, a real time), then, for the
 * Parquet columns, their day and milliseconds. Other spellings take the string path (datetime-text).
 */
import { daysFromCivil, isValidYmd } from "../datetime-text";

/** The digit value of `bytes[p]`, or a number above 9 when it is not a digit (callers check `< 10`). */
export function digit(bytes: Uint8Array, p: number): number {
  return ((bytes[p] as number) - 0x30) >>> 0;
}

/** `YYYY-MM-DD` with a real calendar day; `bytes[a, a + 10)` must be in range. */
export function isDate(bytes: Uint8Array, a: number): boolean {
  if (bytes[a + 4] !== 0x2d || bytes[a + 7] !== 0x2d) return false;
  const y1 = digit(bytes, a);
  const y2 = digit(bytes, a + 1);
  const y3 = digit(bytes, a + 2);
  const y4 = digit(bytes, a + 3);
  const m1 = digit(bytes, a + 5);
  const m2 = digit(bytes, a + 6);
  const d1 = digit(bytes, a + 8);
  const d2 = digit(bytes, a + 9);
  if (y1 > 9 || y2 > 9 || y3 > 9 || y4 > 9 || m1 > 9 || m2 > 9 || d1 > 9 || d2 > 9) return false;
  const month = m1 * 10 + m2;
  const day = d1 * 10 + d2;
  if (day === 0 || month === 0 || month > 12) return false;
  if (day <= 28) return true;
  return isValidYmd(y1 * 1000 + y2 * 100 + y3 * 10 + y4, month, day);
}

/** `YYYY-MM-DDTHH:mm:ss.SSSZ`, the form Bulk writes and the connector keeps; `bytes[a, a + 24)` in range. */
export function isCanonicalDateTime(bytes: Uint8Array, a: number): boolean {
  if (bytes[a + 10] !== 0x54 || bytes[a + 13] !== 0x3a || bytes[a + 16] !== 0x3a || bytes[a + 19] !== 0x2e) {
    return false;
  }
  if (bytes[a + 23] !== 0x5a || !isDate(bytes, a)) return false;
  const h1 = digit(bytes, a + 11);
  const h2 = digit(bytes, a + 12);
  const n1 = digit(bytes, a + 14);
  const n2 = digit(bytes, a + 15);
  const s1 = digit(bytes, a + 17);
  const s2 = digit(bytes, a + 18);
  if (
    h2 > 9 ||
    n2 > 9 ||
    s2 > 9 ||
    digit(bytes, a + 20) > 9 ||
    digit(bytes, a + 21) > 9 ||
    digit(bytes, a + 22) > 9
  ) {
    return false;
  }
  return h1 * 10 + h2 < 24 && n1 < 6 && s1 < 6;
}

/** Days since 1970-01-01 of a date `isDate` accepted at `bytes[a]`. */
export function epochDayOf(bytes: Uint8Array, a: number): number {
  const year =
    digit(bytes, a) * 1000 + digit(bytes, a + 1) * 100 + digit(bytes, a + 2) * 10 + digit(bytes, a + 3);
  const month = digit(bytes, a + 5) * 10 + digit(bytes, a + 6);
  return daysFromCivil(year, month, digit(bytes, a + 8) * 10 + digit(bytes, a + 9));
}

/** Milliseconds into its day of a datetime `isCanonicalDateTime` accepted at `bytes[a]` (a small integer). */
export function timeOfDayMs(bytes: Uint8Array, a: number): number {
  const hours = digit(bytes, a + 11) * 10 + digit(bytes, a + 12);
  const minutes = digit(bytes, a + 14) * 10 + digit(bytes, a + 15);
  const seconds = digit(bytes, a + 17) * 10 + digit(bytes, a + 18);
  const millis = digit(bytes, a + 20) * 100 + digit(bytes, a + 21) * 10 + digit(bytes, a + 22);
  return hours * 3_600_000 + minutes * 60_000 + seconds * 1000 + millis;
}
