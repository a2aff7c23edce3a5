/**
 * Column controls (settings `blockFields` and `hashFields`): per object name or glob, fields that are
 * never selected (blocked: the SOQL never names them, so they never land and are in no table) or that
 * land only as a keyed hash (HMAC-SHA-256, hex, with the connection's `hashKey` from its secret).
 *
 * Discover applies them to each stream it builds, where the describe is known: a field name without a
 * glob that matches no field of a matching object is a ConfigurationError naming both (a glob that
 * matches nothing is fine), and so is blocking or hashing `Id`, `IsDeleted` or the stream's cursor
 * field, which the connector needs as they are. A blocked field wins over a hashed one.
 */
import { ConfigurationError } from "../errors";
import type { CatalogField, CatalogStream } from "./catalog";
import { compilePattern } from "./patterns";

/** `{"<object or glob>": ["<field or glob>", …]}`. */
export type FieldRules = Record<string, string[]>;

export interface ColumnControls {
  blockFields?: FieldRules;
  hashFields?: FieldRules;
}

const GLOB = /[*?]/;

/** How to add the key a hashed field needs: said by every refusal to run without one. */
export const HASH_KEY_HELP =
  'add "hashKey" to the connection\'s secret (the credentials JSON: a random string of at least 32 characters, e.g. the output of `openssl rand -hex 32`), or remove hashFields from the settings';

/** Refusal to land a stream's hashed fields without a key (never in clear). */
export function missingHashKey(object: string, fields: readonly string[]): ConfigurationError {
  return new ConfigurationError(
    `${object}: hashFields lists ${fields.join(", ")}, but the connection's secret has no hashKey, so they cannot be landed hashed (and are never landed in clear): ${HASH_KEY_HELP}.`,
    { object },
  );
}

/** A field pattern compiled like an object pattern (names or globs with * and ?, any case). */
export function compileFieldPattern(pattern: string): RegExp {
  try {
    return compilePattern(pattern);
  } catch {
    throw new ConfigurationError(
      `${JSON.stringify(String(pattern).slice(0, 80))} is not a valid field pattern: use a field API name or a glob with * and ? (e.g. Email, *__c, Phone*).`,
    );
  }
}

/** Every key and field pattern of both settings, checked (the settings schema reports each problem). */
export function checkFieldRules(rules: FieldRules): string[] {
  const problems: string[] = [];
  for (const [object, fields] of Object.entries(rules)) {
    try {
      compilePattern(object);
    } catch (error) {
      problems.push(`${object}: ${(error as Error).message}`);
    }
    for (const field of fields) {
      try {
        compileFieldPattern(field);
      } catch (error) {
        problems.push(`${object}: ${(error as Error).message}`);
      }
    }
  }
  return problems;
}

/**
 * An object name without a glob in either setting must be an object of the org (`objects`: its
 * describeGlobal names): a typo there would leave a field unblocked or in clear without a word.
 */
export function checkControlObjects(controls: ColumnControls | undefined, objects: readonly string[]): void {
  const known = new Set(objects.map((name) => name.toLowerCase()));
  for (const setting of ["blockFields", "hashFields"] as const) {
    for (const object of Object.keys(controls?.[setting] ?? {})) {
      if (GLOB.test(object) || known.has(object.toLowerCase())) continue;
      throw new ConfigurationError(
        `${setting}: the org has no object ${object}. Check its API name (custom objects end in __c) and that the integration user can see it, or remove it from ${setting}.`,
        { object },
      );
    }
  }
}

/** Fields a compound field (address, location) stands for: itself and its components. */
function withComponents(fields: readonly CatalogField[], name: string): string[] {
  return [name, ...fields.filter((field) => field.compoundParent === name).map((field) => field.name)];
}

/**
 * The fields of `stream` that `rules` name for its object, in the stream's field order. `strict`: a
 * name without a glob that matches no field is a ConfigurationError (discover); else it is ignored
 * (the load side, which only needs to know what is blocked).
 */
export function fieldsMatching(
  stream: Pick<CatalogStream, "object" | "fields">,
  rules: FieldRules | undefined,
  setting: "blockFields" | "hashFields",
  strict: boolean,
): string[] {
  const chosen = new Set<string>();
  for (const [objectPattern, patterns] of Object.entries(rules ?? {})) {
    if (!compilePattern(objectPattern).test(stream.object)) continue;
    for (const pattern of patterns) {
      const re = compileFieldPattern(pattern);
      const matched = stream.fields.filter((field) => re.test(field.name));
      if (matched.length === 0 && strict && !GLOB.test(pattern)) {
        throw new ConfigurationError(
          `${setting}: ${stream.object} has no field ${pattern} (setting "${objectPattern}"). Check the field's API name (custom fields end in __c) and that the integration user can see it, or remove it from ${setting}.`,
          { object: stream.object, field: pattern },
        );
      }
      for (const field of matched)
        for (const name of withComponents(stream.fields, field.name)) chosen.add(name);
    }
  }
  return stream.fields.map((field) => field.name).filter((name) => chosen.has(name));
}

/** The fields the connector needs as Salesforce gives them. */
function protectedFields(stream: Pick<CatalogStream, "cursorField">): string[] {
  return ["Id", "IsDeleted", ...(stream.cursorField ? [stream.cursorField] : [])];
}

/**
 * The stream with its column controls applied: blocked fields out of `selectFields` (listed in
 * `blockedFields`), hashed ones listed in `hashFields` (the lake types them as strings). Throws a
 * ConfigurationError for an unknown field name, or for a field the connector cannot do without.
 */
export function applyColumnControls(
  stream: CatalogStream,
  controls: ColumnControls | undefined,
): CatalogStream {
  const blocked = fieldsMatching(stream, controls?.blockFields, "blockFields", true);
  const hashed = fieldsMatching(stream, controls?.hashFields, "hashFields", true);
  for (const [setting, names] of [
    ["blockFields", blocked],
    ["hashFields", hashed],
  ] as const) {
    const needed = protectedFields(stream).filter((name) => names.includes(name));
    if (needed.length > 0) {
      throw new ConfigurationError(
        `${setting}: ${stream.object}.${needed[0]} cannot be ${setting === "blockFields" ? "blocked" : "hashed"}: the connector needs Id, IsDeleted and the cursor field (${stream.cursorField ?? "none"}) as Salesforce gives them. Take it out of ${setting} (a glob such as * matches it too).`,
        { object: stream.object, field: needed[0] },
      );
    }
  }
  if (blocked.length === 0 && hashed.length === 0) return stream;
  const out: CatalogStream = {
    ...stream,
    selectFields: stream.selectFields.filter((name) => !blocked.includes(name)),
  };
  if (blocked.length > 0) out.blockedFields = blocked;
  const landedHashed = out.selectFields.filter((name) => hashed.includes(name));
  if (landedHashed.length > 0) out.hashFields = landedHashed;
  return out;
}
