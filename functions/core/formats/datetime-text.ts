/**
 * Dates, datetimes and times as text, validated and normalized without `Date` parsing quirks (two-digit
 * years, local time zones). Salesforce writes datetimes as `2024-04-16T19:00:00.000Z` (Bulk) or
 * `…+0000` (REST); the connector writes `YYYY-MM-DDTHH:mm:ss.SSSZ` everywhere.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz])?$/;

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function isValidYmd(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (valid for any year ≥ 0). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

/** `YYYY-MM-DD` with a real calendar day. */
export function isValidDateText(text: string): boolean {
  const m = DATE.exec(text);
  return m !== null && isValidYmd(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** The number written by the `count` ASCII digits at `at`, or -1 if one of them is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let k = at; k < at + count; k++) {
    const d = text.charCodeAt(k) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/**
 * `YYYY-MM-DDTHH:mm:ss.SSSZ`, the form normalizeDateTime writes, checked without a regular expression
 * (the usual datetime of a file is in it already, and is then its own normal form).
 */
function isCanonicalDateTime(text: string): boolean {
  if (
    text.length !== 24 ||
    text.charCodeAt(4) !== 0x2d ||
    text.charCodeAt(7) !== 0x2d ||
    text.charCodeAt(10) !== 0x54 ||
    text.charCodeAt(13) !== 0x3a ||
    text.charCodeAt(16) !== 0x3a ||
    text.charCodeAt(19) !== 0x2e ||
    text.charCodeAt(23) !== 0x5a
  ) {
    return false;
  }
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  return (
    year >= 0 &&
    isValidYmd(year, month, day) &&
    hour >= 0 &&
    hour <= 23 &&
    minute >= 0 &&
    minute <= 59 &&
    second >= 0 &&
    second <= 59 &&
    digitsAt(text, 20, 3) >= 0
  );
}

export interface DateTimeOptions {
  /** Read a datetime without `Z` or offset as UTC instead of rejecting it. */
  assumeUtc?: boolean;
}

export type DateTimeResult = { ok: true; value: string } | { ok: false; reason: "format" | "no-zone" };

/**
 * Normalizes `2024-04-16T19:00:00.000Z`, `…+0000`, `…+05:30`, `…-07`, `2024-04-16 19:00`, fractions of
 * any length (truncated to ms) to `YYYY-MM-DDTHH:mm:ss.SSSZ` in UTC.
 */
export function normalizeDateTime(text: string, options: DateTimeOptions = {}): DateTimeResult {
  if (isCanonicalDateTime(text)) return { ok: true, value: text };
  const m = DATETIME.exec(text);
  if (m === null) return { ok: false, reason: "format" };
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
  if (!isValidYmd(year, month, day) || hour > 23 || minute > 59 || second > 59) {
    return { ok: false, reason: "format" };
  }
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = m[11] === undefined ? 0 : Number(m[11]);
    if (oh > 23 || om > 59) return { ok: false, reason: "format" };
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  } else if (m[8] === undefined && options.assumeUtc !== true) {
    return { ok: false, reason: "no-zone" };
  }
  if (offsetMinutes === 0) {
    return {
      ok: true,
      value: `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${pad(second, 2)}.${pad(ms, 3)}Z`,
    };
  }
  const minutesOfDay = hour * 60 + minute - offsetMinutes;
  const dayShift = Math.floor(minutesOfDay / 1440);
  const rest = minutesOfDay - dayShift * 1440;
  const [y, mo, d] = civilFromDays(daysFromCivil(year, month, day) + dayShift);
  if (y < 0 || y > 9999) return { ok: false, reason: "format" };
  return {
    ok: true,
    value: `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(Math.floor(rest / 60), 2)}:${pad(rest % 60, 2)}:${pad(second, 2)}.${pad(ms, 3)}Z`,
  };
}

/** `HH:mm`, `HH:mm:ss`, `HH:mm:ss.SSS`, optional `Z` → `HH:mm:ss.SSSZ` (Salesforce's time form). */
export function normalizeTime(text: string): string | undefined {
  const m = TIME.exec(text);
  if (m === null) return undefined;
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  const second = m[3] === undefined ? 0 : Number(m[3]);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = m[4] === undefined ? "000" : m[4].slice(0, 3).padEnd(3, "0");
  return `${m[1]}:${m[2]}:${pad(second, 2)}.${ms}Z`;
}
