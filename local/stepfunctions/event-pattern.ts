import { ConfigurationError } from "../../functions/errors";

/**
 * EventBridge pattern matching for the patterns the stack writes: nested objects whose leaves are lists
 * of allowed values or `{ prefix }` filters. Other operators are refused rather than guessed at, so local
 * mode never starts a load the deployed rule would not.
 */
export function matchesEventPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  if (event === null || typeof event !== "object" || Array.isArray(event)) return false;
  const fields = event as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = fields[key];
    if (Array.isArray(expected)) return expected.some((allowed) => matchesValue(allowed, actual));
    if (expected !== null && typeof expected === "object") {
      return matchesEventPattern(expected as Record<string, unknown>, actual);
    }
    throw new ConfigurationError(`Event pattern field ${key} must be a list or an object.`);
  });
}

function matchesValue(allowed: unknown, actual: unknown): boolean {
  if (allowed === null || typeof allowed !== "object") return allowed === actual;
  const operators = Object.keys(allowed);
  if (operators.length === 1 && operators[0] === "prefix") {
    const prefix = (allowed as { prefix: unknown }).prefix;
    return typeof prefix === "string" && typeof actual === "string" && actual.startsWith(prefix);
  }
  throw new ConfigurationError(
    `Local mode does not evaluate the event pattern operator ${operators.join(", ")}.`,
  );
}
