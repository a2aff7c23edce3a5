import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { id18, sameValue } from "../../../../../functions/core/formats/load/same-value";
import { isFailure, toSalesforceText } from "../../../../../functions/core/formats/load/values";
import { catalogField } from "../../../../support/catalog-field";

const currency = catalogField("Amount__c", "currency", { precision: 18, scale: 2 });
const double = catalogField("Ratio__c", "double", { precision: 18, scale: 2 });
const long = catalogField("Big__c", "long");
const when = catalogField("When__c", "datetime");
const day = catalogField("Day__c", "date");
const time = catalogField("At__c", "time");
const flag = catalogField("Flag__c", "boolean");
const multi = catalogField("Tags__c", "multipicklist");
const ref = catalogField("AccountId", "reference");
const name = catalogField("Name", "string");

/** What the load sends for a file's cell (toSalesforceText), as the comparison receives it. */
function sent(field: ReturnType<typeof catalogField>, raw: string): string | null {
  const text = toSalesforceText(field, raw, "csv");
  if (isFailure(text) || text === undefined) throw new Error(`${raw} does not load into ${field.name}`);
  return text;
}

/** A decimal as digits and a scale: value = digits / 10^scale. */
const decimal = fc.record({
  digits: fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
  scale: fc.integer({ min: 0, max: 2 }),
});

function plain({ digits, scale }: { digits: bigint; scale: number }): string {
  const negative = digits < 0n;
  const text = (negative ? -digits : digits).toString().padStart(scale + 1, "0");
  const body = scale === 0 ? text : `${text.slice(0, -scale)}.${text.slice(-scale)}`;
  return `${negative ? "-" : ""}${body}`;
}

describe("sameValue: the load's value against the record's current one", () => {
  it("compares numbers by value whatever the spelling: trailing zeros, exponents, JS numbers, bigints", () => {
    fc.assert(
      fc.property(decimal, fc.integer({ min: 0, max: 3 }), (value, zeros) => {
        const text = plain(value);
        const file = sent(currency, `${text}${value.scale > 0 ? "0".repeat(zeros) : ""}`);
        // The lake's and the org's spellings of the same value.
        const scaled = `${value.digits}e-${value.scale}`;
        expect(sameValue(currency, file, text)).toBe(true);
        expect(sameValue(currency, file, scaled)).toBe(true);
        expect(sameValue(currency, file, `${text}${value.scale === 0 ? ".00" : "0"}`)).toBe(true);
        const asNumber = Number(text);
        if (
          plain({ digits: BigInt(Math.round(asNumber * 10 ** value.scale)), scale: value.scale }) === text
        ) {
          expect(sameValue(currency, file, asNumber)).toBe(true);
        }
        // One unit of the last decimal away is a change.
        expect(sameValue(currency, file, plain({ ...value, digits: value.digits + 1n }))).toBe(false);
      }),
      { numRuns: 300 },
    );
    expect(sameValue(double, sent(double, "1.0"), 1)).toBe(true);
    expect(sameValue(double, sent(double, "16147805824397"), "1.6147805824397E13")).toBe(true);
    expect(sameValue(double, sent(double, "0.1"), 0.1)).toBe(true);
    expect(sameValue(double, sent(double, "-0"), 0)).toBe(true);
    expect(sameValue(long, sent(long, "9223372036854775807"), 9223372036854775807n)).toBe(true);
    // Past 2^53 a double is not the value: 9223372036854775807 is not 9223372036854775808.
    expect(sameValue(long, sent(long, "9223372036854775807"), 2 ** 63)).toBe(false);
    expect(sameValue(double, sent(double, "1"), "one")).toBe(false);
  });

  it("compares datetimes by instant, whatever the time zone or spelling", () => {
    const instant = fc.date({
      min: new Date("1700-01-01T00:00:00.000Z"),
      max: new Date("3999-12-31T23:59:59.999Z"),
      noInvalidDate: true,
    });
    const offset = fc.integer({ min: -14 * 60, max: 14 * 60 });
    fc.assert(
      fc.property(instant, offset, (date, minutes) => {
        const file = sent(when, date.toISOString());
        const local = new Date(date.getTime() + minutes * 60_000).toISOString().slice(0, 23);
        const sign = minutes < 0 ? "-" : "+";
        const hh = String(Math.floor(Math.abs(minutes) / 60)).padStart(2, "0");
        const mm = String(Math.abs(minutes) % 60).padStart(2, "0");
        expect(sameValue(when, file, `${local}${sign}${hh}:${mm}`)).toBe(true);
        expect(sameValue(when, file, `${date.toISOString().slice(0, 23).replace("T", " ")} UTC`)).toBe(true);
        expect(sameValue(when, file, date.toISOString().replace("Z", "+0000"))).toBe(true);
        expect(sameValue(when, file, date)).toBe(true);
        expect(sameValue(when, file, new Date(date.getTime() + 1))).toBe(false);
        expect(sameValue(when, file, `${local}Z`)).toBe(minutes === 0);
      }),
      { numRuns: 300 },
    );
    // A file's datetime in another zone is the same instant.
    expect(sameValue(when, sent(when, "2024-04-16T21:00:00+02:00"), "2024-04-16T19:00:00.000+0000")).toBe(
      true,
    );
  });

  it("compares multi-select picklists as sets, in any order", () => {
    const values = fc.uniqueArray(fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,8}[A-Za-z]$/), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(values, fc.integer(), (list, seed) => {
        const file = sent(multi, list.join(";"));
        const shuffled = [...list].sort(
          (a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 31 + seed) % 7),
        );
        expect(sameValue(multi, file, shuffled.join(";"))).toBe(true);
        expect(sameValue(multi, file, [...shuffled, "Other Value"].join(";"))).toBe(false);
        if (list.length > 1) expect(sameValue(multi, file, shuffled.slice(1).join(";"))).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("compares Ids by the record they name: 15 characters equal their 18-character form", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z0-9]{15}$/), (short) => {
        const long18 = id18(short) as string;
        expect(long18).toHaveLength(18);
        expect(sameValue(ref, sent(ref, short), long18)).toBe(true);
        expect(sameValue(ref, sent(ref, long18), short)).toBe(true);
        expect(sameValue(ref, sent(ref, long18.toLowerCase()), long18)).toBe(short === short.toLowerCase());
      }),
      { numRuns: 300 },
    );
    expect(id18("001000000000001")).toBe("001000000000001AAA");
    expect(id18("001A00000000001")).toBe("001A00000000001IAA");
  });

  it("reads null, empty text and #N/A as one null, and compares text, dates, times and booleans exactly", () => {
    for (const current of [null, undefined, "", "#N/A"]) {
      expect(sameValue(name, null, current)).toBe(true);
      expect(sameValue(name, "x", current)).toBe(false);
    }
    expect(sameValue(name, null, "x")).toBe(false);
    expect(sameValue(name, sent(name, "Acme"), "Acme")).toBe(true);
    expect(sameValue(name, sent(name, "Acme"), "Acme ")).toBe(false);
    expect(sameValue(name, sent(name, "Acme"), "acme")).toBe(false);
    expect(sameValue(day, sent(day, "2024-02-29"), "2024-02-29")).toBe(true);
    expect(sameValue(day, sent(day, "2024-02-29"), new Date("2024-02-29T00:00:00Z"))).toBe(true);
    expect(sameValue(day, sent(day, "2024-02-29"), "2024-03-01")).toBe(false);
    expect(sameValue(time, sent(time, "19:30"), "19:30:00.000Z")).toBe(true);
    expect(sameValue(time, sent(time, "19:30"), "19:30:01.000Z")).toBe(false);
    expect(sameValue(flag, sent(flag, "yes"), true)).toBe(true);
    expect(sameValue(flag, sent(flag, "1"), "true")).toBe(true);
    expect(sameValue(flag, sent(flag, "no"), true)).toBe(false);
  });
});
