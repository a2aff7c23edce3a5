/**
 * Parsing of the date, datetime and time texts Salesforce accepts (ISO-8601 forms), shared by DML
 * input coercion and SOQL literals. Canonical forms: date `YYYY-MM-DD`, datetime epoch ms (UTC),
 * time `HH:mm:ss.SSSZ`.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z?$/i;

function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= days;
}

/** `YYYY-MM-DD` when `text` is a real calendar date in that form, else undefined. */
export function parseDate(text: string): string | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  return validDate(Number(match[1]), Number(match[2]), Number(match[3])) ? text : undefined;
}

/**
 * Epoch ms of an ISO-8601 datetime (`2024-01-31T10:00:00Z`, `…00.000Z`, `…+01:00`, `…+0100`); a
 * missing zone means UTC. Undefined when the text is not such a datetime.
 */
export function parseDateTime(text: string, options: { requireZone?: boolean } = {}): number | undefined {
  const match = DATETIME.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (!validDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined;
  if (zone === undefined && options.requireZone) return undefined;
  const ms = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"));
  let offsetMinutes = 0;
  if (zone !== undefined && zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const zh = Number(digits.slice(0, 2));
    const zm = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (zh > 14 || zm > 59) return undefined;
    offsetMinutes = sign * (zh * 60 + zm);
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  return utc - offsetMinutes * 60_000;
}

/** `HH:mm:ss.SSSZ` for a time text, else undefined. */
export function parseTime(text: string): string | undefined {
  const match = TIME.exec(text);
  if (!match) return undefined;
  const [, h, m, s, fraction] = match;
  if (Number(h) > 23 || Number(m) > 59 || Number(s ?? 0) > 59) return undefined;
  return `${h}:${m}:${s ?? "00"}.${(fraction ?? "").padEnd(3, "0")}Z`;
}

/** `YYYY-MM-DD` of an epoch ms in UTC. */
export function dateOf(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** Whole days from date `from` to date `to` (both `YYYY-MM-DD`). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
