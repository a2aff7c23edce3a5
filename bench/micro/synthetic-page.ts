/**
 * The micro benchmarks' synthetic Bulk API 2.0 result page: 40 columns of the common Salesforce types
 * (text with commas, quotes, newlines and non-ASCII; numbers as Bulk writes them; about 12% nulls),
 * made from a fixed seed so every run reads the same bytes.
 */
import type { JsonlColumn } from "../../functions/core/formats/extract/bulk-csv-to-jsonl";

/** Deterministic PRNG (mulberry32) so every run converts the same bytes. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const TYPES = [
  "id",
  "string",
  "string",
  "textarea",
  "picklist",
  "email",
  "phone",
  "url",
  "reference",
  "reference",
  "boolean",
  "boolean",
  "int",
  "long",
  "double",
  "currency",
  "currency",
  "percent",
  "date",
  "date",
  "datetime",
  "datetime",
  "datetime",
  "string",
  "string",
  "multipicklist",
  "string",
  "textarea",
  "double",
  "int",
  "boolean",
  "string",
  "picklist",
  "string",
  "currency",
  "date",
  "datetime",
  "string",
  "string",
  "string",
];
export const COLUMNS: JsonlColumn[] = TYPES.map((sfType, i) => ({
  name: i === 0 ? "Id" : `Field_${String(i).padStart(2, "0")}__c`,
  sfType,
}));

const WORDS = [
  "Acme",
  "Global",
  "Widgets",
  "Ltd",
  "Zürich",
  "naïve",
  "東京",
  "Consulting",
  "Partners",
  "Inc",
];

function value(rnd: () => number, sfType: string, row: number): string {
  if (rnd() < 0.12) return "";
  switch (sfType) {
    case "id":
    case "reference":
      return `001${String(row).padStart(12, "0")}AAA`;
    case "boolean":
      return rnd() < 0.5 ? "true" : "false";
    case "int":
    case "long":
      return `${Math.floor(rnd() * 100000)}.0`;
    case "double":
    case "percent":
      return (rnd() * 1000).toFixed(3);
    case "currency":
      return rnd() < 0.05 ? "1.6147805824397E13" : (rnd() * 1e6).toFixed(2);
    case "date":
      return `20${String(10 + Math.floor(rnd() * 15))}-0${1 + Math.floor(rnd() * 9)}-1${Math.floor(rnd() * 9)}`;
    case "datetime":
      return `2024-04-1${Math.floor(rnd() * 9)}T1${Math.floor(rnd() * 9)}:0${Math.floor(rnd() * 9)}:00.000Z`;
    case "textarea": {
      const r = rnd();
      if (r < 0.2) return `Line one, "quoted"\nLine two\twith tab`;
      if (r < 0.4)
        return `${WORDS[Math.floor(rnd() * WORDS.length)]} notes about the account and its history`;
      return "Short note";
    }
    default: {
      const n = 1 + Math.floor(rnd() * 3);
      const words: string[] = [];
      for (let k = 0; k < n; k++) words.push(WORDS[Math.floor(rnd() * WORDS.length)] as string);
      const text = words.join(" ");
      return rnd() < 0.05 ? `${text}, "Inc"` : text;
    }
  }
}

export function buildCsv(rows: number): Buffer {
  const rnd = random(42);
  const lines: string[] = [COLUMNS.map((c) => `"${c.name}"`).join(",")];
  for (let r = 0; r < rows; r++) {
    lines.push(COLUMNS.map((c) => `"${value(rnd, c.sfType, r).replaceAll('"', '""')}"`).join(","));
  }
  return Buffer.from(`${lines.join("\n")}\n`, "utf8");
}
