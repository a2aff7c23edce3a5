import { randomUUID } from "node:crypto";
import type { ObjectCreatedEvent } from "./s3";

/** S3's "Object Created" event as EventBridge delivers it (`version-id` only for versioned buckets). */
export interface S3ObjectCreatedEventBridgeEvent {
  version: "0";
  id: string;
  "detail-type": "Object Created";
  source: "aws.s3";
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    version: "0";
    bucket: { name: string };
    object: { key: string; size: number; etag: string; "version-id"?: string; sequencer: string };
    "request-id": string;
    requester: string;
    "source-ip-address": string;
    reason: "PutObject" | "POST Object" | "CopyObject" | "CompleteMultipartUpload";
  };
}

export interface S3EventOptions {
  account: string;
  region: string;
  versionId?: string;
  time?: Date;
}

const REASONS = {
  PutObject: "PutObject",
  PostObject: "POST Object",
  CopyObject: "CopyObject",
  CompleteMultipartUpload: "CompleteMultipartUpload",
} as const;

/** The EventBridge event the deployed bucket would emit for an object the local S3 reports created. */
export function toEventBridgeEvent(
  created: ObjectCreatedEvent,
  options: S3EventOptions,
): S3ObjectCreatedEventBridgeEvent {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Object Created",
    source: "aws.s3",
    account: options.account,
    // EventBridge writes whole seconds.
    time: `${(options.time ?? new Date()).toISOString().slice(0, 19)}Z`,
    region: options.region,
    resources: [`arn:aws:s3:::${created.bucket}`],
    detail: {
      version: "0",
      bucket: { name: created.bucket },
      object: {
        key: created.key,
        size: created.size,
        etag: created.eTag,
        ...(options.versionId === undefined ? {} : { "version-id": options.versionId }),
        sequencer: created.sequencer,
      },
      "request-id": randomUUID().replaceAll("-", "").slice(0, 16).toUpperCase(),
      requester: options.account,
      "source-ip-address": "127.0.0.1",
      reason: REASONS[created.reason],
    },
  };
}
