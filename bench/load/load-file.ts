/**
 * The load benchmark's inbound file: an upsert of the bench object by its external id, 20 columns of
 * the kinds a CRM export holds (text with commas, quotes and line breaks, picklists, numbers, dates,
 * datetimes, booleans, empty cells), generated deterministically in chunks of about 1 MB.
 */
import { BENCH_EXTERNAL_ID } from "../emulator/bench-object";

export const LOAD_COLUMNS = [
  BENCH_EXTERNAL_ID,
  "Name",
  "Type__c",
  "Industry__c",
  "Rating__c",
  "Tags__c",
  "Description__c",
  "Billing_City__c",
  "Billing_Country__c",
  "Phone__c",
  "Website__c",
  "Email__c",
  "Annual_Revenue__c",
  "Employees__c",
  "Score__c",
  "Discount__c",
  "Active__c",
  "Founded__c",
  "Last_Contact__c",
  "Notes__c",
] as const;

const TYPES = ["Customer", "Partner", "Prospect", "Reseller", "Other"];
const INDUSTRIES = ["Banking", "Energy", "Retail", "Technology", "Healthcare", "Manufacturing"];
const RATINGS = ["Hot", "Warm", "Cold"];
const TAGS = ["Priority", "Recurring", "Disputed", "Export", "Partner"];
const CITIES = ["San Francisco", "München", "São Paulo", "東京", "Kraków", "Zürich"];
const COUNTRIES = ["USA", "Germany", "Brazil", "Japan", "Poland", "Switzerland"];
const NOTES = [
  "Renewal due next quarter.",
  'Asked for the "enterprise" tier, pending approval.',
  "Line one\nLine two, with a comma",
  "Prefers email, not phone.",
  "",
];

/** A small fast hash so every row's values are a pure function of its index. */
function mix(index: number, salt: number): number {
  let h = Math.imul(index ^ salt, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  return (h ^ (h >>> 13)) >>> 0;
}

function pick<T>(items: readonly T[], h: number): T {
  return items[h % items.length] as T;
}

function quote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const DAY = 86_400_000;
const EPOCH = Date.UTC(2015, 0, 1);

export function loadRow(index: number): string {
  const h = mix(index, 0x5eed);
  const g = mix(index, 0xbeef);
  const tags = TAGS.filter((_, k) => (h >>> k) & 1);
  const cells = [
    `L-${String(index).padStart(8, "0")}`,
    `${pick(CITIES, g)} Trading ${index}`,
    pick(TYPES, h),
    pick(INDUSTRIES, h >>> 3),
    h % 7 === 0 ? "" : pick(RATINGS, g >>> 2),
    tags.join(";"),
    `${pick(NOTES, h >>> 5)} Account ${index}, reviewed.`,
    pick(CITIES, h >>> 7),
    pick(COUNTRIES, h >>> 7),
    `+1 (555) ${String(h % 1000).padStart(3, "0")}-${String(g % 10000).padStart(4, "0")}`,
    `https://www.example-${index}.com`,
    `contact${index}@example.com`,
    h % 11 === 0 ? "" : ((g % 100_000_000) / 100).toFixed(2),
    String(h % 50_000),
    ((g % 1_000_000) / 1000).toFixed(3),
    ((h % 10_000) / 100).toFixed(2),
    h & 1 ? "true" : "false",
    new Date(EPOCH + (g % 3650) * DAY).toISOString().slice(0, 10),
    new Date(EPOCH + (h % 3650) * DAY + (g % DAY)).toISOString(),
    pick(NOTES, g >>> 9),
  ];
  return `${cells.map(quote).join(",")}\n`;
}

/** The file as chunks of about `chunkBytes`, header first. */
export function* loadFileChunks(records: number, chunkBytes = 1 << 20): Generator<Buffer> {
  let text = `${LOAD_COLUMNS.join(",")}\n`;
  for (let index = 1; index <= records; index++) {
    text += loadRow(index);
    if (text.length >= chunkBytes) {
      yield Buffer.from(text, "utf8");
      text = "";
    }
  }
  if (text.length > 0) yield Buffer.from(text, "utf8");
}
