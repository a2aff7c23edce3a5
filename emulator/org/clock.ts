import type { Clock } from "./types";

/**
 * The org's clock: real time shifted by an offset, or frozen at one instant. Frozen time lets a test
 * make thousands of writes share one SystemModstamp, as a bulk load inside one transaction does.
 */
export function createClock(start?: number, options: { frozen?: boolean } = {}): Clock {
  let offset = start === undefined ? 0 : start - Date.now();
  let frozenAt: number | undefined = options.frozen ? (start ?? Date.now()) : undefined;
  return {
    now: () => (frozenAt !== undefined ? frozenAt : Date.now() + offset),
    set(epochMs, setOptions = {}) {
      if (!Number.isFinite(epochMs))
        throw new RangeError(`clock.set needs a finite epoch ms, got ${epochMs}`);
      if (setOptions.frozen) {
        frozenAt = Math.floor(epochMs);
      } else {
        frozenAt = undefined;
        offset = Math.floor(epochMs) - Date.now();
      }
    },
    advance(ms) {
      if (frozenAt !== undefined) frozenAt += ms;
      else offset += ms;
    },
    unfreeze() {
      if (frozenAt === undefined) return;
      offset = frozenAt - Date.now();
      frozenAt = undefined;
    },
  };
}
