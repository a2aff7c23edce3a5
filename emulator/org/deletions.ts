/**
 * What an object keeps of its deletions: the delete log getDeleted reads (soft and hard deletes) and
 * the recycle bin's contents by deletion time. Both keep 15 days of org time; emptying the recycle bin
 * also cuts the log at that instant. The rules of a getDeleted window (whole minutes, the earliest date
 * available, the Id limit) live here too. Sources: emulator/README.md, "Deleted records".
 */
import { type DeleteLogSettings, type GetDeletedResult, OrgError } from "./types";

/** How long the recycle bin and the delete log keep a deletion. */
export const RETENTION_MS = 15 * 86_400_000;

/** Salesforce's getDeleted limit on the Ids of one answer. */
export const DEFAULT_MAX_IDS = 600_000;

const MINUTE = 60_000;

export const floorMinute = (epochMs: number): number => Math.floor(epochMs / MINUTE) * MINUTE;
export const ceilMinute = (epochMs: number): number => Math.ceil(epochMs / MINUTE) * MINUTE;

/** One object's delete log: Ids and deletion times in the order they were recorded. */
export class DeleteLog {
  // Parallel arrays rather than an object per entry: a bulk delete can log hundreds of thousands.
  private ids: string[] = [];
  private dates: number[] = [];
  private oldest = Number.POSITIVE_INFINITY;
  private purgedAt = Number.NEGATIVE_INFINITY;

  get size(): number {
    return this.ids.length;
  }

  record(id: string, at: number): void {
    this.ids.push(id);
    this.dates.push(at);
    if (at < this.oldest) this.oldest = at;
  }

  /** The instant from which the log is complete: 15 days back, or the last emptying of the bin. */
  earliest(now: number): number {
    return Math.max(now - RETENTION_MS, this.purgedAt);
  }

  /** The recycle bin was emptied at `at`: what was logged until then is gone. */
  purge(at: number): void {
    this.purgedAt = at;
    this.keep((date) => date > at);
  }

  /**
   * getDeleted over this log. `start` and `end` lose their seconds; entries deleted from the start
   * minute up to the end minute (inclusive) are returned, in the order they were logged.
   */
  read(start: number, end: number, now: number, settings: DeleteLogSettings): GetDeletedResult {
    const from = floorMinute(start);
    const to = floorMinute(end);
    if (to - from < MINUTE) {
      // Salesforce's own wording, inverted as it is (restforce/restforce#667).
      throw new OrgError(
        "INVALID_REPLICATION_DATE",
        "startDate must be at least one minute greater than endDate",
      );
    }
    const cutoff = this.earliest(now);
    if (this.oldest < cutoff) this.keep((date) => date >= cutoff);
    const earliestDateAvailable = ceilMinute(cutoff);
    if (from < earliestDateAvailable) {
      throw new OrgError(
        "INVALID_REPLICATION_DATE",
        `startDate is before the earliest date available ${new Date(earliestDateAvailable).toISOString()}`,
      );
    }
    const deletedRecords: GetDeletedResult["deletedRecords"] = [];
    for (let i = 0; i < this.dates.length; i++) {
      const date = this.dates[i] as number;
      if (date < from || date > to) continue;
      if (deletedRecords.length >= settings.maxIds) {
        throw new OrgError(
          "EXCEEDED_ID_LIMIT",
          `More than ${settings.maxIds} deleted records in the range; choose start and end dates closer together`,
        );
      }
      deletedRecords.push({ id: this.ids[i] as string, deletedDate: date });
    }
    const latestDateCovered = Math.min(to, floorMinute(now - settings.coverageLagMs));
    return { deletedRecords, earliestDateAvailable, latestDateCovered };
  }

  private keep(wanted: (date: number) => boolean): void {
    const ids: string[] = [];
    const dates: number[] = [];
    let oldest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.dates.length; i++) {
      const date = this.dates[i] as number;
      if (!wanted(date)) continue;
      ids.push(this.ids[i] as string);
      dates.push(date);
      if (date < oldest) oldest = date;
    }
    this.ids = ids;
    this.dates = dates;
    this.oldest = oldest;
  }
}

/**
 * The Ids in one object's recycle bin with the time each arrived, oldest first, so the rows due to
 * leave are found without scanning the table. An Id whose row left by other means (a hard delete of a
 * binned row) stays listed until it is taken; the org skips what no longer exists.
 */
export class RecycleBin {
  private ids: string[] = [];
  private dates: number[] = [];
  private head = 0;
  /** False once the clock was set back between two deletions: sorted again before the next take. */
  private ordered = true;

  get size(): number {
    return this.ids.length - this.head;
  }

  add(id: string, at: number): void {
    const last = this.dates[this.dates.length - 1];
    if (this.size > 0 && last !== undefined && at < last) this.ordered = false;
    this.ids.push(id);
    this.dates.push(at);
  }

  /** When the oldest row in the bin is due to leave; +Infinity when the bin is empty. */
  nextExpiry(): number {
    this.sort();
    const first = this.dates[this.head];
    return first === undefined ? Number.POSITIVE_INFINITY : first + RETENTION_MS;
  }

  /** Takes out the Ids that have been in the bin for 15 days at `now`. */
  takeExpired(now: number): string[] {
    this.sort();
    const out: string[] = [];
    while (this.head < this.ids.length && (this.dates[this.head] as number) + RETENTION_MS <= now) {
      out.push(this.ids[this.head] as string);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.ids.length) {
      this.ids = this.ids.slice(this.head);
      this.dates = this.dates.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Takes out every Id (the bin is emptied). */
  takeAll(): string[] {
    const out = this.ids.slice(this.head);
    this.ids = [];
    this.dates = [];
    this.head = 0;
    this.ordered = true;
    return out;
  }

  private sort(): void {
    if (this.ordered) return;
    const order = this.dates
      .map((date, index) => ({ date, index }))
      .slice(this.head)
      .sort((a, b) => a.date - b.date || a.index - b.index);
    this.ids = order.map((entry) => this.ids[entry.index] as string);
    this.dates = order.map((entry) => entry.date);
    this.head = 0;
    this.ordered = true;
  }
}
