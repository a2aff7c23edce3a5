import { describe, expect, it } from "vitest";
import { decodeEventKey, parseLoadRequest } from "../../../../functions/core/load/load-request";
import { ConfigurationError } from "../../../../functions/errors";

/** An S3 "Object Created" event as EventBridge delivers it (shape from the S3 user guide). */
function objectCreated(key: string, extra: Record<string, unknown> = {}) {
  return {
    version: "0",
    id: "17793124-05d4-b198-2fde-7ededc63b103",
    "detail-type": "Object Created",
    source: "aws.s3",
    account: "111122223333",
    time: "2026-06-01T12:00:00Z",
    region: "eu-west-1",
    resources: ["arn:aws:s3:::saddledata"],
    detail: {
      version: "0",
      bucket: { name: "saddledata" },
      object: {
        key,
        size: 42,
        etag: "b1946ac92492d2347c6235b4d2611184",
        sequencer: "617f08299329d189",
        ...extra,
      },
      "request-id": "N4N7GDK58NMKJ12R",
      requester: "123456789012",
      "source-ip-address": "1.2.3.4",
      reason: "PutObject",
    },
  };
}

describe("load request", () => {
  it("reads bucket, key, ETag, version and size from an EventBridge S3 event", () => {
    // Act
    const request = parseLoadRequest(objectCreated("inbound/Account/insert/a.csv", { "version-id": "v1" }));

    // Assess
    expect(request).toEqual({
      bucket: "saddledata",
      key: "inbound/Account/insert/a.csv",
      etag: "b1946ac92492d2347c6235b4d2611184",
      versionId: "v1",
      size: 42,
      retry: false,
      source: "event",
    });
  });

  it("decodes form-encoded keys and keeps the raw key for a fallback lookup", () => {
    // Act
    const request = parseLoadRequest(objectCreated("inbound/Account/insert/my+file+%282%29%2B1.csv"));

    // Assess
    expect(request.key).toBe("inbound/Account/insert/my file (2)+1.csv");
    expect(request.rawKey).toBe("inbound/Account/insert/my+file+%282%29%2B1.csv");
    expect(decodeEventKey("100%.csv")).toBe("100%.csv");
  });

  it("takes a manual request with overrides, and names each bad field of a wrong one", () => {
    // Act
    const manual = parseLoadRequest({
      bucket: "b",
      key: "elsewhere/x.csv",
      object: "Account",
      operation: "UPSERT",
      externalIdField: "ERP_Id__c",
      retry: true,
    });

    // Assess
    expect(manual).toMatchObject({
      bucket: "b",
      key: "elsewhere/x.csv",
      object: "Account",
      operation: "upsert",
      externalIdField: "ERP_Id__c",
      retry: true,
      source: "manual",
    });
    expect(() => parseLoadRequest({ bucket: "b", key: "k", operation: "merge" })).toThrow(
      /operation: must be one of/,
    );
    expect(() => parseLoadRequest({ key: "k" })).toThrow(ConfigurationError);
    expect(() => parseLoadRequest({ detail: { bucket: {} } })).toThrow(/not an S3 "Object Created" event/);
  });
});
