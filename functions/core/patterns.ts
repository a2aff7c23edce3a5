import { ConfigurationError } from "../errors";

const PATTERN = /^[A-Za-z0-9_*?]{1,120}$/;

/**
 * Object name patterns: exact API names or globs with `*` and `?` (`*__c`, `*History`), matched
 * case-insensitively as Salesforce matches names.
 */
export function compilePattern(pattern: string): RegExp {
  if (typeof pattern !== "string" || !PATTERN.test(pattern)) {
    throw new ConfigurationError(
      `${JSON.stringify(String(pattern).slice(0, 80))} is not a valid object pattern: use an API name or a glob with * and ? (e.g. Account, *__c, *History).`,
    );
  }
  const source = pattern.replace(/[*?]/g, (char) => (char === "*" ? ".*" : "."));
  return new RegExp(`^${source}$`, "i");
}

export class ObjectFilter {
  private readonly include: RegExp[];
  private readonly exclude: RegExp[];

  constructor(include: string[], exclude: string[] = []) {
    this.include = include.map(compilePattern);
    this.exclude = exclude.map(compilePattern);
  }

  matches(name: string): boolean {
    return this.include.some((re) => re.test(name)) && !this.exclude.some((re) => re.test(name));
  }
}
