import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Layout } from "../../../functions/core/layout";
import { loadExecutionName, MAX_EXECUTION_NAME_LENGTH } from "../../../functions/load-trigger/execution-name";

const layout = new Layout("lake/sf");
const STEP_FUNCTIONS_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;

describe("loadExecutionName", () => {
  it("reads object, operation and file from the inbound key and ends with a hash of the version", () => {
    // Act
    const name = loadExecutionName(
      {
        bucket: "data",
        key: "lake/sf/inbound/Account/insert/accounts 2024.csv",
        version: "3858f62230ac3c915f300c664312c11f",
      },
      layout,
    );

    // Assess
    expect(name).toMatch(/^Account-insert-accounts-2024-csv-[0-9a-f]{12}$/);
  });

  it("leaves the external id folder of an upsert out of the readable part", () => {
    // Act
    const name = loadExecutionName(
      { bucket: "data", key: "lake/sf/inbound/Invoice__c/upsert/ERP_Id__c/invoices.jsonl.gz", version: "v1" },
      layout,
    );

    // Assess
    expect(name).toMatch(/^Invoice__c-upsert-invoices-jsonl-gz-[0-9a-f]{12}$/);
  });

  it("gives the same event the same name and another version, key or bucket another name", () => {
    // Prepare
    const file = { bucket: "data", key: "lake/sf/inbound/Contact/update/c.csv", version: "a1" };

    // Act
    const names = [
      loadExecutionName(file, layout),
      loadExecutionName({ ...file }, layout),
      loadExecutionName({ ...file, version: "a2" }, layout),
      loadExecutionName({ ...file, key: "lake/sf/inbound/Contact/update/d.csv" }, layout),
      loadExecutionName({ ...file, bucket: "other" }, layout),
    ];

    // Assess
    expect(names[0]).toBe(names[1]);
    expect(new Set(names).size).toBe(4);
  });

  it("shortens long names to 80 characters and keeps the hash whole", () => {
    // Act
    const name = loadExecutionName(
      {
        bucket: "data",
        key: `lake/sf/inbound/${"Very_Long_Custom_Object_Name".repeat(3)}__c/hardDelete/${"x".repeat(300)}.csv`,
        version: "v",
      },
      layout,
    );

    // Assess
    expect(name.length).toBeLessThanOrEqual(MAX_EXECUTION_NAME_LENGTH);
    expect(name).toMatch(/-[0-9a-f]{12}$/);
    expect(name).toMatch(/^Very_Long_Custom_Object_Name.{2}-hardDelete-x+-/);
  });

  it("names a file outside the inbound layout too, so its run can explain what is wrong", () => {
    // Act
    const name = loadExecutionName({ bucket: "data", key: "elsewhere/---.csv", version: "v" }, layout);

    // Assess
    expect(name).toMatch(STEP_FUNCTIONS_NAME);
  });

  it("always yields a valid execution name and run id", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string({ maxLength: 1024 }),
        fc.option(fc.string()),
        (bucket, key, version) => {
          // Act
          const name = loadExecutionName({ bucket, key, version: version ?? undefined }, layout);

          // Assess
          expect(name).toMatch(STEP_FUNCTIONS_NAME);
        },
      ),
      { numRuns: 500 },
    );
  });
});
