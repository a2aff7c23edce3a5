/**
 * A recursive-descent parser for the SOQL subset: SELECT field list (or COUNT()), FROM, WHERE (comparisons, LIKE,
 * IN / NOT IN, INCLUDES / EXCLUDES, AND / OR / NOT with parentheses), ORDER BY, LIMIT, OFFSET.
 * As in Salesforce, AND and OR cannot be mixed at one level without parentheses.
 */
import { parseDateTime } from "../org/temporal";
import type { ComparisonOperator, Condition, FieldRef, Literal, OrderItem, SelectQuery } from "./ast";
import { queryError } from "./errors";
import { type Token, tokenize } from "./lexer";

const KEYWORDS = new Set([
  "SELECT",
  "FROM",
  "WHERE",
  "AND",
  "OR",
  "NOT",
  "IN",
  "LIKE",
  "INCLUDES",
  "EXCLUDES",
  "ORDER",
  "BY",
  "ASC",
  "DESC",
  "NULLS",
  "FIRST",
  "LAST",
  "LIMIT",
  "OFFSET",
  "GROUP",
  "HAVING",
  "WITH",
  "FOR",
  "USING",
  "TYPEOF",
]);

const RELATIVE_DATE = /^(TODAY|YESTERDAY|TOMORROW|LAST_N_DAYS|NEXT_N_DAYS|N_DAYS_AGO)(?::(\d+))?$/;

class Parser {
  private position = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.position + ahead, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (this.position < this.tokens.length - 1) this.position++;
    return token;
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.kind === "ident" && token.text.toUpperCase() === keyword;
  }

  private unexpected(token: Token): never {
    throw queryError("MALFORMED_QUERY", this.source, token.offset, `unexpected token: '${token.text}'`);
  }

  private expectKeyword(keyword: string): Token {
    const token = this.next();
    if (!this.isKeyword(token, keyword)) this.unexpected(token);
    return token;
  }

  private fieldRef(): FieldRef {
    const token = this.next();
    if (token.kind !== "ident" || KEYWORDS.has(token.text.toUpperCase())) this.unexpected(token);
    return { path: token.text, offset: token.offset };
  }

  parse(): SelectQuery {
    this.expectKeyword("SELECT");
    // COUNT() alone: the number of matching rows (REST answers it as totalSize with no records).
    const count =
      this.isKeyword(this.peek(), "COUNT") &&
      this.peek(1).kind === "lparen" &&
      this.peek(2).kind === "rparen";
    const fields: FieldRef[] = [];
    if (count) {
      this.next();
      this.next();
      this.next();
    } else {
      fields.push(this.fieldRef());
      while (this.peek().kind === "comma") {
        this.next();
        fields.push(this.fieldRef());
      }
    }
    this.expectKeyword("FROM");
    const objectToken = this.next();
    if (
      objectToken.kind !== "ident" ||
      KEYWORDS.has(objectToken.text.toUpperCase()) ||
      objectToken.text.includes(".")
    ) {
      this.unexpected(objectToken);
    }
    let where: Condition | undefined;
    if (this.isKeyword(this.peek(), "WHERE")) {
      this.next();
      where = this.condition();
    }
    const orderBy: OrderItem[] = [];
    if (this.isKeyword(this.peek(), "ORDER")) {
      this.next();
      this.expectKeyword("BY");
      orderBy.push(this.orderItem());
      while (this.peek().kind === "comma") {
        this.next();
        orderBy.push(this.orderItem());
      }
    }
    let limit: number | undefined;
    if (this.isKeyword(this.peek(), "LIMIT")) {
      this.next();
      limit = this.count();
    }
    let offset: number | undefined;
    if (this.isKeyword(this.peek(), "OFFSET")) {
      this.next();
      offset = this.count();
    }
    const end = this.next();
    if (end.kind !== "eof") this.unexpected(end);
    return {
      count,
      fields,
      object: { name: objectToken.text, offset: objectToken.offset },
      where,
      orderBy,
      limit,
      offset,
    };
  }

  private count(): number {
    const token = this.next();
    if (token.kind !== "number" || !/^\d+$/.test(token.text)) this.unexpected(token);
    return Number(token.text);
  }

  private orderItem(): OrderItem {
    const field = this.fieldRef();
    let descending = false;
    if (this.isKeyword(this.peek(), "ASC")) this.next();
    else if (this.isKeyword(this.peek(), "DESC")) {
      this.next();
      descending = true;
    }
    let nullsLast = descending;
    if (this.isKeyword(this.peek(), "NULLS")) {
      this.next();
      const which = this.next();
      if (this.isKeyword(which, "FIRST")) nullsLast = false;
      else if (this.isKeyword(which, "LAST")) nullsLast = true;
      else this.unexpected(which);
    }
    return { field, descending, nullsLast };
  }

  private condition(): Condition {
    if (this.isKeyword(this.peek(), "NOT")) {
      this.next();
      const term = this.term();
      const after = this.peek();
      if (this.isKeyword(after, "AND") || this.isKeyword(after, "OR")) this.unexpected(after);
      return { kind: "not", term };
    }
    const first = this.term();
    const joiner = this.peek();
    const kind = this.isKeyword(joiner, "AND") ? "and" : this.isKeyword(joiner, "OR") ? "or" : undefined;
    if (!kind) return first;
    const other = kind === "and" ? "OR" : "AND";
    const terms = [first];
    while (this.isKeyword(this.peek(), kind.toUpperCase())) {
      this.next();
      terms.push(this.term());
    }
    if (this.isKeyword(this.peek(), other)) this.unexpected(this.peek());
    return { kind, terms };
  }

  private term(): Condition {
    if (this.peek().kind === "lparen") {
      this.next();
      const inner = this.condition();
      const close = this.next();
      if (close.kind !== "rparen") this.unexpected(close);
      return inner;
    }
    const field = this.fieldRef();
    const token = this.next();
    if (token.kind === "op") {
      const operator = (token.text === "<>" ? "!=" : token.text) as ComparisonOperator;
      return { kind: "compare", field, operator, value: this.literal() };
    }
    if (this.isKeyword(token, "LIKE")) return { kind: "like", field, pattern: this.literal() };
    if (this.isKeyword(token, "IN")) return { kind: "in", field, negated: false, values: this.list() };
    if (this.isKeyword(token, "NOT")) {
      this.expectKeyword("IN");
      return { kind: "in", field, negated: true, values: this.list() };
    }
    if (this.isKeyword(token, "INCLUDES"))
      return { kind: "includes", field, negated: false, values: this.list() };
    if (this.isKeyword(token, "EXCLUDES"))
      return { kind: "includes", field, negated: true, values: this.list() };
    return this.unexpected(token);
  }

  private list(): Literal[] {
    const open = this.next();
    if (open.kind !== "lparen") this.unexpected(open);
    const values = [this.literal()];
    while (this.peek().kind === "comma") {
      this.next();
      values.push(this.literal());
    }
    const close = this.next();
    if (close.kind !== "rparen") this.unexpected(close);
    return values;
  }

  private literal(): Literal {
    const token = this.next();
    switch (token.kind) {
      case "string":
        return { kind: "string", value: token.text, raw: token.raw ?? token.text, offset: token.offset };
      case "number":
        return { kind: "number", value: Number(token.text), offset: token.offset };
      case "date":
        return { kind: "date", value: token.text, offset: token.offset };
      case "datetime": {
        const value = parseDateTime(token.text, { requireZone: true });
        if (value === undefined) this.unexpected(token);
        return { kind: "datetime", value, offset: token.offset };
      }
      case "ident": {
        const upper = token.text.toUpperCase();
        if (upper === "TRUE" || upper === "FALSE") {
          return { kind: "boolean", value: upper === "TRUE", offset: token.offset };
        }
        if (upper === "NULL") return { kind: "null", offset: token.offset };
        const relative = RELATIVE_DATE.exec(upper);
        if (relative) {
          const name = relative[1] ?? upper;
          const counted = name.includes("_N_") || name.startsWith("N_");
          if (counted !== (relative[2] !== undefined)) this.unexpected(token);
          return { kind: "relative", name, count: Number(relative[2] ?? 0), offset: token.offset };
        }
        return this.unexpected(token);
      }
      default:
        return this.unexpected(token);
    }
  }
}

/** Parse a SOQL query; throws OrgError `MALFORMED_QUERY` on bad or unsupported syntax. */
export function parseSoql(source: string): SelectQuery {
  return new Parser(source, tokenize(source)).parse();
}
