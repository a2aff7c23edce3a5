import { describe, expect, it } from "vitest";
import { assertRunId, Layout } from "../../../functions/core/layout";
import { ConfigurationError } from "../../../functions/errors";

describe("S3 layout", () => {
  const layout = new Layout("/lake/sf/");

  it("derives deterministic keys under the prefix", () => {
    expect(layout.catalogIndex()).toBe("lake/sf/catalog/index.json");
    expect(layout.catalogStream("Account", 3)).toBe("lake/sf/catalog/Account/v3.json");
    expect(layout.part("Account", "2024-05-01", "run-1", "750xx", 7)).toBe(
      "lake/sf/data/Account/dt=2024-05-01/run=run-1/part-750xx-00007.jsonl.gz",
    );
    expect(layout.manifest("Account", "2024-05-01", "run-1")).toBe(
      "lake/sf/data/Account/dt=2024-05-01/run=run-1/_manifest.json",
    );
    expect(layout.resultsFolder("lake/sf/inbound/Account/insert/a.csv")).toBe(
      "lake/sf/results/inbound/Account/insert/a.csv/",
    );
    expect(new Layout("").catalogIndex()).toBe("catalog/index.json");
  });

  it("reads object, operation and external id from inbound keys", () => {
    expect(layout.parseInbound("lake/sf/inbound/Contact/insert/2024/new.csv")).toEqual({
      object: "Contact",
      operation: "insert",
      file: "2024/new.csv",
    });
    expect(layout.parseInbound("lake/sf/inbound/Account/upsert/ERP_Id__c/batch.jsonl.gz")).toEqual({
      object: "Account",
      operation: "upsert",
      externalIdField: "ERP_Id__c",
      file: "batch.jsonl.gz",
    });
    expect(layout.parseInbound("lake/sf/inbound/Account/harddelete/x.csv").operation).toBe("hardDelete");
  });

  it.each([
    ["lake/sf/other/Account/insert/a.csv", /is not under lake\/sf\/inbound\//],
    ["lake/sf/inbound/Account/merge/a.csv", /"merge" is not an operation/],
    ["lake/sf/inbound/Account/upsert/a.csv", /needs the external id field folder/],
    ["lake/sf/inbound/Account/insert/", /file name is missing/],
  ])("explains what is wrong with %s", (key, message) => {
    expect(() => layout.parseInbound(key)).toThrow(ConfigurationError);
    expect(() => layout.parseInbound(key)).toThrow(message);
  });

  it("accepts execution names as run ids and refuses path tricks", () => {
    expect(assertRunId("sync-2024-05-01T10-00-00_abc")).toBe("sync-2024-05-01T10-00-00_abc");
    expect(() => assertRunId("../etc")).toThrow(ConfigurationError);
    expect(() => assertRunId("a/b")).toThrow(ConfigurationError);
  });
});
