// functions/core/formats/: value text both directions share (decimals, datetimes)
/**
 * Decimal numbers as text. Salesforce values (currency(18,2), long ids beyond 2^53) must keep every
 * digit, so numbers are normalized by moving digits and the decimal point, never through a float.
 */

/** value = (negative ? -1 : 1) × digits × 10^exponent; `digits` has no leading or trailing zeros ("0" for zero). */
export interface DecimalParts {
  negative: boolean;
  digits: string;
  exponent: number;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,9}))?$/;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Parses `12`, `-1.50`, `.5`, `5.`, `+5`, `1.6E13`, `2e-3`; undefined for anything else (NaN, spaces, `1,000`). */
export function parseDecimal(text: string): DecimalParts | undefined {
  const m = DECIMAL.exec(text);
  if (m === null) return undefined;
  const intPart = m[2] ?? "";
  const fracPart = m[3] ?? "";
  if (intPart.length === 0 && fracPart.length === 0) return undefined;
  let digits = intPart + fracPart;
  let exponent = (m[4] === undefined ? 0 : Number(m[4])) - fracPart.length;
  let lead = 0;
  while (lead < digits.length - 1 && digits.charCodeAt(lead) === 0x30) lead++;
  digits = digits.slice(lead);
  if (digits === "0") return { negative: false, digits, exponent: 0 };
  let trail = digits.length;
  while (digits.charCodeAt(trail - 1) === 0x30) trail--;
  exponent += digits.length - trail;
  digits = digits.slice(0, trail);
  return { negative: m[1] === "-", digits, exponent };
}

/** Number of digits before the decimal point (0 for values below 1). */
export function integerDigitCount(parts: DecimalParts): number {
  if (parts.digits === "0") return 0;
  return Math.max(0, parts.digits.length + parts.exponent);
}

/**
 * Plain decimal text without exponent (`1.6147805824397E13` → `16147805824397`, `2e-3` → `0.002`), or
 * undefined when that would need more than `maxLength` characters.
 */
export function toPlainDecimal(parts: DecimalParts, maxLength = 400): string | undefined {
  const { digits, exponent } = parts;
  const sign = parts.negative ? "-" : "";
  let body: string;
  if (exponent >= 0) {
    if (digits.length + exponent > maxLength) return undefined;
    body = digits === "0" ? "0" : digits + "0".repeat(exponent);
  } else {
    const point = digits.length + exponent;
    if (Math.max(digits.length, -exponent) + 2 > maxLength) return undefined;
    body =
      point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${"0".repeat(-point)}${digits}`;
  }
  return sign + body;
}

/** Integer text when the value is whole (`23.0` → `23`, `1.5E3` → `1500`), else undefined. */
export function toIntegerText(parts: DecimalParts, maxDigits = 40): string | undefined {
  if (parts.exponent < 0) return undefined;
  if (parts.digits.length + parts.exponent > maxDigits) return undefined;
  return toPlainDecimal(parts, maxDigits + 1);
}

export function isJsonNumberText(text: string): boolean {
  return JSON_NUMBER.test(text);
}

/**
 * A valid JSON number for a decimal written any common way: text that already is one is kept as
 * written (digits untouched); other forms (`.5`, `5.`, `+5`, `1.E5`) are rewritten. Undefined for
 * non-numbers, `NaN` and `Infinity`.
 */
export function toJsonNumberText(text: string): string | undefined {
  if (JSON_NUMBER.test(text)) return text;
  const parts = parseDecimal(text);
  if (parts === undefined) return undefined;
  const plain = toPlainDecimal(parts, 64);
  if (plain !== undefined) return plain;
  return `${parts.negative ? "-" : ""}${parts.digits}e${parts.exponent}`;
}
