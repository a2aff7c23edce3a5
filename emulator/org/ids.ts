/**
 * Salesforce record Ids. A 15-character Id is the object's 3-character key prefix, a 2-character pod,
 * a reserved `0` and a 9-digit base-62 counter; it is case-sensitive. The 18-character form appends a
 * checksum that encodes, for each 5-character chunk, which characters are upper-case letters, so the
 * 18-character form survives case-insensitive handling.
 */

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
const COUNTER_DIGITS = 9;
const ID_PATTERN = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

function isUpper(code: number): boolean {
  return code >= 65 && code <= 90;
}

/** The 3-character case-safe suffix of a 15-character Id. */
export function checksum(id15: string): string {
  let out = "";
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let j = 0; j < 5; j++) {
      if (isUpper(id15.charCodeAt(chunk * 5 + j))) bits |= 1 << j;
    }
    out += SUFFIX[bits];
  }
  return out;
}

export function encodeBase62(value: number, width: number): string {
  let out = "";
  let rest = Math.floor(value);
  while (rest > 0) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(width, "0");
}

export function decodeBase62(text: string): number | undefined {
  let value = 0;
  for (const char of text) {
    const digit = BASE62.indexOf(char);
    if (digit < 0) return undefined;
    value = value * 62 + digit;
  }
  return value;
}

/** Build an 18-character Id from its parts. */
export function makeId(keyPrefix: string, pod: string, counter: number): string {
  const id15 = `${keyPrefix}${pod}0${encodeBase62(counter, COUNTER_DIGITS)}`;
  return id15 + checksum(id15);
}

/**
 * The canonical 18-character form of a 15- or 18-character Id, or undefined when the text is not an
 * Id. An 18-character Id is read case-insensitively: its suffix restores the case of the first 15.
 */
export function normalizeId(text: string): string | undefined {
  if (!ID_PATTERN.test(text)) return undefined;
  if (text.length === 15) return text + checksum(text);
  const suffix = text.slice(15).toUpperCase();
  let restored = "";
  for (let chunk = 0; chunk < 3; chunk++) {
    const bits = SUFFIX.indexOf(suffix.charAt(chunk));
    if (bits < 0) return undefined;
    for (let j = 0; j < 5; j++) {
      const char = text.charAt(chunk * 5 + j);
      restored += bits & (1 << j) ? char.toUpperCase() : char.toLowerCase();
    }
  }
  // A suffix that marks a digit as upper case cannot come from any real Id.
  if (checksum(restored) !== suffix) return undefined;
  return restored + suffix;
}

/** The parts of a canonical Id. */
export function parseId(id18: string): { keyPrefix: string; pod: string; counter: number } | undefined {
  const counter = decodeBase62(id18.slice(6, 15));
  if (counter === undefined) return undefined;
  return { keyPrefix: id18.slice(0, 3), pod: id18.slice(3, 5), counter };
}

export function isIdLike(text: string): boolean {
  return ID_PATTERN.test(text);
}
