/**
 * Access tokens the emulator issued. Tokens expire by wall-clock time (a session timeout is not an org
 * datum, and tests move the org clock freely), and `expireAll` ends every session at once.
 */
import { randomBytes } from "node:crypto";

export interface Session {
  token: string;
  userId: string;
  username: string;
  clientId: string;
  issuedAt: number;
  expiresAt: number;
}

export class Sessions {
  private readonly byToken = new Map<string, Session>();

  constructor(
    private readonly orgId: string,
    private readonly ttlMs: number,
  ) {}

  issue(user: { userId: string; username: string }, clientId: string): Session {
    // Real tokens are the 15-character org id, '!', then an opaque string.
    const token = `${this.orgId.slice(0, 15)}!${randomBytes(72).toString("base64url")}`;
    const now = Date.now();
    const session = { token, ...user, clientId, issuedAt: now, expiresAt: now + this.ttlMs };
    this.byToken.set(token, session);
    return session;
  }

  /** The live session for a token, or undefined (unknown, expired or invalidated). */
  find(token: string): Session | undefined {
    const session = this.byToken.get(token);
    if (session === undefined) return undefined;
    if (Date.now() >= session.expiresAt) {
      this.byToken.delete(token);
      return undefined;
    }
    return session;
  }

  invalidate(token: string): boolean {
    return this.byToken.delete(token);
  }

  expireAll(): void {
    this.byToken.clear();
  }
}

/** The bearer token of an `Authorization` header (`Bearer x` or Salesforce's older `OAuth x`). */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
