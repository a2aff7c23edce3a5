/**
 * Counts the requests the emulator received, per route kind. OAuth token requests are kept apart
 * from API requests, so a test can assert "this sync spent N API calls" regardless of logins.
 */
import { NON_API_KINDS, type RouteKind } from "./route-kind";

export interface ApiCallCounter {
  /** API requests (REST and Bulk), not counting OAuth token requests. */
  readonly total: number;
  /** Token requests (`/services/oauth2/token`). */
  readonly oauth: number;
  /** Requests of one kind. */
  count(kind: RouteKind): number;
  /** Every kind seen so far with its count. */
  byKind(): Partial<Record<RouteKind, number>>;
  reset(): void;
}

export class CallCounter implements ApiCallCounter {
  private counts = new Map<RouteKind, number>();
  private apiTotal = 0;

  get total(): number {
    return this.apiTotal;
  }

  get oauth(): number {
    return this.count("oauth");
  }

  record(kind: RouteKind): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    if (!NON_API_KINDS.has(kind)) this.apiTotal += 1;
  }

  count(kind: RouteKind): number {
    return this.counts.get(kind) ?? 0;
  }

  byKind(): Partial<Record<RouteKind, number>> {
    return Object.fromEntries(this.counts) as Partial<Record<RouteKind, number>>;
  }

  reset(): void {
    this.counts = new Map();
    this.apiTotal = 0;
  }

  toJSON(): { total: number; oauth: number; byKind: Partial<Record<RouteKind, number>> } {
    return { total: this.total, oauth: this.oauth, byKind: this.byKind() };
  }
}
