import { createHash } from "node:crypto";
import type { Layout } from "../core/layout";

/** One version of one inbound file, as an S3 event names it. */
export interface InboundFileVersion {
  bucket: string;
  key: string;
  /** S3 versionId (versioned bucket), else the ETag. */
  version?: string;
}

/** Step Functions' limit for execution names. */
export const MAX_EXECUTION_NAME_LENGTH = 80;
const HASH_LENGTH = 12;
const MAX_OBJECT_LENGTH = 30;
const MAX_OPERATION_LENGTH = 10;

function sanitize(text: string): string {
  return text
    .replace(/[^A-Za-z0-9_-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "");
}

/**
 * The load execution's name for a file version: `<object>-<operation>-<file>-<hash>`, at most 80
 * characters of `[A-Za-z0-9_-]`, starting with a letter or digit (it is also the load's run id). The hash
 * covers bucket, key and version, so two versions of one file get two names while a second delivery of
 * the same event gets the same name, which Step Functions refuses to start again.
 *
 * Readable parts come from the key's place under `inbound/` (`<Object>/<operation>[/<field>]/<file>`)
 * without validating it: a misplaced file still gets a run, whose claim explains what is wrong.
 */
export function loadExecutionName(file: InboundFileVersion, layout: Layout): string {
  const hash = createHash("sha256")
    .update(`${file.bucket}\n${file.key}\n${file.version ?? ""}`)
    .digest("hex")
    .slice(0, HASH_LENGTH);
  const inbound = layout.inboundPrefix();
  const relative = file.key.startsWith(inbound) ? file.key.slice(inbound.length) : file.key;
  const segments = relative.split("/").filter((segment) => segment !== "");
  const fileName = segments.at(-1) ?? "";
  const object = segments.length >= 2 ? (segments[0] ?? "") : "";
  const operation = segments.length >= 3 ? (segments[1] ?? "") : "";
  const head = [
    sanitize(object).slice(0, MAX_OBJECT_LENGTH),
    sanitize(operation).slice(0, MAX_OPERATION_LENGTH),
  ].filter((part) => part !== "");
  const room =
    MAX_EXECUTION_NAME_LENGTH - HASH_LENGTH - head.reduce((sum, part) => sum + part.length + 1, 0) - 1;
  const filePart = sanitize(sanitize(fileName).slice(0, room));
  const parts = [...head, filePart, hash].filter((part) => part !== "");
  const name = parts.join("-");
  return /^[A-Za-z0-9]/.test(name) ? name : `f${name.slice(0, MAX_EXECUTION_NAME_LENGTH - 1)}`;
}
