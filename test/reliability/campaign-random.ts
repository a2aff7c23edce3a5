/**
 * The campaigns' randomness: one seeded generator per seed and purpose, so a seed replays the same org
 * changes, fault rules and crash points (the emulator's own fault rates are seeded by its seed and the
 * rule ids, which the campaigns derive from the seed too).
 */
import { createRandom, hashString, type Random } from "../../emulator/org/random";

export type { Random } from "../../emulator/org/random";

export function campaignRandom(seed: number, purpose: string): Random {
  return createRandom(hashString(`${purpose}:${seed}`));
}

/** Awkward text for field values: quotes, separators, line breaks, non-ASCII, CSV and null look-alikes. */
export function awkwardText(random: Random, maxLength = 40): string {
  const pieces = [
    '"',
    '""',
    ",",
    "\n",
    "\r\n",
    ";",
    "\\",
    "'",
    " ",
    "é",
    "漢字",
    "😀",
    "#N/A",
    "null",
    "\t",
    "a",
    "Acme",
    "0",
    "=1+1",
  ];
  const chars = [...random.pick(["Chaos", "x", "Ünïcödé", 'Quote"d'])];
  while (chars.length < maxLength && random.chance(0.8)) chars.push(...random.pick(pieces));
  // By code point: cutting between the halves of a surrogate pair would make text that is not Unicode.
  return chars.slice(0, maxLength).join("");
}

export function shuffled<T>(random: Random, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
