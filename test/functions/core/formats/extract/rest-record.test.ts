import { describe, expect, it } from "vitest";
import type { JsonlColumn } from "../../../../../functions/core/formats/extract/bulk-csv-to-jsonl";
import { restRecordToJson } from "../../../../../functions/core/formats/extract/rest-record";
import { DataError } from "../../../../../functions/errors";

const COLUMNS: JsonlColumn[] = [
  { name: "Id", sfType: "id" },
  { name: "Name", sfType: "string" },
  { name: "IsDeleted", sfType: "boolean" },
  { name: "NumberOfEmployees", sfType: "int" },
  { name: "AnnualRevenue", sfType: "currency" },
  { name: "CreatedDate", sfType: "datetime" },
  { name: "Birthdate__c", sfType: "date" },
  { name: "BillingAddress", sfType: "address" },
  { name: "Owner.Name", sfType: "string" },
  { name: "Missing__c", sfType: "string" },
];

describe("restRecordToJson", () => {
  it("drops attributes, orders keys by column, types values and keeps compound objects", () => {
    // Prepare: a record as the REST query resource returns it.
    const record = {
      attributes: { type: "Account", url: "/services/data/v62.0/sobjects/Account/001000000000001AAA" },
      BillingAddress: {
        city: "Zürich",
        country: "CH",
        geocodeAccuracy: null,
        latitude: 47.37,
        street: 'A "B"\nC',
      },
      Name: 'Acme, "Global"\t\\',
      Id: "001000000000001AAA",
      IsDeleted: false,
      NumberOfEmployees: 23,
      AnnualRevenue: 1500.5,
      CreatedDate: "2011-07-07T00:37:00.000+0000",
      Birthdate__c: "1990-02-28",
      Owner: { attributes: { type: "User", url: "/x" }, Name: "Ann" },
    };

    // Act
    const line = restRecordToJson(record, COLUMNS);

    // Assess
    expect(line).toBe(
      '{"Id":"001000000000001AAA","Name":"Acme, \\"Global\\"\\t\\\\","IsDeleted":false,"NumberOfEmployees":23,' +
        '"AnnualRevenue":1500.5,"CreatedDate":"2011-07-07T00:37:00.000Z","Birthdate__c":"1990-02-28",' +
        '"BillingAddress":{"city":"Zürich","country":"CH","geocodeAccuracy":null,"latitude":47.37,"street":"A \\"B\\"\\nC"},' +
        '"Owner.Name":"Ann","Missing__c":null}',
    );
    expect(Object.keys(JSON.parse(line))).toEqual(COLUMNS.map((c) => c.name));
  });

  it("writes nulls, empty strings as null, and a null relationship as null", () => {
    const record = { Id: "001", Name: "", IsDeleted: null, Owner: null, BillingAddress: null };

    const parsed = JSON.parse(restRecordToJson(record, COLUMNS));

    expect(parsed).toEqual({
      Id: "001",
      Name: null,
      IsDeleted: null,
      NumberOfEmployees: null,
      AnnualRevenue: null,
      CreatedDate: null,
      Birthdate__c: null,
      BillingAddress: null,
      "Owner.Name": null,
      Missing__c: null,
    });
  });

  it("normalizes datetime offsets and number spellings", () => {
    const columns: JsonlColumn[] = [
      { name: "T", sfType: "datetime" },
      { name: "L", sfType: "long" },
      { name: "D", sfType: "double" },
      { name: "S", sfType: "string" },
    ];

    const line = restRecordToJson({ T: "2011-07-07T00:37:00.000-0700", L: 1e21, D: ".5", S: 42 }, columns);

    expect(line).toBe('{"T":"2011-07-07T07:37:00.000Z","L":1000000000000000000000,"D":0.5,"S":"42"}');
  });

  it.each([
    [{ name: "N", sfType: "int" }, 2.5, "is not an integer"],
    [{ name: "N", sfType: "double" }, "abc", "is not a number"],
    [{ name: "N", sfType: "boolean" }, "yes", "is not true or false"],
    [{ name: "N", sfType: "datetime" }, "yesterday", "is not a datetime"],
    [{ name: "N", sfType: "date" }, "2023-02-29", "is not a date"],
  ])("rejects a value its type cannot hold (%o, %j)", (column, value, message) => {
    const run = () => restRecordToJson({ Id: "001X", N: value }, [column]);

    expect(run).toThrow(DataError);
    expect(run).toThrow(`REST query result, Id 001X, field N (${column.sfType}):`);
    expect(run).toThrow(message);
  });
});
