import type { Log } from "../core/ports";

const MASK = "[redacted]";
/** Shorter values would mask ordinary words; secrets are never this short. */
const MIN_SECRET_LENGTH = 6;

/**
 * A last line of defence: the code never logs secret values, and this wrapper masks any that slip into
 * a message or its extra fields anyway (credentials, access tokens).
 */
export class RedactingLog implements Log {
  private readonly secrets = new Set<string>();

  constructor(private readonly inner: Log) {}

  addSecrets(...values: string[]): void {
    for (const value of values) {
      if (value.length < MIN_SECRET_LENGTH) continue;
      this.secrets.add(value);
      // Inside serialized JSON a value with quotes or newlines (a PEM key) appears escaped.
      this.secrets.add(JSON.stringify(value).slice(1, -1));
    }
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
    return out;
  }

  private clean(extra: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
    if (!extra || this.secrets.size === 0) return extra;
    const text = JSON.stringify(extra);
    const redacted = this.redact(text);
    return redacted === text ? extra : (JSON.parse(redacted) as Record<string, unknown>);
  }

  debug(message: string, extra?: Record<string, unknown>): void {
    this.inner.debug(this.redact(message), this.clean(extra));
  }
  info(message: string, extra?: Record<string, unknown>): void {
    this.inner.info(this.redact(message), this.clean(extra));
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.inner.warn(this.redact(message), this.clean(extra));
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.inner.error(this.redact(message), this.clean(extra));
  }
}
