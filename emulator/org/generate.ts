/**
 * Generated rows: each field's value is a pure function of (seed, field, row index), so a million
 * rows need no storage and read back identically every time. Values cover every field type and the
 * awkward cases a CSV or JSON writer must survive: commas, double quotes, newlines, non-ASCII text
 * and nulls.
 */
import type { ObjectState } from "./object-state";
import { hash32, hashString, unit } from "./random";
import type { ValueGenerator } from "./table";
import { dateOf } from "./temporal";
import type { FieldDef } from "./types";

export interface GeneratorInput {
  state: ObjectState;
  seed: number;
  /** CreatedDate / SystemModstamp spread (epoch ms). */
  from: number;
  to: number;
  /** Ids for OwnerId / CreatedById and other User lookups. */
  userIds: string[];
  /** Existing Ids of an object, for lookups. */
  referencePool: (objectName: string) => string[];
  /** The counter the first generated row gets (auto-numbers follow it). */
  firstCounter: number;
  /** Rows to generate (spreads CreatedDate evenly over the range). */
  count: number;
}

const WORDS = [
  "Acme",
  "Globex",
  "Initech",
  "Umbrella",
  "Hooli",
  "Vandelay",
  "Müller & Söhne",
  "Société Générale",
  "Zürich Re",
  "São Paulo Têxtil",
  "Ōsaka Kōgyō",
  "北京科技",
  "Smith, Jones & Co.",
  'The "Best" Widgets',
  "O'Reilly Media",
  "Crème Brûlée Café",
  "Łódź Logistics",
  "Åkesson AB",
];
const SENTENCES = [
  "Renewal due next quarter.",
  "Prefers email, not phone.",
  'Asked for the "enterprise" tier, pending approval.',
  "Line one\nLine two, with a comma",
  "Contact: Zoë Ñúñez — résumé attached.",
  "Escalated twice; see notes, then call back.",
  "Multi-line\r\nwindows text",
  "Plain note",
];
const CITIES = [
  "San Francisco",
  "New York",
  "London",
  "Paris",
  "München",
  "Zürich",
  "São Paulo",
  "東京",
  "Kraków",
];
const COUNTRIES = [
  "USA",
  "United States",
  "UK",
  "France",
  "Germany",
  "Switzerland",
  "Brazil",
  "Japan",
  "Poland",
];

function pick<T>(items: readonly T[], h: number): T {
  return items[h % items.length] as T;
}

function clip(text: string, field: FieldDef): string {
  return field.length > 0 && text.length > field.length ? text.slice(0, field.length) : text;
}

function textValue(field: FieldDef, h: number, index: number): string {
  const suffix = field.name.replace(/__c$/i, "").replace(/^(Billing|Shipping|Mailing)/, "");
  if (field.externalId || field.unique) return clip(`G${(h % 46656).toString(36)}-${index}`, field);
  switch (field.type) {
    case "email":
      return clip(`user${index}.${(h % 1000).toString(36)}@example.com`, field);
    case "phone":
      return `+1 (555) ${String(h % 1000).padStart(3, "0")}-${String((h >>> 10) % 10000).padStart(4, "0")}`;
    case "url":
      return clip(`https://www.example-${index}.com/${(h % 97).toString(36)}`, field);
    case "textarea":
      return clip(`${pick(SENTENCES, h)} ${pick(SENTENCES, h >>> 7)}`, field);
    case "base64":
      return Buffer.from(`generated body ${index}`).toString("base64");
    default:
      break;
  }
  if (/City$/.test(suffix)) return clip(pick(CITIES, h), field);
  if (/Country$/.test(suffix)) return clip(pick(COUNTRIES, h), field);
  if (/PostalCode$/.test(suffix)) return String(10000 + (h % 89999));
  if (/State$/.test(suffix)) return clip(pick(["CA", "NY", "TX", "Île-de-France", "Bayern", "ZH"], h), field);
  if (/Street$/.test(suffix))
    return clip(`${1 + (h % 999)} ${pick(WORDS, h >>> 5)} Street\nSuite ${h % 50}`, field);
  return clip(`${pick(WORDS, h)} ${pick(WORDS, h >>> 8)} ${index}`, field);
}

function numberValue(field: FieldDef, h: number): number {
  const u = unit(h);
  switch (field.type) {
    case "int":
    case "long": {
      const max = Math.min(10 ** Math.max(1, field.digits) - 1, 1_000_000);
      return Math.floor(u * max);
    }
    case "percent":
      return Math.round(u * 100 * 10 ** field.scale) / 10 ** field.scale;
    default: {
      if (/Latitude/.test(field.name)) return Math.round((u * 180 - 90) * 1e6) / 1e6;
      if (/Longitude/.test(field.name)) return Math.round((u * 360 - 180) * 1e6) / 1e6;
      const integerDigits = Math.max(1, Math.min(9, field.precision - field.scale));
      const scale = 10 ** field.scale;
      return Math.round(u * 10 ** Math.min(integerDigits, 7) * scale) / scale;
    }
  }
}

export function buildGenerators(input: GeneratorInput): Map<string, ValueGenerator> {
  const { state, seed, from, to, userIds, firstCounter } = input;
  const count = Math.max(1, input.count);
  const span = Math.max(0, to - from);
  const generators = new Map<string, ValueGenerator>();
  const created: ValueGenerator = (i) =>
    from + Math.floor((span * (i + unit(hash32(seed, 0xc0, i)))) / count);
  const modified: ValueGenerator = (i) => {
    const c = created(i) as number;
    return c + Math.floor(unit(hash32(seed, 0x5e, i)) * (to - c) * 0.5);
  };
  const pools = new Map<string, string[]>();
  const poolFor = (field: FieldDef): string[] => {
    const key = field.referenceTo.join(",");
    let pool = pools.get(key);
    if (!pool) {
      pool = field.referenceTo.includes("User")
        ? userIds
        : field.referenceTo.flatMap((name) => (name === state.def.name ? [] : input.referencePool(name)));
      pools.set(key, pool);
    }
    return pool;
  };

  for (const name of state.storedFields) {
    const field = state.field(name) as FieldDef;
    const stream = hashString(name);
    const nullable = field.nillable && !field.nameField;
    const isNull = (i: number) => nullable && hash32(seed ^ 0x6e75, stream, i) % 10 === 0;
    let generator: ValueGenerator | undefined;
    switch (name) {
      case "Id":
        continue;
      case "IsDeleted":
        generator = () => false;
        break;
      case "CreatedDate":
        generator = created;
        break;
      case "LastModifiedDate":
      case "SystemModstamp":
        generator = state.has("SystemModstamp") ? modified : created;
        break;
      case "CreatedById":
      case "LastModifiedById":
      case "OwnerId":
        generator = (i) =>
          userIds.length > 0 ? (userIds[hash32(seed, stream, i) % userIds.length] as string) : null;
        break;
      default:
        break;
    }
    if (!generator && state.hasAutoNumber(name)) {
      generator = (i) => state.autoNumberValues(firstCounter + i)[name] ?? null;
    }
    if (!generator) generator = valueGenerator(field, seed, stream, from, span, poolFor, firstCounter);
    const base = generator;
    generators.set(name, nullable && !isSystem(name) ? (i) => (isNull(i) ? null : base(i)) : base);
  }
  return generators;
}

function isSystem(name: string): boolean {
  return [
    "IsDeleted",
    "CreatedDate",
    "LastModifiedDate",
    "SystemModstamp",
    "CreatedById",
    "LastModifiedById",
    "OwnerId",
  ].includes(name);
}

function valueGenerator(
  field: FieldDef,
  seed: number,
  stream: number,
  from: number,
  span: number,
  poolFor: (field: FieldDef) => string[],
  firstCounter: number,
): ValueGenerator {
  const h = (i: number) => hash32(seed, stream, i);
  // Text embeds the row's org-wide counter, so unique values stay unique across generate calls.
  const text = (i: number) => textValue(field, h(i), firstCounter + i);
  switch (field.type) {
    case "boolean":
      return (i) => (h(i) & 1) === 1;
    case "int":
    case "long":
    case "double":
    case "currency":
    case "percent":
      return (i) => numberValue(field, h(i));
    case "date":
      return (i) => dateOf(from + Math.floor(unit(h(i)) * span));
    case "datetime":
      return (i) => from + Math.floor(unit(h(i)) * span);
    case "time":
      return (i) => {
        const x = h(i);
        const hh = String(x % 24).padStart(2, "0");
        const mm = String((x >>> 5) % 60).padStart(2, "0");
        const ss = String((x >>> 11) % 60).padStart(2, "0");
        return `${hh}:${mm}:${ss}.000Z`;
      };
    case "picklist":
    case "combobox": {
      const values = field.picklistValues.filter((p) => p.active).map((p) => p.value);
      if (values.length === 0) return text;
      return (i) => pick(values, h(i));
    }
    case "multipicklist": {
      const values = field.picklistValues.filter((p) => p.active).map((p) => p.value);
      if (values.length === 0) return () => null;
      return (i) => {
        const x = h(i);
        const chosen = values.filter((_, k) => (x >>> k) & 1);
        return chosen.length > 0 ? chosen.join(";") : pick(values, x);
      };
    }
    case "reference":
    case "id": {
      // Sampled now: rows added later (even other generated ones) must not become parents.
      const pool = poolFor(field);
      return (i) => (pool.length > 0 ? (pool[h(i) % pool.length] as string) : null);
    }
    default:
      return text;
  }
}
