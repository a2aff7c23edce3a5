/**
 * A Parquet part, written one row group at a time (hyparquet-writer's ParquetWriter, fed a LakeBatch)
 * into bytes handed to the part upload after each row group: memory holds the row group being gathered
 * and the one being encoded, never the whole part.
 *
 * Where the process has a second CPU, row groups are encoded on an encoder thread (one per process,
 * started at the first part) while the main thread downloads and converts the next one: a row group's
 * typed arrays move to the thread and back without copies (LakeBatch.take). Otherwise they are encoded
 * in the main thread, by the same code (PartEncoder).
 *
 * The physical types follow the lake type of each column (lakeTypeOf in core/lake/lake-names.ts):
 * string → BYTE_ARRAY UTF8, boolean → BOOLEAN, int → INT32, bigint → INT64, double → DOUBLE,
 * decimal(p,s) → INT32 (p ≤ 9), INT64 (p ≤ 18) or FIXED_LEN_BYTE_ARRAY (p ≤ 38) with the DECIMAL
 * logical type, date → INT32 DATE, timestamp → INT64 TIMESTAMP(isAdjustedToUTC, MILLIS); every column
 * optional, with statistics (min, max, null count); pages compressed with ZSTD (SNAPPY where the Node
 * runtime has no zstd), so parts are not gzipped.
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import zlib from "node:zlib";
import {
  ByteWriter,
  type ColumnSource,
  ParquetWriter,
  type SchemaElement,
  type Writer,
} from "hyparquet-writer";
import type { LakeColumn, LakeType } from "../../lake/lake-names";
import { ORIGIN_COLUMN, type RowOrigin, RUN_ID_COLUMN } from "../../lake/lake-names";
import { type BatchState, type ColumnValues, LakeBatch, stateBuffers } from "./lake-batch";

/**
 * A row group closes at this many rows or this many value bytes, whichever comes first. Memory, not
 * Athena, sets the size: encoding a row group costs several times its bytes in the JS heap before the
 * garbage is collected. Peak RSS of the 1,000,000-row bench extract encoded in the main thread: 8 MiB
 * groups 214-228 MB, 4 MiB 190 MB (target ≤ 200 MB). 4 MiB is about 5,000 rows of a 40-column object
 * (~0.7 MB compressed), which Athena still reads by column chunk and skips by statistics; narrow
 * objects reach the row cap first.
 */
export const ROW_GROUP_MAX_ROWS = 100_000;
export const ROW_GROUP_MAX_BYTES = 4 * 1024 * 1024;

/** zstd level 1: the fastest; higher levels shrink these pages little for much more CPU. */
const ZSTD_LEVEL = 1;

const zstdCompressSync = (zlib as { zstdCompressSync?: typeof zlib.zstdCompressSync }).zstdCompressSync;

/** The compression codec parts use: ZSTD with Node's zlib (22.15 and later), SNAPPY otherwise. */
export const PARQUET_CODEC: "ZSTD" | "SNAPPY" = zstdCompressSync === undefined ? "SNAPPY" : "ZSTD";

function zstd(bytes: Uint8Array): Uint8Array {
  return (zstdCompressSync as typeof zlib.zstdCompressSync)(bytes, {
    params: { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL },
  });
}

/** Bytes a FIXED_LEN_BYTE_ARRAY needs for a two's-complement decimal of `precision` digits. */
function decimalBytes(precision: number): number {
  let bytes = 1;
  while (2n ** BigInt(8 * bytes - 1) <= 10n ** BigInt(precision)) bytes++;
  return bytes;
}

/** The Parquet schema element of a lake column (see the file comment). */
export function parquetElement(name: string, type: LakeType): SchemaElement {
  const base: SchemaElement = { name, repetition_type: "OPTIONAL" };
  switch (type.kind) {
    case "string":
      return { ...base, type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } };
    case "boolean":
      return { ...base, type: "BOOLEAN" };
    case "int":
      return { ...base, type: "INT32" };
    case "bigint":
      return { ...base, type: "INT64" };
    case "double":
      return { ...base, type: "DOUBLE" };
    case "decimal": {
      const { precision, scale } = type;
      const decimal = {
        converted_type: "DECIMAL" as const,
        precision,
        scale,
        logical_type: { type: "DECIMAL" as const, precision, scale },
      };
      if (precision <= 9) return { ...base, type: "INT32", ...decimal };
      if (precision <= 18) return { ...base, type: "INT64", ...decimal };
      return { ...base, type: "FIXED_LEN_BYTE_ARRAY", type_length: decimalBytes(precision), ...decimal };
    }
    case "date":
      return { ...base, type: "INT32", converted_type: "DATE", logical_type: { type: "DATE" } };
    case "timestamp":
      return {
        ...base,
        type: "INT64",
        converted_type: "TIMESTAMP_MILLIS",
        logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" },
      };
  }
}

/** The columns after the stream's: `_run_id`, and `_origin` in a part of rows found otherwise. */
function tailColumns(origin: RowOrigin | undefined): string[] {
  return origin === undefined ? [RUN_ID_COLUMN] : [RUN_ID_COLUMN, ORIGIN_COLUMN];
}

/** The part's schema: the stream's lake columns, then `_run_id` (and `_origin` when given). */
export function parquetSchema(columns: LakeColumn[], origin?: RowOrigin): SchemaElement[] {
  const tail = tailColumns(origin);
  return [
    { name: "schema", num_children: columns.length + tail.length },
    ...columns.map((column) => parquetElement(column.name, column.type)),
    ...tail.map((name) => parquetElement(name, { kind: "string" })),
  ];
}

/** What a part's encoder needs to know: its columns, its run and the origin of its rows. */
interface PartSpec {
  columns: LakeColumn[];
  runId: string;
  origin: RowOrigin | undefined;
}

/**
 * One part's encoding: hyparquet-writer's ParquetWriter writing into a ByteWriter, one row group per
 * call, each call returning the bytes it produced. The same in the main thread and the encoder thread.
 */
class PartEncoder {
  private readonly writer = new ByteWriter(1 << 20);
  private readonly parquet: ParquetWriter;
  /** Decodes the states' columns (its own rows stay empty). */
  private readonly decoders: LakeBatch;
  /** The constant columns after the stream's, encoded: the run id, and the origin when given. */
  private readonly constants: Uint8Array[];
  private readonly names: string[];

  constructor({ columns, runId, origin }: PartSpec) {
    this.decoders = new LakeBatch(columns);
    const encoder = new TextEncoder();
    this.constants = [runId, ...(origin === undefined ? [] : [origin])].map((text) => encoder.encode(text));
    this.names = [...columns.map((column) => column.name), ...tailColumns(origin)];
    // No flush hook: the writer writes a row group without waiting, and its bytes are taken after.
    const writer: Writer = this.writer;
    writer.flush = undefined;
    this.parquet = new ParquetWriter({
      writer: this.writer,
      schema: parquetSchema(columns, origin),
      codec: PARQUET_CODEC,
      compressors: PARQUET_CODEC === "ZSTD" ? { ZSTD: zstd } : {},
      statistics: true,
      createdBy: "saddledata",
    });
  }

  /** Encodes one row group; returns its bytes. */
  writeGroup(state: BatchState): Uint8Array {
    if (state.rows > 0) {
      void this.parquet.write({ columnData: this.columnData(state), rowGroupSize: state.rows });
      this.keepStatistics();
    }
    return this.take();
  }

  /** Writes the footer; returns the last bytes. */
  finish(): Uint8Array {
    void this.parquet.finish();
    return this.take();
  }

  /**
   * The row group's columns, each made into JS values only when the writer reaches it (the writer
   * takes columns one after the other), so one column's values exist at a time, not the row group's.
   */
  private columnData(state: BatchState): ColumnSource[] {
    const rows = state.rows;
    const columns = this.decoders.columns;
    let cached: { index: number; values: ColumnValues } | undefined;
    const valuesOf = (index: number): ColumnValues => {
      if (cached?.index !== index) {
        const column = columns[index];
        const values =
          column === undefined
            ? new Array(rows).fill(this.constants[index - columns.length])
            : column.valuesOf(state.columns[index] as BatchState["columns"][number]);
        cached = { index, values };
      }
      return cached.values;
    };
    return this.names.map((name, index) => ({
      name,
      get data() {
        return valuesOf(index) as ColumnSource["data"];
      },
    }));
  }

  /**
   * Copies the text minimum and maximum of the row group just written: the writer keeps them for the
   * footer, and they are views into the state's arrays, which the next row group overwrites.
   */
  private keepStatistics(): void {
    for (const chunk of this.parquet.row_groups.at(-1)?.columns ?? []) {
      const statistics = chunk.meta_data?.statistics;
      if (statistics === undefined) continue;
      if (statistics.min_value instanceof Uint8Array) statistics.min_value = statistics.min_value.slice();
      if (statistics.max_value instanceof Uint8Array) statistics.max_value = statistics.max_value.slice();
    }
  }

  private take(): Uint8Array {
    const bytes = new Uint8Array(this.writer.buffer, 0, this.writer.index).slice();
    this.writer.index = 0;
    return bytes;
  }
}

/** Messages to the encoder thread, and its answers. */
type Request =
  | ({ kind: "open"; part: number } & PartSpec)
  | { kind: "group"; id: number; part: number; state: BatchState }
  | { kind: "finish"; id: number; part: number }
  | { kind: "close"; part: number };
interface Encoded {
  id: number;
  bytes: Uint8Array;
  /** A row group's state, given back to be filled again. */
  state?: BatchState;
}
type Answer = Encoded | { id: number; error: { name: string; message: string; stack?: string } };

const ENCODER_YOUNG_GENERATION_MB = 16;

/** The workerData that makes a thread loading this module an encoder thread. */
const ENCODER_THREAD = "saddledataParquetEncoder";

/** The encoder thread's side: one PartEncoder per open part. */
function serveEncoder(port: NonNullable<typeof parentPort>): void {
  const parts = new Map<number, PartEncoder>();
  port.on("message", (request: Request) => {
    if (request.kind === "open") {
      parts.set(request.part, new PartEncoder(request));
      return;
    }
    if (request.kind === "close") {
      parts.delete(request.part);
      return;
    }
    try {
      const encoder = parts.get(request.part);
      if (encoder === undefined)
        throw new Error(`Parquet part ${request.part} is not open in the encoder thread`);
      if (request.kind === "group") {
        const bytes = encoder.writeGroup(request.state);
        // The state goes back to be filled again: its arrays are transferred, not copied.
        const answer: Answer = { id: request.id, bytes, state: request.state };
        port.postMessage(answer, [bytes.buffer as ArrayBuffer, ...stateBuffers(request.state)]);
      } else {
        const bytes = encoder.finish();
        parts.delete(request.part);
        port.postMessage({ id: request.id, bytes } satisfies Answer, [bytes.buffer as ArrayBuffer]);
      }
    } catch (error) {
      const { name, message, stack } = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ id: request.id, error: { name, message, stack } } satisfies Answer);
    }
  });
}

if (
  !isMainThread &&
  (workerData as Record<string, unknown> | null)?.[ENCODER_THREAD] === true &&
  parentPort
) {
  serveEncoder(parentPort);
}

/**
 * The worker running this module. From a bundle (a Lambda's), the bundle itself, whose entry only
 * defines its handler; from the TypeScript sources (tests, local mode), this file through tsx.
 */
function startEncoderThread(): Worker {
  const self = import.meta.url;
  const data = { [ENCODER_THREAD]: true };
  // A young generation of 16 MB (V8's default is larger): collected more often, the encoder's garbage
  // (page buffers among it) goes sooner.
  const limits = { resourceLimits: { maxYoungGenerationSizeMb: ENCODER_YOUNG_GENERATION_MB } };
  if (!self.endsWith(".ts")) return new Worker(new URL(self), { workerData: data, ...limits });
  const tsx = JSON.stringify(pathToFileURL(createRequire(self).resolve("tsx/esm/api")).href);
  const code = `import(${tsx}).then((api) => { api.register(); return import(${JSON.stringify(self)}); });`;
  return new Worker(code, { eval: true, workerData: data, ...limits });
}

/** The process's encoder thread: requests and their answers, in order. */
class EncoderThread {
  private readonly worker = startEncoderThread();
  private readonly waiting = new Map<
    number,
    { resolve: (answer: Encoded) => void; reject: (error: Error) => void }
  >();
  private nextId = 1;
  private nextPart = 1;
  /** Why the thread is gone, once it is. */
  failed: Error | undefined;

  constructor() {
    // An idle thread never keeps the process alive; one working does (see ask).
    this.worker.unref();
    this.worker.on("message", (answer: Answer) => {
      const waiter = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (waiter === undefined) return;
      if ("error" in answer) {
        const error = new Error(`Parquet encoder thread: ${answer.error.message}`);
        error.name = answer.error.name;
        waiter.reject(error);
      } else waiter.resolve(answer);
    });
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) =>
      this.fail(new Error(`The Parquet encoder thread exited (code ${code})`)),
    );
  }

  /** A new part's number, opened in the thread. */
  open(spec: PartSpec): number {
    const part = this.nextPart++;
    this.send({ kind: "open", part, ...spec });
    return part;
  }

  close(part: number): void {
    if (this.failed === undefined) this.send({ kind: "close", part });
  }

  ask(request: Request & { id: number }, transfer: ArrayBuffer[] = []): Promise<Encoded> {
    return new Promise((resolve, reject) => {
      if (this.failed !== undefined) {
        reject(this.failed);
        return;
      }
      this.waiting.set(request.id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(request, transfer);
    });
  }

  id(): number {
    return this.nextId++;
  }

  private send(request: Request): void {
    this.worker.postMessage(request);
  }

  private fail(error: Error): void {
    this.failed ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
    if (shared === this) shared = undefined;
  }
}

let shared: EncoderThread | undefined;

/** Memory from which Lambda gives a function two vCPUs' worth of time (1,769 MB is one). */
const LAMBDA_TWO_VCPU_MB = 3538;

/**
 * Whether parts are encoded on the encoder thread by default: where there is a second CPU to run it.
 * In Lambda by the function's memory (CPU time is in proportion to it, whatever the CPUs the system
 * lists), elsewhere by the CPUs the process may use.
 */
export function encodeOffThreadByDefault(env: NodeJS.ProcessEnv = process.env): boolean {
  const lambdaMb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  if (Number.isFinite(lambdaMb) && lambdaMb > 0) return lambdaMb >= LAMBDA_TWO_VCPU_MB;
  return availableParallelism() > 1;
}

const ENCODE_OFF_THREAD = encodeOffThreadByDefault();

export class ParquetPartWriter {
  private readonly encoder: PartEncoder | undefined;
  private readonly thread: EncoderThread | undefined;
  private readonly part: number = 0;
  /** The row group being encoded on the thread: its bytes and its arrays, once done. */
  private inFlight: Promise<Encoded> | undefined;
  /** A state done with, whose arrays the next row group reuses. */
  private spare: BatchState | undefined;
  private rowCount = 0;
  private closed = false;

  /**
   * @param send receives the part's bytes in order, after each row group and at the end; it may keep
   *   them (they are a copy)
   * @param origin how every row of this part was found, when not by the run's query (`_origin`)
   * @param offThread encode on the process's encoder thread (default: where there is a second CPU)
   */
  constructor(
    columns: LakeColumn[],
    runId: string,
    private readonly send: (bytes: Uint8Array) => Promise<void>,
    origin?: RowOrigin,
    offThread = ENCODE_OFF_THREAD,
  ) {
    const spec = { columns, runId, origin };
    if (offThread) {
      shared ??= new EncoderThread();
      this.thread = shared;
      this.part = this.thread.open(spec);
    } else this.encoder = new PartEncoder(spec);
  }

  /** Rows written so far. */
  get rows(): number {
    return this.rowCount;
  }

  /** Whether the batch should be written out now. */
  static full(batch: LakeBatch): boolean {
    return batch.rows >= ROW_GROUP_MAX_ROWS || batch.bytes >= ROW_GROUP_MAX_BYTES;
  }

  /**
   * Writes the batch's rows as one row group (nothing when it is empty) and sends the bytes ready so
   * far. The batch is empty when this resolves (its rows were taken), ready to be filled again.
   */
  async writeRowGroup(batch: LakeBatch): Promise<void> {
    const rows = batch.rows;
    if (rows === 0) return;
    if (this.thread === undefined) {
      const state = batch.take(this.spare);
      const bytes = (this.encoder as PartEncoder).writeGroup(state);
      this.spare = state;
      this.rowCount += rows;
      await this.send(bytes);
      return;
    }
    await this.settle();
    const state = batch.take(this.spare);
    this.spare = undefined;
    this.rowCount += rows;
    this.inFlight = this.thread.ask(
      { kind: "group", id: this.thread.id(), part: this.part, state },
      stateBuffers(state),
    );
  }

  /** Writes the footer and sends the last bytes. */
  async finish(): Promise<void> {
    if (this.thread === undefined) {
      await this.send((this.encoder as PartEncoder).finish());
      this.closed = true;
      return;
    }
    await this.settle();
    const { bytes } = await this.thread.ask({ kind: "finish", id: this.thread.id(), part: this.part });
    this.closed = true;
    await this.send(bytes);
  }

  /** Drops a part that will not be finished (its upload failed): the encoder thread forgets it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inFlight?.catch(() => undefined);
    this.thread?.close(this.part);
  }

  /** Waits for the row group on the thread, sends its bytes and keeps its arrays for the next. */
  private async settle(): Promise<void> {
    const inFlight = this.inFlight;
    if (inFlight === undefined) return;
    this.inFlight = undefined;
    const { bytes, state } = await inFlight;
    this.spare = state;
    await this.send(bytes);
  }
}
