/**
 * Embedded DynamoDB for local mode and tests: dynalite on loopback, in memory or persisted in a folder.
 * dynalite has no UpdateTimeToLive and always describes TTL as disabled, so those two calls are answered
 * here (settings kept per table, and in the folder when there is one). Items never expire locally.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ConfigurationError } from "../../functions/errors";

export interface StartDynamoOptions {
  /** Folder the tables are persisted in; in memory when absent. */
  directory?: string;
}

export interface LocalDynamo {
  endpoint: string;
  stop(): Promise<void>;
}

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

interface TimeToLiveSetting {
  attributeName: string;
  /** The table's CreationDateTime, so a table dropped and created again starts with TTL disabled. */
  tableCreatedAt: number;
}

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

const require = createRequire(import.meta.url);
const dynalite = require("dynalite") as (options: DynaliteOptions) => Server;

const TARGET_PREFIX = "DynamoDB_20120810.";
const ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#";

export async function startDynamo(options: StartDynamoOptions = {}): Promise<LocalDynamo> {
  const { directory } = options;
  const settingsFile = directory === undefined ? undefined : join(directory, "time-to-live.json");
  if (directory !== undefined) await mkdir(directory, { recursive: true });
  const settings = new Map<string, TimeToLiveSetting>(
    settingsFile === undefined ? [] : Object.entries(await loadSettings(settingsFile)),
  );

  const server = dynalite({
    ...(directory === undefined ? {} : { path: join(directory, "tables") }),
    // Tables are ACTIVE at once: nothing local needs to wait for them.
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const dynaliteListeners = server.listeners("request") as RequestListener[];
  server.removeAllListeners("request");

  let endpoint = "";
  const timeToLive = new TimeToLiveHandler(settings, async () => {
    if (settingsFile !== undefined) {
      await writeFile(settingsFile, `${JSON.stringify(Object.fromEntries(settings), null, 2)}\n`);
    }
  });
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const target = request.headers["x-amz-target"];
    if (target === `${TARGET_PREFIX}UpdateTimeToLive` || target === `${TARGET_PREFIX}DescribeTimeToLive`) {
      void timeToLive.handle(endpoint, target.slice(TARGET_PREFIX.length), request, response);
      return;
    }
    for (const listener of dynaliteListeners) listener(request, response);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    stop() {
      // Idempotent, so a test can stop a server early and still leave the rest to its cleanup.
      stopping ??= new Promise<void>((resolve, reject) => {
        // dynalite's close also waits for its database to close.
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      });
      return stopping;
    },
  };
}

class TimeToLiveHandler {
  constructor(
    private readonly settings: Map<string, TimeToLiveSetting>,
    private readonly save: () => Promise<void>,
  ) {}

  async handle(endpoint: string, operation: string, request: IncomingMessage, response: ServerResponse) {
    try {
      const input = JSON.parse((await readBody(request)) || "{}") as Record<string, unknown>;
      const tableName = input.TableName;
      if (typeof tableName !== "string" || tableName === "") {
        return send(response, 400, validation("1 validation error detected: TableName must not be null"));
      }
      // Ask dynalite itself whether the table exists, with the caller's own (unverified) signature.
      const described = await fetch(endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "x-amz-target": `${TARGET_PREFIX}DescribeTable`,
          authorization: String(request.headers.authorization ?? ""),
          "x-amz-date": String(request.headers["x-amz-date"] ?? ""),
        },
        body: JSON.stringify({ TableName: tableName }),
      });
      const description = (await described.json()) as { Table?: { CreationDateTime?: number } };
      if (!described.ok || description.Table === undefined) {
        return send(response, described.status, description);
      }
      const tableCreatedAt = description.Table.CreationDateTime ?? 0;
      const current = this.settings.get(tableName);
      const enabled =
        current !== undefined && current.tableCreatedAt === tableCreatedAt ? current : undefined;

      if (operation === "DescribeTimeToLive") {
        return send(response, 200, {
          TimeToLiveDescription:
            enabled === undefined
              ? { TimeToLiveStatus: "DISABLED" }
              : { TimeToLiveStatus: "ENABLED", AttributeName: enabled.attributeName },
        });
      }

      const specification = input.TimeToLiveSpecification as
        | { Enabled?: unknown; AttributeName?: unknown }
        | undefined;
      if (
        specification === undefined ||
        typeof specification.Enabled !== "boolean" ||
        typeof specification.AttributeName !== "string" ||
        specification.AttributeName === ""
      ) {
        return send(
          response,
          400,
          validation("TimeToLiveSpecification needs Enabled (boolean) and AttributeName (non-empty string)"),
        );
      }
      if (specification.Enabled && enabled !== undefined) {
        return send(response, 400, validation("TimeToLive is already enabled"));
      }
      if (!specification.Enabled && enabled === undefined) {
        return send(response, 400, validation("TimeToLive is already disabled"));
      }
      if (specification.Enabled) {
        this.settings.set(tableName, { attributeName: specification.AttributeName, tableCreatedAt });
      } else {
        this.settings.delete(tableName);
      }
      await this.save();
      return send(response, 200, {
        TimeToLiveSpecification: {
          Enabled: specification.Enabled,
          AttributeName: specification.AttributeName,
        },
      });
    } catch (error) {
      return send(response, 500, {
        __type: `${ERROR_PREFIX}InternalServerError`,
        message: String((error as Error).message),
      });
    }
  }
}

function validation(message: string): Record<string, string> {
  return { __type: `${ERROR_PREFIX}ValidationException`, message };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/x-amz-json-1.0",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function loadSettings(file: string): Promise<Record<string, TimeToLiveSetting>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigurationError(`${file} does not hold DynamoDB TTL settings: fix or remove the file`);
  }
  return parsed as Record<string, TimeToLiveSetting>;
}
