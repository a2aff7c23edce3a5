/**
 * Embedded S3 for local mode and tests: s3rver on loopback, with three calls answered here instead —
 * AbortMultipartUpload and ListMultipartUploads (missing from s3rver) and ListObjectsV2 (s3rver's
 * continuation tokens use DES, which Node 22's OpenSSL 3 refuses, so any truncated listing failed) —
 * and an object-created hook that stands in for the S3 event notification the load starts from.
 */
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

/** s3rver checks only that the access key id exists (it does not verify SigV4), and knows only this one. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export type ObjectCreatedReason = "PutObject" | "CopyObject" | "CompleteMultipartUpload" | "PostObject";

/** The fields of an S3 "Object Created" notification that the load reads. */
export interface ObjectCreatedEvent {
  bucket: string;
  key: string;
  size: number;
  /** Unquoted, as in S3 event notifications. */
  eTag: string;
  reason: ObjectCreatedReason;
  sequencer: string;
}

export type ObjectCreatedListener = (event: ObjectCreatedEvent) => void;

export interface StartS3Options {
  /** Where objects live; a temporary directory (removed on stop) when absent. */
  directory?: string;
  buckets?: string[];
}

export interface LocalS3 {
  endpoint: string;
  directory: string;
  /** Calls `listener` after each object is created; returns a function that unsubscribes it. */
  onObjectCreated(listener: ObjectCreatedListener): () => void;
  stop(): Promise<void>;
}

// s3rver ships no types: these describe the parts of it used here.
interface KoaContext {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

interface S3rverRecord {
  eventName: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string; sequencer: string } };
}

interface S3rverListing {
  objects: { key: string; size: number; lastModifiedDate: Date; metadata: Record<string, string> }[];
  commonPrefixes: string[];
  isTruncated: boolean;
}

interface S3rverObject {
  bucket: string;
  key: string;
  content: Buffer | NodeJS.ReadableStream;
  metadata: Record<string, string>;
}

interface S3rverStore {
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  listObjects(
    bucket: string,
    options: { prefix?: string; delimiter?: string; startAfter?: string; maxKeys: number },
  ): Promise<S3rverListing>;
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getBucket(bucket: string): Promise<unknown>;
}

interface S3rverInstance {
  middleware: KoaMiddleware[];
  store: S3rverStore;
  httpServer?: Server;
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  on(event: "event", listener: (event: { Records: S3rverRecord[] }) => void): void;
}

type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;
type S3ErrorConstructor = new (code: string, message: string, detail?: Record<string, string>) => Error;

const require = createRequire(import.meta.url);
const S3rver = require("s3rver") as S3rverConstructor;
const S3Error = require("s3rver/lib/models/error") as S3ErrorConstructor;

const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

export async function startS3(options: StartS3Options = {}): Promise<LocalS3> {
  const ownsDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), "saddledata-s3-")));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    // Path-style only: with vhost buckets s3rver would read "127.0.0.1" as a bucket name.
    vhostBuckets: false,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });

  const listeners = new Set<ObjectCreatedListener>();
  const announce = (event: ObjectCreatedEvent): void => {
    // Later, as S3 notifications are; a listener that throws surfaces as an uncaught exception.
    setImmediate(() => {
      for (const listener of listeners) listener(event);
    });
  };
  // Object writes in flight by "<bucket>/<key>": s3rver emits its event in the middle of the request,
  // without the reason S3 gives or (for copies) the ETag, which the middleware adds once it is done.
  const writes = new Map<string, ObjectWrite>();
  server.on("event", (event) => {
    for (const record of event.Records) {
      if (!record.eventName.startsWith("ObjectCreated:")) continue;
      const write = writes.get(`${record.s3.bucket.name}/${record.s3.object.key}`);
      if (write === undefined) announce(toObjectCreated(record, "PostObject", undefined));
      else write.record = record;
    }
  });
  insertBeforeRouter(server, extraMiddleware(server.store, writes, announce));
  makeWritesDurable(server.store);

  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (error) {
    if (ownsDirectory) await rm(directory, { recursive: true, force: true });
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    directory,
    onObjectCreated(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      // Idempotent, so a test can stop a server early and still leave the rest to its cleanup.
      stopping ??= (async () => {
        listeners.clear();
        server.httpServer?.closeIdleConnections();
        await server.close();
        if (ownsDirectory) await rm(directory, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/** Koa composes `middleware` when the server starts listening, so inserting before `run()` works. */
/**
 * s3rver answers a PUT before its file is on disk (it resolves when the data was handed to the write
 * stream) and rewrites an object in place, so a GET right after a PUT — or during an overwrite — could
 * read an empty or half-written object. Write to a temporary file and rename it into place once it is
 * flushed: a completed PUT is readable, and a reader sees the old object or the new one, never a part.
 */
function makeWritesDurable(store: S3rverStore): void {
  store.putObject = async (object) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, "object");
    await mkdir(dirname(objectPath), { recursive: true });
    // Not ending in "._S3rver_object", so a listing never shows it.
    const temporary = `${objectPath}.${randomUUID()}.partial`;
    const md5 = createHash("md5");
    let size = 0;
    const content = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    try {
      await pipeline(
        content,
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            md5.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
        }),
        createWriteStream(temporary),
      );
      const digest = md5.digest("hex");
      await rename(temporary, objectPath);
      await store.putMetadata(object.bucket, object.key, object.metadata, digest);
      return { size, md5: digest };
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  };
}

function insertBeforeRouter(server: S3rverInstance, middleware: KoaMiddleware): void {
  // s3rver's constructor registers the router last.
  server.middleware.splice(server.middleware.length - 1, 0, middleware);
}

interface ObjectWrite {
  reason: ObjectCreatedReason;
  record?: S3rverRecord;
}

function toObjectCreated(
  record: S3rverRecord,
  reason: ObjectCreatedReason,
  responseBody: unknown,
): ObjectCreatedEvent {
  const { key, size = 0, sequencer } = record.s3.object;
  const copyEtag = (responseBody as { CopyObjectResult?: { ETag?: string } } | undefined)?.CopyObjectResult
    ?.ETag;
  const eTag = (record.s3.object.eTag ?? copyEtag ?? "").replaceAll('"', "");
  return { bucket: record.s3.bucket.name, key, size, eTag, reason, sequencer };
}

function writeReason(ctx: KoaContext, key: string | undefined): ObjectCreatedReason | undefined {
  if (key === undefined) return undefined;
  if (ctx.method === "POST" && "uploadId" in ctx.query) return "CompleteMultipartUpload";
  if (ctx.method !== "PUT") return undefined;
  // Parts, tags and ACLs are PUTs too, but create nothing.
  if (["uploadId", "tagging", "acl"].some((param) => param in ctx.query)) return undefined;
  return "x-amz-copy-source" in ctx.headers ? "CopyObject" : "PutObject";
}

/** The calls s3rver lacks or fails at (see the top of the file), and completing its object-created events. */
function extraMiddleware(
  store: S3rverStore,
  writes: Map<string, ObjectWrite>,
  announce: (event: ObjectCreatedEvent) => void,
): KoaMiddleware {
  return async (ctx, next) => {
    const [bucket, key] = splitPath(ctx.path);
    const uploadId = typeof ctx.query.uploadId === "string" ? ctx.query.uploadId : undefined;

    if (ctx.method === "DELETE" && key !== undefined && uploadId !== undefined) {
      await abortUpload(store, bucket, key, uploadId);
      ctx.status = 204;
      ctx.body = "";
      return;
    }
    if (ctx.method === "GET" && key === undefined && ctx.query["list-type"] === "2") {
      ctx.body = await listObjectsV2(store, bucket, ctx.query);
      return;
    }
    if (ctx.method === "GET" && key === undefined && "uploads" in ctx.query) {
      ctx.body = await listUploads(store, bucket, stringParam(ctx.query.prefix) ?? "");
      return;
    }
    const reason = writeReason(ctx, key);
    if (reason === undefined) return await next();
    const id = `${bucket}/${key}`;
    const write: ObjectWrite = { reason };
    writes.set(id, write);
    try {
      await next();
    } finally {
      if (writes.get(id) === write) writes.delete(id);
    }
    if (write.record !== undefined) announce(toObjectCreated(write.record, reason, ctx.body));
  };
}

function splitPath(path: string): [string, string | undefined] {
  const [, bucket = "", ...rest] = path.split("/");
  const key = rest.length === 0 || (rest.length === 1 && rest[0] === "") ? undefined : rest.join("/");
  return [decodeURIComponent(bucket), key === undefined ? undefined : decodeURIComponent(key)];
}

function stringParam(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function uploadsDirectory(store: S3rverStore, bucket: string): string {
  return store.getResourcePath(bucket, undefined, "uploads");
}

async function requireBucket(store: S3rverStore, bucket: string): Promise<void> {
  if (!(await store.getBucket(bucket))) {
    throw new S3Error("NoSuchBucket", "The specified bucket does not exist", { BucketName: bucket });
  }
}

async function abortUpload(store: S3rverStore, bucket: string, key: string, uploadId: string): Promise<void> {
  await requireBucket(store, bucket);
  const directory = join(uploadsDirectory(store, bucket), uploadId);
  const storedKey = await readFile(join(directory, "key"), "utf8").catch(() => undefined);
  if (storedKey !== key || !/^[0-9a-f]+$/.test(uploadId)) {
    throw new S3Error(
      "NoSuchUpload",
      "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
      { UploadId: uploadId },
    );
  }
  await rm(directory, { recursive: true, force: true });
}

async function listUploads(store: S3rverStore, bucket: string, prefix: string): Promise<unknown> {
  await requireBucket(store, bucket);
  const root = uploadsDirectory(store, bucket);
  const ids = await readdir(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  const uploads: { Key: string; UploadId: string; StorageClass: string }[] = [];
  for (const id of ids) {
    const key = await readFile(join(root, id, "key"), "utf8").catch(() => undefined);
    if (key?.startsWith(prefix)) {
      uploads.push({ Key: key, UploadId: id, StorageClass: "STANDARD" });
    }
  }
  uploads.sort((a, b) => (a.Key === b.Key ? a.UploadId.localeCompare(b.UploadId) : a.Key < b.Key ? -1 : 1));
  return {
    ListMultipartUploadsResult: {
      "@": { xmlns: XMLNS },
      Bucket: bucket,
      Prefix: prefix,
      MaxUploads: 1000,
      IsTruncated: false,
      Upload: uploads,
    },
  };
}

async function listObjectsV2(
  store: S3rverStore,
  bucket: string,
  query: KoaContext["query"],
): Promise<unknown> {
  await requireBucket(store, bucket);
  const prefix = stringParam(query.prefix) ?? "";
  const delimiter = stringParam(query.delimiter) || undefined;
  const maxKeysParam = stringParam(query["max-keys"]);
  const maxKeys = maxKeysParam === undefined ? 1000 : Number(maxKeysParam);
  if (!Number.isInteger(maxKeys) || maxKeys < 0) {
    throw new S3Error("InvalidArgument", "Argument maxKeys must be an integer between 0 and 2147483647", {
      ArgumentName: "max-keys",
    });
  }
  const token = stringParam(query["continuation-token"]);
  const startAfter = token === undefined ? stringParam(query["start-after"]) : decodeListToken(token, bucket);
  const listing: S3rverListing =
    maxKeys === 0
      ? { objects: [], commonPrefixes: [], isTruncated: false }
      : await store.listObjects(bucket, {
          prefix,
          ...(delimiter === undefined ? {} : { delimiter }),
          ...(startAfter === undefined ? {} : { startAfter }),
          maxKeys: Math.min(maxKeys, 1000),
        });
  const last = listing.objects.at(-1);
  return {
    ListBucketResult: {
      "@": { xmlns: XMLNS },
      Name: bucket,
      Prefix: prefix,
      ...(token === undefined && startAfter !== undefined ? { StartAfter: startAfter } : {}),
      ...(token === undefined ? {} : { ContinuationToken: token }),
      ...(listing.isTruncated && last !== undefined
        ? { NextContinuationToken: encodeListToken(bucket, last.key) }
        : {}),
      KeyCount: listing.objects.length + listing.commonPrefixes.length,
      MaxKeys: maxKeys,
      ...(delimiter === undefined ? {} : { Delimiter: delimiter }),
      IsTruncated: listing.isTruncated,
      Contents: listing.objects.map((object) => ({
        Key: object.key,
        LastModified: object.lastModifiedDate.toISOString(),
        ETag: object.metadata.etag,
        Size: object.size,
        StorageClass: "STANDARD",
      })),
      CommonPrefixes: listing.commonPrefixes.map((common) => ({ Prefix: common })),
    },
  };
}

/** Opaque to clients, as S3's are: the bucket and the last key returned. */
function encodeListToken(bucket: string, lastKey: string): string {
  return Buffer.from(JSON.stringify([bucket, lastKey])).toString("base64url");
}

function decodeListToken(token: string, bucket: string): string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    decoded = undefined;
  }
  if (!Array.isArray(decoded) || decoded[0] !== bucket || typeof decoded[1] !== "string") {
    throw new S3Error("InvalidArgument", "The continuation token provided is incorrect", {
      ArgumentName: "continuation-token",
    });
  }
  return decoded[1];
}
