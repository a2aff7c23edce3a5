import { Readable } from "node:stream";
import type {
  CommitUpdate,
  LakeTableState,
  LakeWatermark,
  MergeClaim,
  ObjectInfo,
  ObjectStore,
  StateStore,
  StreamKey,
  StreamState,
} from "../../functions/core/ports";
import { ConfigurationError, LeaseConflictError } from "../../functions/errors";

/** An object store in memory, for unit tests. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Uint8Array>();
  constructor(readonly bucket = "memory") {}

  async put(key: string, body: string | Uint8Array) {
    this.objects.set(key, typeof body === "string" ? new TextEncoder().encode(body) : body);
    return {};
  }

  async upload(key: string, body: Readable | AsyncIterable<Uint8Array>) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of body) chunks.push(chunk as Uint8Array);
    const bytes = Buffer.concat(chunks);
    this.objects.set(key, bytes);
    return { bytes: bytes.length };
  }

  async get(key: string) {
    return this.objects.get(key);
  }

  async stream(key: string) {
    const bytes = this.objects.get(key);
    if (bytes === undefined) throw new ConfigurationError(`s3://${this.bucket}/${key} does not exist`);
    return { body: Readable.from([bytes]), info: { key, size: bytes.length } };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const bytes = this.objects.get(key);
    return bytes === undefined ? undefined : { key, size: bytes.length };
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const key of [...this.objects.keys()].sort()) {
      if (key.startsWith(prefix)) yield { key, size: this.objects.get(key)?.length ?? 0 };
    }
  }
}

/** The stream items of a state store in memory, with the same conditions as DynamoStateStore's writes. */
export class MemoryStateStore implements StateStore {
  readonly streams = new Map<string, StreamState>();

  private item(key: StreamKey): StreamState {
    const id = `${key.connection}#${key.object}`;
    let state = this.streams.get(id);
    if (!state) {
      state = { ...key };
      this.streams.set(id, state);
    }
    return state;
  }

  async get(key: StreamKey) {
    const state = this.streams.get(`${key.connection}#${key.object}`);
    return state === undefined ? undefined : structuredClone(state);
  }

  async list(connection: string) {
    return [...this.streams.values()].filter((state) => state.connection === connection);
  }

  async acquireLease(key: StreamKey, holder: string, leaseMs: number, now: number) {
    const state = this.item(key);
    if (state.leaseHolder && state.leaseHolder !== holder && (state.leaseExpiresAt ?? 0) >= now) {
      throw new LeaseConflictError(`${key.object} is leased by ${state.leaseHolder}`);
    }
    Object.assign(state, { leaseHolder: holder, leaseExpiresAt: now + leaseMs, lastRunId: holder });
    state.lastStatus = "running";
    return { ...state };
  }

  async renewLease(key: StreamKey, holder: string, leaseMs: number, now: number) {
    const state = this.item(key);
    if (state.leaseHolder !== holder) throw new LeaseConflictError(`lost the lease on ${key.object}`);
    state.leaseExpiresAt = now + leaseMs;
  }

  async commit(key: StreamKey, holder: string, update: CommitUpdate) {
    const state = this.item(key);
    if (state.leaseHolder !== holder || (state.commitSeq ?? 0) !== update.commitSeq - 1) {
      throw new LeaseConflictError(`${key.object}: nothing was committed`);
    }
    Object.assign(state, {
      cursor: update.cursor,
      lastRunId: update.runId,
      lastStatus: "succeeded",
      lastManifestKey: update.manifestKey,
      lastCommittedAt: update.committedAt,
      commitSeq: update.commitSeq,
      ...(update.reconciledAt === undefined ? {} : { lastReconciledAt: update.reconciledAt }),
      ...(update.formulaRefreshedAt === undefined ? {} : { lastFormulaRefreshAt: update.formulaRefreshedAt }),
      ...(typeof update.reconcilePending === "string" ? { reconcilePending: update.reconcilePending } : {}),
    });
    if (update.reconcilePending === null) delete state.reconcilePending;
    delete state.leaseHolder;
    delete state.leaseExpiresAt;
  }

  async release(key: StreamKey, holder: string) {
    const state = this.item(key);
    if (state.leaseHolder !== holder) return;
    delete state.leaseHolder;
    delete state.leaseExpiresAt;
  }

  /** One lake table's state on the stream item, made on first use. */
  private table(key: StreamKey, watermark: LakeWatermark): LakeTableState {
    const state = this.item(key);
    state.lake ??= {};
    state.lake[watermark] ??= {};
    return state.lake[watermark];
  }

  async claimMerge(
    key: StreamKey,
    watermark: LakeWatermark,
    claim: MergeClaim,
    leaseMs: number,
    now: number,
  ) {
    const table = this.table(key, watermark);
    const free =
      table.mergeHolder === undefined ||
      (table.mergeExpiresAt ?? 0) < now ||
      table.mergeHolder === claim.holder;
    if ((table.mergedSeq ?? 0) !== claim.fromSeq || !free) {
      throw new LeaseConflictError(`${key.object}: run ${claim.holder} cannot merge`);
    }
    Object.assign(table, {
      mergeHolder: claim.holder,
      mergeExpiresAt: now + leaseMs,
      mergeToSeq: claim.toSeq,
    });
  }

  async advanceMerged(key: StreamKey, watermark: LakeWatermark, claim: MergeClaim, mergedAt: string) {
    const table = this.table(key, watermark);
    if ((table.mergedSeq ?? 0) !== claim.fromSeq || table.mergeHolder !== claim.holder) {
      throw new LeaseConflictError(`${key.object}: could not advance the watermark`);
    }
    Object.assign(table, { mergedSeq: claim.toSeq, lastMergedAt: mergedAt });
    delete table.mergeHolder;
    delete table.mergeExpiresAt;
    delete table.mergeToSeq;
    delete table.lastMergeError;
  }

  async releaseMerge(key: StreamKey, watermark: LakeWatermark, holder: string, error: string | undefined) {
    const table = this.item(key).lake?.[watermark];
    if (table === undefined || table.mergeHolder !== holder) return;
    delete table.mergeHolder;
    delete table.mergeExpiresAt;
    delete table.mergeToSeq;
    if (error === undefined) delete table.lastMergeError;
    else table.lastMergeError = error;
  }

  async claimFile(): Promise<never> {
    throw new Error("MemoryStateStore keeps no file claims");
  }

  async finishFile(): Promise<never> {
    throw new Error("MemoryStateStore keeps no file claims");
  }

  async getFile(): Promise<undefined> {
    return undefined;
  }
}
