/**
 * Salesforce-shaped ids for what the HTTP layer creates itself (Bulk job ids `750…`, query cursor ids
 * `01g…`): 15 characters (key prefix, instance, base-62 counter) plus the 3-character case-safe suffix.
 */
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/** The 18-character form of a 15-character Id. */
export function caseSafeId(id15: string): string {
  let suffix = "";
  for (let chunk = 0; chunk < 3; chunk++) {
    let mask = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) mask |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[mask];
  }
  return id15 + suffix;
}

/** True when `id` has the shape of a 15- or 18-character Salesforce Id. */
export function looksLikeId(id: string): boolean {
  return (id.length === 15 || id.length === 18) && /^[a-zA-Z0-9]+$/.test(id);
}

/** Issues increasing 18-character ids with a fixed key prefix, e.g. `750`. */
export class IdSequence {
  private counter = 0;

  constructor(
    private readonly keyPrefix: string,
    private readonly instance = "Dm",
  ) {}

  next(): string {
    this.counter += 1;
    let n = this.counter;
    let digits = "";
    const width = 15 - this.keyPrefix.length - this.instance.length;
    for (let i = 0; i < width; i++) {
      digits = BASE62[n % 62] + digits;
      n = Math.floor(n / 62);
    }
    return caseSafeId(this.keyPrefix + this.instance + digits);
  }
}
