import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogField } from "../../../../../functions/core/catalog";
import {
  isFailure,
  type RawValue,
  toJsonValue,
  toSalesforceText,
  toSalesforceValue,
} from "../../../../../functions/core/formats/load/values";
import { catalogField } from "../../../../support/catalog-field";

const field = catalogField;

const AMOUNT = field("Amount", "currency", { precision: 16, scale: 2 });
const NAME = field("Name", "string", { length: 10 });
const RATING = field("Rating", "picklist", {
  restrictedPicklist: true,
  picklistValues: ["Hot", "Warm", "Cold"],
});
const TAGS = field("Tags__c", "multipicklist", { restrictedPicklist: true, picklistValues: ["a", "b", "c"] });

describe("toSalesforceValue / toJsonValue", () => {
  it('tells not set from null: empty CSV cell and absent key are not set; #N/A, JSON null and "" are null', () => {
    expect(toSalesforceValue(NAME, "", "csv")).toEqual({ ok: true, value: undefined });
    expect(toSalesforceValue(NAME, undefined, "json")).toEqual({ ok: true, value: undefined });
    expect(toSalesforceValue(NAME, "#N/A", "csv")).toEqual({ ok: true, value: null });
    expect(toSalesforceValue(NAME, "NULL", "csv", { nullMarker: "NULL" })).toEqual({ ok: true, value: null });
    expect(toSalesforceValue(NAME, null, "json")).toEqual({ ok: true, value: null });
    expect(toSalesforceValue(NAME, "", "json")).toEqual({ ok: true, value: null });
    expect(toJsonValue(AMOUNT, "#N/A", "csv")).toEqual({ ok: true, value: null });
    expect(toSalesforceValue(NAME, "#N/A", "json")).toEqual({ ok: true, value: "#N/A" });
  });

  it.each<[string, CatalogField, RawValue, string, string | number | boolean]>([
    ["currency with exponent", AMOUNT, "1.6147805824397E13", "16147805824397", 16147805824397],
    ["currency", AMOUNT, " -1234.50 ", "-1234.5", -1234.5],
    ["currency from JSON", AMOUNT, 0.1, "0.1", 0.1],
    ["double .5", field("D", "double"), ".5", "0.5", 0.5],
    ["long digits", field("L", "long"), "9223372036854775807", "9223372036854775807", "9223372036854775807"],
    ["int 23.0", field("N", "int"), "23.0", "23", 23],
    ["int from JSON", field("N", "int"), 42, "42", 42],
    ["boolean yes", field("B", "boolean"), "YES", "true", true],
    ["boolean 0", field("B", "boolean"), "0", "false", false],
    ["boolean JSON", field("B", "boolean"), true, "true", true],
    ["date", field("D", "date"), "2024-02-29", "2024-02-29", "2024-02-29"],
    [
      "datetime offset",
      field("T", "datetime"),
      "2024-04-16T21:00:00+02:00",
      "2024-04-16T19:00:00.000Z",
      "2024-04-16T19:00:00.000Z",
    ],
    [
      "datetime space, Z",
      field("T", "datetime"),
      "2024-04-16 19:00Z",
      "2024-04-16T19:00:00.000Z",
      "2024-04-16T19:00:00.000Z",
    ],
    ["time", field("T", "time"), "19:30", "19:30:00.000Z", "19:30:00.000Z"],
    ["multipicklist", TAGS, "a; c;;a", "a;c", "a;c"],
    ["picklist", RATING, "Warm", "Warm", "Warm"],
    ["id 15", field("Id", "id"), "001000000000001", "001000000000001", "001000000000001"],
    [
      "reference 18",
      field("AccountId", "reference"),
      "001000000000001AAA",
      "001000000000001AAA",
      "001000000000001AAA",
    ],
    ["string from JSON number", NAME, 123, "123", "123"],
    ["string kept as is", NAME, ' a,b"c ', ' a,b"c ', ' a,b"c '],
    [
      "email",
      field("Email", "email", { length: 80 }),
      "ann@example.com",
      "ann@example.com",
      "ann@example.com",
    ],
  ])("accepts %s", (_label, f, raw, text, json) => {
    const source = typeof raw === "string" ? "csv" : "json";

    expect(toSalesforceValue(f, raw, source)).toEqual({ ok: true, value: text });
    expect(toJsonValue(f, raw, source)).toEqual({ ok: true, value: json });
  });

  it.each<[string, CatalogField, RawValue, string, string]>([
    [
      "a non-number",
      AMOUNT,
      "12x",
      "'12x' is not a number (field Amount, currency(16,2))",
      "INVALID_TYPE_ON_FIELD_IN_RECORD",
    ],
    [
      "thousands separators",
      AMOUNT,
      "1,234.5",
      "'1,234.5' is not a number (write 1234.5, without thousands separators) (field Amount, currency(16,2))",
      "INVALID_TYPE_ON_FIELD_IN_RECORD",
    ],
    [
      "too many integer digits",
      AMOUNT,
      "123456789012345",
      "'123456789012345' has 15 digits before the decimal point, the field allows 14 (field Amount, currency(16,2))",
      "NUMBER_OUTSIDE_VALID_RANGE",
    ],
    [
      "NaN",
      AMOUNT,
      "NaN",
      "'NaN' is not a number (field Amount, currency(16,2))",
      "INVALID_TYPE_ON_FIELD_IN_RECORD",
    ],
    [
      "a fraction for an int",
      field("N", "int"),
      "2.5",
      "'2.5' is not a whole number (field N, int)",
      "INVALID_TYPE_ON_FIELD_IN_RECORD",
    ],
    [
      "an int out of range",
      field("N", "int"),
      "2147483648",
      "'2147483648' is outside the range -2147483648 to 2147483647 (field N, int)",
      "NUMBER_OUTSIDE_VALID_RANGE",
    ],
    [
      "a boolean word",
      field("B", "boolean"),
      "maybe",
      "'maybe' is not a boolean (expected true/false, 1/0 or yes/no) (field B, boolean)",
      "INVALID_TYPE_ON_FIELD_IN_RECORD",
    ],
    [
      "a long string",
      NAME,
      "Acme Global",
      "'Acme Global' is 11 characters long, the field holds at most 10 (field Name, string(10))",
      "STRING_TOO_LONG",
    ],
    [
      "a restricted picklist value",
      RATING,
      "Lukewarm",
      "'Lukewarm' is not a value of the restricted picklist: use one of Hot, Warm, Cold (field Rating, picklist)",
      "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    ],
    [
      "a picklist value in the wrong case",
      RATING,
      "hot",
      "'hot' is not a value of the restricted picklist: did you mean 'Hot'? (field Rating, picklist)",
      "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    ],
    [
      "a multipicklist item",
      TAGS,
      "a;z",
      "'a;z' holds 'z', which is not a value of the restricted picklist: use one of a, b, c (field Tags__c, multipicklist)",
      "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    ],
    [
      "a short id",
      field("Id", "id"),
      "001ABC",
      "'001ABC' is not a Salesforce Id (15 or 18 letters and digits) (field Id, id)",
      "MALFORMED_ID",
    ],
    [
      "a 16-char id",
      field("Id", "id"),
      "0010000000000011",
      "'0010000000000011' is not a Salesforce Id (15 or 18 letters and digits) (field Id, id)",
      "MALFORMED_ID",
    ],
    [
      "an impossible date",
      field("D", "date"),
      "2023-02-29",
      "'2023-02-29' is not a date (expected YYYY-MM-DD, like 2024-04-16) (field D, date)",
      "INVALID_TYPE_ON_FIELD_IN_RECORD",
    ],
    [
      "a date out of range",
      field("D", "date"),
      "1699-12-31",
      "'1699-12-31' is outside the years 1700 to 4000 (field D, date)",
      "INVALID_TYPE_ON_FIELD_IN_RECORD",
    ],
    [
      "a datetime without zone",
      field("T", "datetime"),
      "2024-04-16T19:00:00",
      "'2024-04-16T19:00:00' has no time zone: add Z for UTC or an offset like +02:00 (2024-04-16T19:00:00Z) (field T, datetime)",
      "INVALID_TYPE_ON_FIELD_IN_RECORD",
    ],
    [
      "a bad email",
      field("Email", "email"),
      "ann@",
      "'ann@' is not an email address (expected name@example.com) (field Email, email)",
      "INVALID_EMAIL_ADDRESS",
    ],
    [
      "a compound field",
      field("BillingAddress", "address"),
      "1 Main St",
      "'1 Main St' is for a compound field, which cannot be written: write its component fields instead (field BillingAddress, address)",
      "INVALID_FIELD",
    ],
  ])("rejects %s with a reason and a code", (_label, f, raw, reason, code) => {
    expect(toSalesforceValue(f, raw, "csv")).toEqual({ ok: false, reason, code });
    expect(toJsonValue(f, raw, "csv")).toEqual({ ok: false, reason, code });
  });

  it("rejects JSON values of the wrong kind", () => {
    expect(toSalesforceValue(field("D", "date"), 20240416, "json")).toMatchObject({
      ok: false,
      code: "INVALID_TYPE_ON_FIELD_IN_RECORD",
    });
    expect(toSalesforceValue(field("B", "boolean"), 2, "json")).toMatchObject({ ok: false });
    expect(toSalesforceValue(field("Id", "id"), 1, "json")).toMatchObject({
      ok: false,
      code: "MALFORMED_ID",
    });
  });

  it("reads a zone-less datetime as UTC when asked", () => {
    const result = toSalesforceValue(field("T", "datetime"), "2024-04-16 19:00:00", "csv", {
      assumeUtc: true,
    });

    expect(result).toEqual({ ok: true, value: "2024-04-16T19:00:00.000Z" });
  });

  it("writes any decimal as plain digits that read back as the same number", () => {
    const f = field("D", "double");
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e20, max: 1e20 }), (d) => {
        const result = toSalesforceValue(f, String(d), "csv");

        expect(result.ok).toBe(true);
        const text = (result as { value: string }).value;
        expect(text).toMatch(/^-?\d+(\.\d+)?$/);
        expect(Number(text)).toBe(d === 0 ? 0 : d);
      }),
    );
  });

  it("keeps every digit of longs and sends JSON numbers only when exact", () => {
    const f = field("L", "long");
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        const text = toSalesforceValue(f, `${n}`, "csv");
        const json = toJsonValue(f, `${n}.0`, "csv");

        expect(text).toEqual({ ok: true, value: `${n}` });
        const value = (json as { value: unknown }).value;
        expect(typeof value === "number" ? BigInt(value) : BigInt(value as string)).toBe(n);
      }),
    );
  });
  it("toSalesforceText gives toSalesforceValue's answer without the result object", () => {
    const fields = [
      AMOUNT,
      NAME,
      RATING,
      TAGS,
      field("Id", "id"),
      field("Active", "boolean"),
      field("Count", "int"),
      field("Big", "long"),
      field("When", "datetime"),
      field("Day", "date"),
      field("At", "time"),
      field("Mail", "email"),
      field("Where", "address"),
    ];
    const raw = fc.oneof(
      fc.constantFrom<RawValue>("", "#N/A", " 12.50 ", "1e3", "true", "no", "a;b;a", "2024-04-16"),
      fc.constantFrom<RawValue>("2024-04-16T19:00:00+02:00", "19:30:00", "001000000000001AAA", "x@y.io"),
      fc.string({ maxLength: 12 }),
      fc.constantFrom<RawValue>(null, undefined, 7, 1.5, true),
    );

    fc.assert(
      fc.property(
        fc.constantFrom(...fields),
        raw,
        fc.constantFrom("csv", "json" as const),
        (f, value, source) => {
          const text = toSalesforceText(f, value, source);
          const result = toSalesforceValue(f, value, source);

          if (isFailure(text)) expect(result).toEqual(text);
          else expect(result).toEqual({ ok: true, value: text });
        },
      ),
      { numRuns: 2000 },
    );
  });
  it("keeps a multi-select value already in Salesforce's form and tidies any other the same way", () => {
    const MULTI = field("Tags__c", "multipicklist");
    const item = fc.constantFrom("a", "b", "c", " a", "b ", "", " ");

    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 6 }), (items) => {
        const raw = items.join(";");
        const tidy = [...new Set(items.map((v) => v.trim()).filter((v) => v !== ""))].join(";");

        const result = toSalesforceValue(MULTI, raw, "csv");

        expect(result).toEqual({ ok: true, value: raw === "" ? undefined : tidy });
      }),
    );
  });

  it("takes a datetime already in the canonical form as it is, and refuses one with an impossible part", () => {
    const WHEN = field("When", "datetime");
    // fast-check also generates the invalid Date unless told not to: it has no ISO text.
    const instant = fc.date({
      min: new Date("1700-01-01T00:00:00Z"),
      max: new Date("3999-12-31T23:59:59Z"),
      noInvalidDate: true,
    });

    fc.assert(
      fc.property(instant, (date) => {
        const text = date.toISOString();
        expect(toSalesforceValue(WHEN, text, "csv")).toEqual({ ok: true, value: text });
      }),
    );
    for (const bad of [
      "2024-13-01T00:00:00.000Z",
      "2023-02-29T00:00:00.000Z",
      "2024-04-16T24:00:00.000Z",
      "2024-04-16T23:60:00.000Z",
      "2024-04-16T23:59:60.000Z",
      "2024-04-16T23:59:59.0x0Z",
    ]) {
      expect(toSalesforceValue(WHEN, bad, "csv").ok, bad).toBe(false);
    }
    expect(toSalesforceValue(WHEN, "2024-04-16t19:00:00.000z", "csv")).toEqual({
      ok: true,
      value: "2024-04-16T19:00:00.000Z",
    });
  });
});
