/**
 * SOQL tokens. Identifiers may contain dots (`Owner.Name`); date and datetime literals are their own
 * tokens because SOQL writes them unquoted; string literals keep their raw body so LIKE can tell an
 * escaped `\%` from a wildcard.
 */
import { queryError } from "./errors";

export type TokenKind =
  | "ident"
  | "string"
  | "number"
  | "date"
  | "datetime"
  | "op"
  | "comma"
  | "lparen"
  | "rparen"
  | "eof";

export interface Token {
  kind: TokenKind;
  /** The token's source text (for errors); for strings, the unescaped value. */
  text: string;
  /** String literals: the body between the quotes, escapes untouched. */
  raw?: string;
  offset: number;
}

const DATETIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2})/iy;
const DATE = /\d{4}-\d{2}-\d{2}(?![\w:])/y;
const NUMBER = /[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?![\w])/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
const ESCAPES: Record<string, string> = {
  n: "\n",
  r: "\r",
  t: "\t",
  b: "\b",
  f: "\f",
  '"': '"',
  "'": "'",
  "\\": "\\",
  "%": "%",
  _: "_",
};

function matchAt(pattern: RegExp, source: string, offset: number): string | undefined {
  pattern.lastIndex = offset;
  return pattern.exec(source)?.[0];
}

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const char = source.charAt(i);
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    const offset = i;
    if (char === "'") {
      let value = "";
      let j = i + 1;
      for (;;) {
        if (j >= source.length)
          throw queryError("MALFORMED_QUERY", source, offset, "unterminated string literal");
        const c = source.charAt(j);
        if (c === "'") break;
        if (c === "\\") {
          const next = source.charAt(j + 1);
          const mapped = ESCAPES[next];
          if (mapped === undefined) {
            throw queryError(
              "MALFORMED_QUERY",
              source,
              j,
              `Invalid string literal '${source.slice(offset, j + 2)}'. Illegal character sequence '\\${next}' in string literal.`,
            );
          }
          value += mapped;
          j += 2;
          continue;
        }
        value += c;
        j++;
      }
      tokens.push({ kind: "string", text: value, raw: source.slice(i + 1, j), offset });
      i = j + 1;
      continue;
    }
    const datetime = matchAt(DATETIME, source, i);
    if (datetime) {
      tokens.push({ kind: "datetime", text: datetime, offset });
      i += datetime.length;
      continue;
    }
    const date = matchAt(DATE, source, i);
    if (date) {
      tokens.push({ kind: "date", text: date, offset });
      i += date.length;
      continue;
    }
    const num = matchAt(NUMBER, source, i);
    if (num) {
      tokens.push({ kind: "number", text: num, offset });
      i += num.length;
      continue;
    }
    const ident = matchAt(IDENT, source, i);
    if (ident) {
      // Date literals with a count, e.g. LAST_N_DAYS:30, are one token.
      const count = /^:\d+/.exec(source.slice(i + ident.length))?.[0] ?? "";
      tokens.push({ kind: "ident", text: ident + count, offset });
      i += ident.length + count.length;
      continue;
    }
    const two = source.slice(i, i + 2);
    if (two === "!=" || two === "<>" || two === "<=" || two === ">=") {
      tokens.push({ kind: "op", text: two, offset });
      i += 2;
      continue;
    }
    if (char === "=" || char === "<" || char === ">") {
      tokens.push({ kind: "op", text: char, offset });
      i++;
      continue;
    }
    if (char === ",") tokens.push({ kind: "comma", text: char, offset });
    else if (char === "(") tokens.push({ kind: "lparen", text: char, offset });
    else if (char === ")") tokens.push({ kind: "rparen", text: char, offset });
    else throw queryError("MALFORMED_QUERY", source, offset, `unexpected token: '${char}'`);
    i++;
  }
  tokens.push({ kind: "eof", text: "<EOF>", offset: source.length });
  return tokens;
}
