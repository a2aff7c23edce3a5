/**
 * Hashed fields (settings `hashFields`): a value lands as HMAC-SHA-256 of its text (UTF-8) keyed by the
 * connection's `hashKey` (UTF-8), in lower-case hex. The text is the value as Salesforce sends it, put
 * in one form whichever API read it (hashedText): numbers as plain decimals without trailing zeros
 * (`12.5`, not Bulk's `12.50`), datetimes as ISO-8601 UTC (`…T19:00:00.000Z`, not REST's `+0000`).
 * Null and empty stay null. The same key and value always give the same hash, so joins on a hashed
 * column still work, and without the key nobody can recompute one.
 */
import { createHmac } from "node:crypto";
import { normalizeDateTime } from "../datetime-text";
import { parseDecimal, toPlainDecimal } from "../decimal-text";

export type FieldHasher = (text: string) => string;

export function fieldHasher(key: string): FieldHasher {
  return (text) => createHmac("sha256", key).update(text, "utf8").digest("hex");
}

const decoder = new TextDecoder();

/** The text of a CSV field `bytes[a, b)` (`escaped`: doubled quotes inside, collapsed here). */
export function fieldText(bytes: Uint8Array, a: number, b: number, escaped: boolean): string {
  const text = decoder.decode(bytes.subarray(a, b));
  return escaped ? text.replaceAll('""', '"') : text;
}

const NUMBER_TYPES = new Set(["int", "long", "double", "currency", "percent"]);

/** The text a value of `sfType` is hashed as: one form for one value, from Bulk CSV or REST alike. */
export function hashedText(sfType: string, text: string): string {
  if (NUMBER_TYPES.has(sfType)) {
    const parts = parseDecimal(text);
    return (parts === undefined ? undefined : toPlainDecimal(parts)) ?? text;
  }
  if (sfType === "datetime") {
    const result = normalizeDateTime(text);
    return result.ok ? result.value : text;
  }
  return text;
}
