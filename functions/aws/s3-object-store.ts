/**
 * `ObjectStore` over one S3 bucket. ETags are returned without their quotes, as S3 event notifications
 * carry them, so a load can compare the two.
 */
import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { ObjectInfo, ObjectStore, PutOptions } from "../core/ports";
import { ConfigurationError, TransientError } from "../errors";
import { errorName, isAccessDenied, transientOr } from "./aws-errors";
import { PartedUpload } from "./s3-parted-upload";

/** 8 MiB parts keep 10,000 parts (S3's limit) above 80 GB while a Lambda buffers little. */
export const UPLOAD_PART_SIZE = 8 * 1024 * 1024;
/** Parts in flight at once; memory stays at (queue + 1) × part size (see PartedUpload). */
export const UPLOAD_QUEUE_SIZE = 2;

export interface S3ObjectStoreOptions {
  partSize?: number;
  queueSize?: number;
  /** Keys per ListObjectsV2 page (S3's maximum, 1000, by default). */
  listPageSize?: number;
}

export class S3ObjectStore implements ObjectStore {
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly listPageSize: number;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    options: S3ObjectStoreOptions = {},
  ) {
    this.partSize = options.partSize ?? UPLOAD_PART_SIZE;
    this.queueSize = options.queueSize ?? UPLOAD_QUEUE_SIZE;
    this.listPageSize = options.listPageSize ?? 1000;
  }

  async put(key: string, body: string | Uint8Array, options: PutOptions = {}): Promise<{ etag?: string }> {
    try {
      const output = await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ...headers(options) }),
      );
      return withEtag({}, output.ETag);
    } catch (error) {
      throw this.translate(error, "PutObject", key);
    }
  }

  async upload(
    key: string,
    body: Readable | AsyncIterable<Uint8Array>,
    options: PutOptions = {},
  ): Promise<{ bytes: number; etag?: string }> {
    const upload = new PartedUpload(
      this.client,
      { Bucket: this.bucket, Key: key, ...headers(options) },
      body as AsyncIterable<Uint8Array | string>,
      { partSize: this.partSize, queueSize: this.queueSize },
    );
    try {
      const output = await upload.done();
      return withEtag({ bytes: upload.bytes }, output.etag);
    } catch (error) {
      if (upload.uploadId !== undefined) await this.abort(key, upload.uploadId, error);
      throw this.translate(error, "Upload", key);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const output = await this.getObject(key);
    if (output === undefined) return undefined;
    return await (output.Body as NonNullable<GetObjectCommandOutput["Body"]>).transformToByteArray();
  }

  async stream(key: string): Promise<{ body: Readable; info: ObjectInfo }> {
    const output = await this.getObject(key);
    if (output === undefined) {
      throw new ConfigurationError(
        `s3://${this.bucket}/${key} does not exist: check the key, or whether it was moved or deleted`,
        { code: "NoSuchKey" },
      );
    }
    if (!(output.Body instanceof Readable)) {
      throw new ConfigurationError(
        `s3://${this.bucket}/${key}: the S3 client did not return a Node.js stream`,
      );
    }
    const info: ObjectInfo = { key, size: output.ContentLength ?? 0 };
    const etag = unquote(output.ETag);
    if (etag !== undefined) info.etag = etag;
    if (output.VersionId !== undefined) info.versionId = output.VersionId;
    if (output.LastModified !== undefined) info.lastModified = output.LastModified;
    return { body: output.Body, info };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const output = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      const info: ObjectInfo = { key, size: output.ContentLength ?? 0 };
      const etag = unquote(output.ETag);
      if (etag !== undefined) info.etag = etag;
      if (output.VersionId !== undefined) info.versionId = output.VersionId;
      if (output.LastModified !== undefined) info.lastModified = output.LastModified;
      return info;
    } catch (error) {
      // HEAD responses have no body, so a missing key is only a 404 named "NotFound".
      if (errorName(error) === "NotFound" || errorName(error) === "NoSuchKey") return undefined;
      throw this.translate(error, "HeadObject", key);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      throw this.translate(error, "DeleteObject", key);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const pages = paginateListObjectsV2(
      { client: this.client, pageSize: this.listPageSize },
      { Bucket: this.bucket, Prefix: prefix },
    );
    try {
      for await (const page of pages) {
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined) continue;
          const info: ObjectInfo = { key: object.Key, size: object.Size ?? 0 };
          const etag = unquote(object.ETag);
          if (etag !== undefined) info.etag = etag;
          if (object.LastModified !== undefined) info.lastModified = object.LastModified;
          yield info;
        }
      }
    } catch (error) {
      throw this.translate(error, "ListObjectsV2", `${prefix}*`);
    }
  }

  private async getObject(key: string): Promise<GetObjectCommandOutput | undefined> {
    try {
      return await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (errorName(error) === "NoSuchKey") return undefined;
      throw this.translate(error, "GetObject", key);
    }
  }

  /** Parts of an unfinished upload are billed until aborted; a failed abort rides on the original error. */
  private async abort(key: string, uploadId: string, cause: unknown): Promise<void> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
      );
    } catch (abortError) {
      const note = new TransientError(
        `Also failed to abort multipart upload ${uploadId} of s3://${this.bucket}/${key}; ` +
          "the bucket's incomplete-upload lifecycle rule will remove its parts",
        { cause: abortError },
      );
      if (cause instanceof Error && cause.cause === undefined) cause.cause = note;
      else throw new AggregateError([cause, note], note.message);
    }
  }

  private translate(error: unknown, action: string, key: string): unknown {
    const where = `s3://${this.bucket}/${key}`;
    const name = errorName(error);
    if (name === "NoSuchBucket") {
      return new ConfigurationError(
        `${action} ${where}: bucket ${this.bucket} does not exist; check the bucket name`,
        {
          code: name,
          cause: error,
        },
      );
    }
    if (isAccessDenied(error) || name === "InvalidAccessKeyId" || name === "SignatureDoesNotMatch") {
      return new ConfigurationError(
        `${action} ${where} was refused (${name}): check the credentials and that the role may use this bucket`,
        { code: name, cause: error },
      );
    }
    return transientOr(error, `${action} ${where}`);
  }
}

function headers(options: PutOptions): { ContentType?: string; ContentEncoding?: string } {
  return {
    ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
    ...(options.contentEncoding === undefined ? {} : { ContentEncoding: options.contentEncoding }),
  };
}

function unquote(etag: string | undefined): string | undefined {
  return etag?.replaceAll('"', "");
}

function withEtag<T extends object>(out: T, etag: string | undefined): T & { etag?: string } {
  const unquoted = unquote(etag);
  return unquoted === undefined ? out : { ...out, etag: unquoted };
}
