/** The parsed form of the SOQL subset the emulator runs. Offsets point into the query text. */

export interface FieldRef {
  /** As written: `Name`, `owner.name`. */
  path: string;
  offset: number;
}

export type Literal =
  | { kind: "string"; value: string; raw: string; offset: number }
  | { kind: "number"; value: number; offset: number }
  | { kind: "boolean"; value: boolean; offset: number }
  | { kind: "null"; offset: number }
  | { kind: "date"; value: string; offset: number }
  | { kind: "datetime"; value: number; offset: number }
  /** TODAY, YESTERDAY, TOMORROW, LAST_N_DAYS:n, NEXT_N_DAYS:n, N_DAYS_AGO:n: a range of whole days. */
  | { kind: "relative"; name: string; count: number; offset: number };

export type ComparisonOperator = "=" | "!=" | "<" | "<=" | ">" | ">=";

export type Condition =
  | { kind: "and" | "or"; terms: Condition[] }
  | { kind: "not"; term: Condition }
  | { kind: "compare"; field: FieldRef; operator: ComparisonOperator; value: Literal }
  | { kind: "like"; field: FieldRef; pattern: Literal }
  | { kind: "in"; field: FieldRef; negated: boolean; values: Literal[] }
  | { kind: "includes"; field: FieldRef; negated: boolean; values: Literal[] };

export interface OrderItem {
  field: FieldRef;
  descending: boolean;
  nullsLast: boolean;
}

export interface SelectQuery {
  /** `SELECT COUNT() FROM …`: no fields, the number of matching rows only. */
  count: boolean;
  fields: FieldRef[];
  object: { name: string; offset: number };
  where: Condition | undefined;
  orderBy: OrderItem[];
  limit: number | undefined;
  offset: number | undefined;
}
