/**
 * Hashed fields (settings `hashFields`): a value lands as HMAC-SHA-256 of its text (UTF-8) keyed by the
 * connection's `hashKey` (UTF-8), in lower-case hex. The text is what Salesforce sends: a Bulk CSV field
 * as written, a REST value as its JSON text for numbers and booleans. Null and empty stay null. The same
 * key and value always give the same hash, so joins on a hashed column still work, and without the key
 * nobody can recompute one.
 */
import { createHmac } from "node:crypto";

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
