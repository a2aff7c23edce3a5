import { describe, expect, it } from "vitest";
import type { CatalogStream } from "../../../../functions/core/catalog";
import {
  athenaTypeOf,
  carryLakeTypes,
  lakeColumns,
  lakeTypeOf,
} from "../../../../functions/core/lake/lake-names";
import { catalogField } from "../../../support/catalog-field";

describe("lake types", () => {
  it("types every text-like Salesforce type as string", () => {
    // Prepare
    const textTypes = [
      "id",
      "reference",
      "string",
      "picklist",
      "multipicklist",
      "textarea",
      "email",
      "phone",
      "url",
      "combobox",
      "encryptedstring",
      "base64",
      "anyType",
      "time",
    ];

    // Act
    const types = textTypes.map((sfType) => athenaTypeOf(lakeTypeOf({ sfType })));

    // Assess
    expect(new Set(types)).toEqual(new Set(["string"]));
  });

  it("types scalars: boolean, 32- and 64-bit integers, dates and UTC timestamps", () => {
    // Act
    const types = ["boolean", "int", "long", "date", "datetime"].map((sfType) => lakeTypeOf({ sfType }));

    // Assess
    expect(types).toEqual([
      { kind: "boolean" },
      { kind: "int" },
      { kind: "bigint" },
      { kind: "date" },
      { kind: "timestamp" },
    ]);
    expect(types.map(athenaTypeOf)).toEqual(["boolean", "int", "bigint", "date", "timestamp"]);
  });

  it("types numbers with a precision as decimals, clamped to what Athena holds, others as doubles", () => {
    // Act
    const currency = lakeTypeOf({ sfType: "currency", precision: 18, scale: 2 });
    const wholeDouble = lakeTypeOf({ sfType: "double", precision: 18 });
    const percent = lakeTypeOf({ sfType: "percent", precision: 5, scale: 2 });
    const tooWide = lakeTypeOf({ sfType: "double", precision: 40, scale: 45 });
    const bare = lakeTypeOf({ sfType: "double" });
    const location = lakeTypeOf({ sfType: "double", precision: 18, scale: 15 }, { locationComponent: true });

    // Assess
    expect(athenaTypeOf(currency)).toBe("decimal(18,2)");
    expect(athenaTypeOf(wholeDouble)).toBe("decimal(18,0)");
    expect(athenaTypeOf(percent)).toBe("decimal(5,2)");
    expect(athenaTypeOf(tooWide)).toBe("decimal(38,38)");
    expect(athenaTypeOf(bare)).toBe("double");
    expect(athenaTypeOf(location)).toBe("double");
  });

  it("lower-cases names, types a location's components as doubles and keeps formula fields apart", () => {
    // Prepare
    const fields = [
      catalogField("Id", "id"),
      catalogField("Place__c", "location"),
      catalogField("Place__Latitude__s", "double", { precision: 18, scale: 15, compoundParent: "Place__c" }),
      catalogField("Place__Longitude__s", "double", { precision: 18, scale: 15, compoundParent: "Place__c" }),
      catalogField("BillingLatitude", "double", {
        precision: 18,
        scale: 15,
        compoundParent: "BillingAddress",
      }),
      catalogField("BillingAddress", "address"),
      catalogField("Margin__c", "percent", { precision: 18, scale: 2, calculated: true }),
    ];
    const stream = {
      fields,
      selectFields: ["Id", "Place__Latitude__s", "Place__Longitude__s", "BillingLatitude", "Margin__c"],
    } as Pick<CatalogStream, "fields" | "selectFields">;

    // Act
    const columns = lakeColumns(stream);

    // Assess
    expect(columns.map((column) => [column.name, column.athenaType, column.calculated])).toEqual([
      ["id", "string", false],
      ["place__latitude__s", "double", false],
      ["place__longitude__s", "double", false],
      ["billinglatitude", "decimal(18,15)", false],
      ["margin__c", "decimal(18,2)", true],
    ]);
  });

  describe("retyped fields", () => {
    function version(amount: ReturnType<typeof catalogField>, extra: ReturnType<typeof catalogField>[] = []) {
      const fields = [catalogField("Id", "id"), amount, ...extra];
      return { fields, selectFields: fields.map((field) => field.name) } as Pick<
        CatalogStream,
        "fields" | "selectFields" | "lakeTypes"
      >;
    }
    const names = (stream: Pick<CatalogStream, "fields" | "selectFields" | "lakeTypes">) =>
      lakeColumns(stream).map((column) => `${column.name} ${column.athenaType}`);

    it("land in a column of their own, named by the new type, while the first column keeps its type", () => {
      // Prepare
      const first = version(catalogField("Amount__c", "currency", { precision: 18, scale: 0 }));
      const wider = version(catalogField("Amount__c", "currency", { precision: 18, scale: 2 }));
      const text = version(catalogField("Amount__c", "string"));

      // Act
      wider.lakeTypes = carryLakeTypes(first, wider);
      text.lakeTypes = carryLakeTypes(wider, text);

      // Assess
      expect(carryLakeTypes(first, first)).toBeUndefined();
      expect(names(first)).toEqual(["id string", "amount__c decimal(18,0)"]);
      expect(wider.lakeTypes).toEqual({ Amount__c: "decimal(18,0)" });
      expect(names(wider)).toEqual(["id string", "amount__c__decimal_18_2 decimal(18,2)"]);
      expect(text.lakeTypes).toEqual({ Amount__c: "decimal(18,0)" });
      expect(names(text)).toEqual(["id string", "amount__c__string string"]);
    });

    it("go back to their first column when their type comes back, and a removed field is remembered", () => {
      // Prepare
      const first = version(catalogField("Amount__c", "int"), [catalogField("Note__c", "string")]);
      const retyped = version(catalogField("Amount__c", "string"), [catalogField("Note__c", "string")]);
      retyped.lakeTypes = carryLakeTypes(first, retyped);
      const back = version(catalogField("Amount__c", "int"));
      const noteReturns = version(catalogField("Amount__c", "int"), [catalogField("Note__c", "date")]);

      // Act
      back.lakeTypes = carryLakeTypes(retyped, back);
      noteReturns.lakeTypes = carryLakeTypes(back, noteReturns);

      // Assess
      expect(names(retyped)).toEqual(["id string", "amount__c__string string", "note__c string"]);
      expect(back.lakeTypes).toEqual({ Note__c: "string" });
      expect(names(back)).toEqual(["id string", "amount__c int"]);
      expect(names(noteReturns)).toEqual(["id string", "amount__c int", "note__c__date date"]);
    });
  });
});
