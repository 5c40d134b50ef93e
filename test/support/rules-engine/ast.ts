/**
 * Syntax tree of the subset of the Firestore security rules language (rules_version = '2')
 * that the in-process evaluator understands. Every node carries its 1-based source line so
 * errors and coverage can point at the rules file.
 */

export type Method = "get" | "list" | "create" | "update" | "delete";
export type MethodAlias = Method | "read" | "write";

export const METHOD_ALIASES: Readonly<Record<MethodAlias, readonly Method[]>> = {
  get: ["get"],
  list: ["list"],
  create: ["create"],
  update: ["update"],
  delete: ["delete"],
  read: ["get", "list"],
  write: ["create", "update", "delete"],
};

export type BinaryOp = "||" | "&&" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "+" | "-" | "*" | "/" | "%";

export type Expr =
  | { kind: "literal"; value: null | boolean | number | string; line: number }
  | { kind: "ident"; name: string; line: number }
  | { kind: "member"; object: Expr; name: string; line: number }
  | { kind: "index"; object: Expr; index: Expr; line: number }
  | { kind: "call"; name: string; args: Expr[]; line: number }
  | { kind: "method"; object: Expr; name: string; args: Expr[]; line: number }
  | { kind: "unary"; op: "!" | "-"; operand: Expr; line: number }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr; line: number }
  | { kind: "is"; operand: Expr; typeName: string; line: number }
  | { kind: "conditional"; test: Expr; then: Expr; otherwise: Expr; line: number }
  | { kind: "list"; items: Expr[]; line: number }
  | { kind: "map"; entries: Array<{ key: Expr; value: Expr }>; line: number }
  | { kind: "path"; segments: Array<PathLiteralSegment>; line: number };

/** A segment of a path literal such as `/databases/$(database)/documents/customers/$(id)`. */
export type PathLiteralSegment = { kind: "text"; text: string } | { kind: "expr"; expr: Expr };

/** A segment of a `match` pattern. */
export type PatternSegment =
  { kind: "literal"; text: string } | { kind: "wildcard"; name: string } | { kind: "recursive"; name: string };

export interface FunctionDecl {
  name: string;
  params: string[];
  lets: Array<{ name: string; expr: Expr; line: number }>;
  body: Expr;
  line: number;
}

export interface AllowStatement {
  /** Stable id for coverage reports: `L<line> allow <methods> @ <full match path>`. */
  id: string;
  line: number;
  /** Methods as written (`read`, `write`, `get`, ...). */
  written: MethodAlias[];
  /** Methods after expanding `read` / `write`. */
  methods: Method[];
  /** null for `allow x;` without a condition (always allows). */
  condition: Expr | null;
  /** Full pattern of the enclosing match, e.g. `/databases/{database}/documents/customers/{customerId}`. */
  matchPath: string;
}

export interface MatchBlock {
  pattern: PatternSegment[];
  /** Full pattern text from the service root. */
  fullPath: string;
  line: number;
  functions: FunctionDecl[];
  allows: AllowStatement[];
  matches: MatchBlock[];
}

export interface RulesFile {
  rulesVersion: string;
  service: string;
  /** The service body, modelled as a match block with an empty pattern. */
  root: MatchBlock;
}
