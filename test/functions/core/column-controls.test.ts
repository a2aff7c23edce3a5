import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { CatalogStream } from "../../../functions/core/catalog";
import { applyColumnControls } from "../../../functions/core/column-controls";
import { partColumnsOf } from "../../../functions/core/extract/extract-deps";
import { BulkCsvToColumns } from "../../../functions/core/formats/extract/bulk-csv-to-columns";
import { BulkCsvToJsonl } from "../../../functions/core/formats/extract/bulk-csv-to-jsonl";
import { hashedText } from "../../../functions/core/formats/extract/field-hash";
import { LakeBatch } from "../../../functions/core/formats/extract/lake-batch";
import { restRecordToBatch, restRecordToJson } from "../../../functions/core/formats/extract/rest-record";
import { lakeColumns } from "../../../functions/core/lake/lake-names";
import { parseSettings } from "../../../functions/core/settings";
import { ConfigurationError } from "../../../functions/errors";
import { parseCredentials, secretValuesOf } from "../../../functions/salesforce/credentials";
import { catalogField } from "../../support/catalog-field";

const KEY = "k".repeat(40);
const hmac = (text: string) => createHmac("sha256", KEY).update(text, "utf8").digest("hex");

function contact(): CatalogStream {
  const fields = [
    catalogField("Id", "id"),
    catalogField("Email", "email"),
    catalogField("Phone", "phone"),
    catalogField("Score__c", "double", { precision: 18, scale: 2 }),
    catalogField("MailingAddress", "address"),
    catalogField("MailingCity", "string", { compoundParent: "MailingAddress" }),
    catalogField("IsDeleted", "boolean"),
    catalogField("SystemModstamp", "datetime"),
  ];
  return {
    object: "Contact",
    label: "Contact",
    custom: false,
    primaryKey: ["Id"],
    cursorField: "SystemModstamp",
    syncModes: ["full_refresh", "incremental"],
    api: "bulk",
    hasIsDeleted: true,
    fields,
    selectFields: fields.filter((field) => field.sfType !== "address").map((field) => field.name),
  };
}

function refusal(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error("accepted");
}

describe("column controls", () => {
  it("drops blocked fields (a compound field with its components) and lists hashed ones, any case, by glob", () => {
    // Act
    const stream = applyColumnControls(contact(), {
      blockFields: { "Cont*": ["phone", "MailingAddress"], Account: ["Nothing__c"] },
      hashFields: { "*": ["Email", "Score*", "Phone", "Nothing*"] },
    });

    // Assess
    expect(stream.selectFields).toEqual(["Id", "Email", "Score__c", "IsDeleted", "SystemModstamp"]);
    expect(stream.blockedFields).toEqual(["Phone", "MailingAddress", "MailingCity"]);
    expect(stream.hashFields).toEqual(["Email", "Score__c"]);
    // A hashed number lands as a string column (the lake gives it a column of its own: lakeTypes).
    expect(lakeColumns(stream).map((column) => [column.name, column.athenaType])).toEqual([
      ["id", "string"],
      ["email", "string"],
      ["score__c", "string"],
      ["isdeleted", "boolean"],
      ["systemmodstamp", "timestamp"],
    ]);
    expect(applyColumnControls(contact(), {})).toEqual(contact());
  });

  it("refuses an unknown field, naming the object and field, and Id, IsDeleted or the cursor", () => {
    const unknown = refusal(() => applyColumnControls(contact(), { hashFields: { Contact: ["Emial"] } }));
    expect(unknown.message).toMatch(/^hashFields: Contact has no field Emial/);
    expect(unknown.object).toBe("Contact");
    for (const [setting, field] of [
      ["blockFields", "Id"],
      ["hashFields", "SystemModstamp"],
      ["blockFields", "IsDel*"],
    ] as const) {
      const error = refusal(() => applyColumnControls(contact(), { [setting]: { Contact: [field] } }));
      expect(error.message).toMatch(
        /cannot be (blocked|hashed): the connector needs Id, IsDeleted and the cursor/,
      );
    }
  });

  it("checks the settings' patterns and the secret's key", () => {
    expect(parseSettings({ blockFields: { Contact: ["Phone"] } }, "s").blockFields).toEqual({
      Contact: ["Phone"],
    });
    expect(() => parseSettings({ hashFields: { Contact: ["E mail"] } }, "s")).toThrow(
      /hashFields: Contact: "E mail" is not a valid field pattern/,
    );
    expect(() => parseSettings({ blockFields: { "Con tact": ["Phone"] } }, "s")).toThrow(/blockFields/);
    const base = { clientId: "c", clientSecret: "s", username: "u", password: "p" };
    expect(() => parseCredentials({ ...base, hashKey: "short" }, "secret x")).toThrow(
      /hashKey must be a random string of at least 32 characters/,
    );
    expect(() => parseCredentials({ ...base, hashKey: "short" }, "secret x")).not.toThrow(/short/);
    const credentials = parseCredentials({ ...base, hashKey: KEY }, "secret x");
    expect(credentials.hashKey).toBe(KEY);
    expect(secretValuesOf(credentials)).toContain(KEY);
  });

  it("hashes a field in every writer: Bulk CSV and REST records, to JSON lines and to row groups", () => {
    // Prepare
    const stream = applyColumnControls(contact(), {
      blockFields: { Contact: ["Phone"] },
      hashFields: { Contact: ["Email", "Score__c"] },
    });
    const columns = partColumnsOf(stream, KEY);
    const csv = [
      '"Id","Email","Score__c","MailingCity","IsDeleted","SystemModstamp"',
      '"003A","a""quoted""@example.com","12.50","Leeds","false","2024-04-16T19:00:00.000Z"',
      '"003B","","","","false","2024-04-16T19:00:00.000Z"',
      "",
    ].join("\n");
    const rest = { Id: "003C", Email: "c@example.com", Score__c: 7.5, IsDeleted: false };

    // Act
    const jsonl = new BulkCsvToJsonl(columns.jsonl, "Contact");
    const lines = new TextDecoder().decode(
      Buffer.concat([jsonl.push(new TextEncoder().encode(csv)), jsonl.endPage()]),
    );
    const batch = new LakeBatch(columns.lake, columns.hash);
    const converter = new BulkCsvToColumns("Contact", columns.lake, batch);
    converter.push(new TextEncoder().encode(csv));
    converter.endPage();
    restRecordToBatch(rest, batch, "Contact");
    const restLine = JSON.parse(restRecordToJson(rest, columns.jsonl));

    // Assess
    const rows = lines
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(rows.map((row) => [row.Email, row.Score__c, row.MailingCity])).toEqual([
      [hmac('a"quoted"@example.com'), hmac("12.5"), "Leeds"],
      [null, null, null],
    ]);
    expect([restLine.Email, restLine.Score__c]).toEqual([hmac("c@example.com"), hmac("7.5")]);
    // One value, one hash, whichever API read it: Bulk's 12.50 and REST's 12.5, and both datetime forms.
    expect(restRecordToJson({ Id: "003D", Score__c: 12.5 }, columns.jsonl)).toContain(hmac("12.5"));
    expect(hashedText("currency", "12.50")).toBe("12.5");
    expect(hashedText("int", "23.0")).toBe("23");
    expect(hashedText("datetime", "2024-04-16T19:00:00.000+0000")).toBe("2024-04-16T19:00:00.000Z");
    expect(hashedText("email", "A@Example.com ")).toBe("A@Example.com ");
    const email = batch.columns[1]
      ?.values()
      .map((value) => (value === null ? null : new TextDecoder().decode(value as Uint8Array)));
    expect(email).toEqual([hmac('a"quoted"@example.com'), null, hmac("c@example.com")]);
    const score = batch.columns[2]
      ?.values()
      .map((value) => (value === null ? null : new TextDecoder().decode(value as Uint8Array)));
    expect(score).toEqual([hmac("12.5"), null, hmac("7.5")]);
    expect(
      batch.columns[3]
        ?.values()
        .map((value) => (value === null ? null : new TextDecoder().decode(value as Uint8Array))),
    ).toEqual(["Leeds", null, null]);
  });

  it("refuses to build the columns of a stream with hashed fields without a key", () => {
    const stream = applyColumnControls(contact(), { hashFields: { Contact: ["Email"] } });
    expect(() => partColumnsOf(stream, undefined)).toThrow(
      /no hashKey.*never landed in clear.*openssl rand -hex 32/,
    );
    expect(() => partColumnsOf(contact(), undefined)).not.toThrow();
  });
});
