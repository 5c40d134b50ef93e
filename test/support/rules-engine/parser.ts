/**
 * A small recursive-descent parser for the Firestore security rules language (version 2),
 * limited to the constructs listed in README-like comments below. Anything else is a
 * RulesSyntaxError naming the line, never silently skipped.
 *
 * Supported: `rules_version = '2';`, `service cloud.firestore { ... }`, nested `match` blocks
 * with literal, `{name}` and `{name=**}` segments, `allow <methods>[: if <expr>];`,
 * `function f(a, b) { let x = e; return e; }`, and expressions: literals (null, bools, ints,
 * floats, '...' / "..." strings), identifiers, `a.b`, `a[i]`, `f(x)`, `a.m(x)`, `!`, unary
 * `-`, `* / %`, `+ -`, `< <= > >=`, `in`, `is <type>`, `== !=`, `&&`, `||`, `c ? a : b`,
 * list literals, map literals and path literals with `$(expr)` segments.
 */
import {
  METHOD_ALIASES,
  type AllowStatement,
  type BinaryOp,
  type Expr,
  type FunctionDecl,
  type MatchBlock,
  type MethodAlias,
  type PathLiteralSegment,
  type PatternSegment,
  type RulesFile,
} from "./ast.js";
import { RulesSyntaxError } from "./errors.js";

type Token =
  | { type: "ident"; value: string; pos: number }
  | { type: "number"; value: number; pos: number }
  | { type: "string"; value: string; pos: number }
  | { type: "punct"; value: string; pos: number }
  | { type: "eof"; value: ""; pos: number };

const PUNCTUATION = [
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  ";",
  ",",
  ".",
  ":",
  "?",
  "!",
  "<",
  ">",
  "+",
  "-",
  "*",
  "/",
  "%",
  "=",
];

const PATH_TEXT = /[A-Za-z0-9_\-.~%@+:()=]/;
const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;

export function parseRules(source: string): RulesFile {
  return new Parser(source).parseFile();
}

/** Parses a single expression (used by the evaluator's self-tests). */
export function parseExpression(source: string): Expr {
  const p = new Parser(source);
  const e = p.parseExpr();
  p.expectEof();
  return e;
}

class Parser {
  private pos = 0;
  private readonly lineStarts: number[] = [0];

  constructor(private readonly src: string) {
    for (let i = 0; i < src.length; i++) if (src[i] === "\n") this.lineStarts.push(i + 1);
  }

  // ---------- positions and errors ----------

  lineOf(pos: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  private fail(message: string, pos = this.pos): never {
    const line = this.lineOf(pos);
    const column = pos - (this.lineStarts[line - 1] ?? 0) + 1;
    throw new RulesSyntaxError(message, line, column);
  }

  // ---------- scanning ----------

  private skipTrivia(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) return;
      if (c === " " || c === "\t" || c === "\n" || c === "\r") {
        this.pos++;
      } else if (c === "/" && this.src[this.pos + 1] === "/") {
        while (this.pos < this.src.length && this.src[this.pos] !== "\n") this.pos++;
      } else if (c === "/" && this.src[this.pos + 1] === "*") {
        const end = this.src.indexOf("*/", this.pos + 2);
        if (end < 0) this.fail("unterminated comment");
        this.pos = end + 2;
      } else {
        return;
      }
    }
  }

  /** Reads the next token starting at `this.pos` (after trivia) without consuming it. */
  private peek(): Token {
    const save = this.pos;
    const t = this.scan();
    this.pos = save;
    return t;
  }

  private next(): Token {
    return this.scan();
  }

  private scan(): Token {
    this.skipTrivia();
    const start = this.pos;
    const c = this.src[this.pos];
    if (c === undefined) return { type: "eof", value: "", pos: start };
    if (IDENT_START.test(c)) {
      let end = this.pos + 1;
      while (end < this.src.length && IDENT_PART.test(this.src[end] ?? "")) end++;
      this.pos = end;
      return { type: "ident", value: this.src.slice(start, end), pos: start };
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.src.slice(start));
      const text = m?.[0] ?? c;
      this.pos = start + text.length;
      if (IDENT_START.test(this.src[this.pos] ?? ""))
        this.fail(`bad number literal '${text}${this.src[this.pos]}'`, start);
      return { type: "number", value: Number(text), pos: start };
    }
    if (c === "'" || c === '"') return this.scanString(c);
    for (const p of PUNCTUATION) {
      if (this.src.startsWith(p, this.pos)) {
        this.pos += p.length;
        return { type: "punct", value: p, pos: start };
      }
    }
    return this.fail(`unexpected character '${c}'`);
  }

  private scanString(quote: string): Token {
    const start = this.pos;
    this.pos++;
    let out = "";
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined || c === "\n") this.fail("unterminated string", start);
      this.pos++;
      if (c === quote) break;
      if (c === "\\") {
        const e = this.src[this.pos];
        this.pos++;
        switch (e) {
          case "\\":
            out += "\\";
            break;
          case "'":
            out += "'";
            break;
          case '"':
            out += '"';
            break;
          case "n":
            out += "\n";
            break;
          case "t":
            out += "\t";
            break;
          case "r":
            out += "\r";
            break;
          case "u": {
            const hex = this.src.slice(this.pos, this.pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad \\u escape", this.pos - 2);
            out += String.fromCharCode(parseInt(hex, 16));
            this.pos += 4;
            break;
          }
          default:
            // RE2 escapes such as \s or \. are kept as written for matches().
            out += "\\" + (e ?? "");
        }
      } else {
        out += c;
      }
    }
    return { type: "string", value: out, pos: start };
  }

  private isPunct(t: Token, v: string): boolean {
    return t.type === "punct" && t.value === v;
  }

  private isIdent(t: Token, v?: string): boolean {
    return t.type === "ident" && (v === undefined || t.value === v);
  }

  private expectPunct(v: string): Token {
    const t = this.next();
    if (!this.isPunct(t, v)) this.fail(`expected '${v}' but found '${t.value || "end of file"}'`, t.pos);
    return t;
  }

  private expectIdent(v?: string): string {
    const t = this.next();
    if (t.type !== "ident" || (v !== undefined && t.value !== v)) {
      this.fail(`expected ${v ? `'${v}'` : "an identifier"} but found '${t.value || "end of file"}'`, t.pos);
    }
    return t.value;
  }

  expectEof(): void {
    const t = this.next();
    if (t.type !== "eof") this.fail(`unexpected '${t.value}'`, t.pos);
  }

  // ---------- file structure ----------

  parseFile(): RulesFile {
    this.expectIdent("rules_version");
    this.expectPunct("=");
    const v = this.next();
    if (v.type !== "string") this.fail("rules_version must be a string", v.pos);
    if (v.value !== "2") this.fail(`rules_version '${v.value}' is not supported (only '2')`, v.pos);
    if (this.isPunct(this.peek(), ";")) this.next();
    const serviceTok = this.peek();
    this.expectIdent("service");
    const parts = [this.expectIdent()];
    while (this.isPunct(this.peek(), ".")) {
      this.next();
      parts.push(this.expectIdent());
    }
    const service = parts.join(".");
    if (service !== "cloud.firestore") this.fail(`service '${service}' is not supported`, serviceTok.pos);
    const root: MatchBlock = {
      pattern: [],
      fullPath: "",
      line: this.lineOf(serviceTok.pos),
      functions: [],
      allows: [],
      matches: [],
    };
    this.expectPunct("{");
    this.parseBody(root);
    this.expectPunct("}");
    this.expectEof();
    return { rulesVersion: v.value, service, root };
  }

  private parseBody(block: MatchBlock): void {
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, "}") || t.type === "eof") return;
      if (this.isIdent(t, "match")) block.matches.push(this.parseMatch(block));
      else if (this.isIdent(t, "allow")) block.allows.push(this.parseAllow(block));
      else if (this.isIdent(t, "function")) block.functions.push(this.parseFunction());
      else this.fail(`expected 'match', 'allow' or 'function' but found '${t.value}'`, t.pos);
    }
  }

  private parseMatch(parent: MatchBlock): MatchBlock {
    const kw = this.next();
    this.skipTrivia();
    const pattern = this.parsePattern();
    const text = patternText(pattern);
    const block: MatchBlock = {
      pattern,
      fullPath: parent.fullPath + text,
      line: this.lineOf(kw.pos),
      functions: [],
      allows: [],
      matches: [],
    };
    this.expectPunct("{");
    this.parseBody(block);
    this.expectPunct("}");
    return block;
  }

  private parsePattern(): PatternSegment[] {
    const segs: PatternSegment[] = [];
    if (this.src[this.pos] !== "/") this.fail("a match path must start with '/'");
    while (this.src[this.pos] === "/") {
      this.pos++;
      if (this.src[this.pos] === "{") {
        const close = this.src.indexOf("}", this.pos);
        if (close < 0) this.fail("unterminated wildcard");
        const inner = this.src.slice(this.pos + 1, close);
        const m = /^([A-Za-z_][A-Za-z0-9_]*)(=\*\*)?$/.exec(inner);
        if (!m || m[1] === undefined) this.fail(`bad wildcard '{${inner}}'`);
        segs.push(m[2] ? { kind: "recursive", name: m[1] } : { kind: "wildcard", name: m[1] });
        this.pos = close + 1;
      } else {
        const start = this.pos;
        while (this.pos < this.src.length && /[A-Za-z0-9_\-.~%@+()]/.test(this.src[this.pos] ?? "")) this.pos++;
        if (this.pos === start) this.fail("empty path segment");
        segs.push({ kind: "literal", text: this.src.slice(start, this.pos) });
      }
    }
    const recursiveAt = segs.findIndex((s) => s.kind === "recursive");
    if (recursiveAt >= 0 && recursiveAt !== segs.length - 1) {
      this.fail("a recursive wildcard {name=**} must be the last segment of a match path");
    }
    return segs;
  }

  private parseAllow(block: MatchBlock): AllowStatement {
    const kw = this.next();
    const written: MethodAlias[] = [];
    for (;;) {
      const t = this.next();
      if (t.type !== "ident" || !(t.value in METHOD_ALIASES)) {
        this.fail(`unknown allow method '${t.value}'`, t.pos);
      }
      written.push(t.value as MethodAlias);
      if (!this.isPunct(this.peek(), ",")) break;
      this.next();
    }
    let condition: Expr | null = null;
    if (this.isPunct(this.peek(), ":")) {
      this.next();
      this.expectIdent("if");
      condition = this.parseExpr();
    }
    this.expectPunct(";");
    const line = this.lineOf(kw.pos);
    const methods = [...new Set(written.flatMap((m) => METHOD_ALIASES[m]))];
    return {
      id: `L${line} allow ${written.join(", ")} @ ${block.fullPath || "/"}`,
      line,
      written,
      methods,
      condition,
      matchPath: block.fullPath,
    };
  }

  private parseFunction(): FunctionDecl {
    const kw = this.next();
    const name = this.expectIdent();
    this.expectPunct("(");
    const params: string[] = [];
    if (!this.isPunct(this.peek(), ")")) {
      for (;;) {
        params.push(this.expectIdent());
        if (!this.isPunct(this.peek(), ",")) break;
        this.next();
      }
    }
    this.expectPunct(")");
    this.expectPunct("{");
    const lets: FunctionDecl["lets"] = [];
    while (this.isIdent(this.peek(), "let")) {
      const letTok = this.next();
      const letName = this.expectIdent();
      this.expectPunct("=");
      const expr = this.parseExpr();
      this.expectPunct(";");
      lets.push({ name: letName, expr, line: this.lineOf(letTok.pos) });
    }
    this.expectIdent("return");
    const body = this.parseExpr();
    this.expectPunct(";");
    this.expectPunct("}");
    return { name, params, lets, body, line: this.lineOf(kw.pos) };
  }

  // ---------- expressions (lowest precedence first) ----------

  parseExpr(): Expr {
    const test = this.parseOr();
    const t = this.peek();
    if (this.isPunct(t, "?")) {
      this.next();
      const then = this.parseExpr();
      this.expectPunct(":");
      const otherwise = this.parseExpr();
      return { kind: "conditional", test, then, otherwise, line: this.lineOf(t.pos) };
    }
    return test;
  }

  private binaryLevel(ops: readonly string[], nextLevel: () => Expr): Expr {
    let left = nextLevel();
    for (;;) {
      const t = this.peek();
      if (t.type !== "punct" || !ops.includes(t.value)) return left;
      this.next();
      const right = nextLevel();
      left = { kind: "binary", op: t.value as BinaryOp, left, right, line: this.lineOf(t.pos) };
    }
  }

  private parseOr = (): Expr => this.binaryLevel(["||"], this.parseAnd);
  private parseAnd = (): Expr => this.binaryLevel(["&&"], this.parseEquality);
  private parseEquality = (): Expr => this.binaryLevel(["==", "!="], this.parseInIs);

  private parseInIs = (): Expr => {
    let left = this.parseRelational();
    for (;;) {
      const t = this.peek();
      if (this.isIdent(t, "in")) {
        this.next();
        const right = this.parseRelational();
        left = { kind: "binary", op: "in", left, right, line: this.lineOf(t.pos) };
      } else if (this.isIdent(t, "is")) {
        this.next();
        const typeName = this.expectIdent();
        left = { kind: "is", operand: left, typeName, line: this.lineOf(t.pos) };
      } else {
        return left;
      }
    }
  };

  private parseRelational = (): Expr => this.binaryLevel(["<", "<=", ">", ">="], this.parseAdditive);
  private parseAdditive = (): Expr => this.binaryLevel(["+", "-"], this.parseMultiplicative);
  private parseMultiplicative = (): Expr => this.binaryLevel(["*", "/", "%"], this.parseUnary);

  private parseUnary = (): Expr => {
    const t = this.peek();
    if (this.isPunct(t, "!") || this.isPunct(t, "-")) {
      this.next();
      const operand = this.parseUnary();
      return { kind: "unary", op: t.value as "!" | "-", operand, line: this.lineOf(t.pos) };
    }
    return this.parsePostfix();
  };

  private parseArgs(): Expr[] {
    const args: Expr[] = [];
    this.expectPunct("(");
    if (!this.isPunct(this.peek(), ")")) {
      for (;;) {
        args.push(this.parseExpr());
        if (!this.isPunct(this.peek(), ",")) break;
        this.next();
      }
    }
    this.expectPunct(")");
    return args;
  }

  private parsePostfix(): Expr {
    let e = this.parsePrimary();
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, ".")) {
        this.next();
        const nameTok = this.next();
        if (nameTok.type !== "ident") this.fail(`expected a field or method name after '.'`, nameTok.pos);
        const line = this.lineOf(nameTok.pos);
        if (this.isPunct(this.peek(), "(")) {
          e = { kind: "method", object: e, name: nameTok.value, args: this.parseArgs(), line };
        } else {
          e = { kind: "member", object: e, name: nameTok.value, line };
        }
      } else if (this.isPunct(t, "[")) {
        this.next();
        const index = this.parseExpr();
        if (this.isPunct(this.peek(), ":")) this.fail("slices a[i:j] are not supported by this evaluator");
        this.expectPunct("]");
        e = { kind: "index", object: e, index, line: this.lineOf(t.pos) };
      } else {
        return e;
      }
    }
  }

  private parsePrimary(): Expr {
    this.skipTrivia();
    if (this.src[this.pos] === "/") return this.parsePathLiteral();
    const t = this.next();
    const line = this.lineOf(t.pos);
    switch (t.type) {
      case "number":
        return { kind: "literal", value: t.value, line };
      case "string":
        return { kind: "literal", value: t.value, line };
      case "ident": {
        if (t.value === "true") return { kind: "literal", value: true, line };
        if (t.value === "false") return { kind: "literal", value: false, line };
        if (t.value === "null") return { kind: "literal", value: null, line };
        if (this.isPunct(this.peek(), "(")) return { kind: "call", name: t.value, args: this.parseArgs(), line };
        return { kind: "ident", name: t.value, line };
      }
      case "punct": {
        if (t.value === "(") {
          const e = this.parseExpr();
          this.expectPunct(")");
          return e;
        }
        if (t.value === "[") {
          const items: Expr[] = [];
          if (!this.isPunct(this.peek(), "]")) {
            for (;;) {
              items.push(this.parseExpr());
              if (!this.isPunct(this.peek(), ",")) break;
              this.next();
              if (this.isPunct(this.peek(), "]")) break;
            }
          }
          this.expectPunct("]");
          return { kind: "list", items, line };
        }
        if (t.value === "{") {
          const entries: Array<{ key: Expr; value: Expr }> = [];
          if (!this.isPunct(this.peek(), "}")) {
            for (;;) {
              const key = this.parseExpr();
              this.expectPunct(":");
              const value = this.parseExpr();
              entries.push({ key, value });
              if (!this.isPunct(this.peek(), ",")) break;
              this.next();
              if (this.isPunct(this.peek(), "}")) break;
            }
          }
          this.expectPunct("}");
          return { kind: "map", entries, line };
        }
        return this.fail(`unexpected '${t.value}' in expression`, t.pos);
      }
      case "eof":
        return this.fail("unexpected end of file in expression", t.pos);
    }
  }

  private parsePathLiteral(): Expr {
    const line = this.lineOf(this.pos);
    const segments: PathLiteralSegment[] = [];
    while (this.src[this.pos] === "/") {
      this.pos++;
      if (this.src.startsWith("$(", this.pos)) {
        this.pos += 2;
        const expr = this.parseExpr();
        this.expectPunct(")");
        segments.push({ kind: "expr", expr });
      } else {
        const start = this.pos;
        while (
          this.pos < this.src.length &&
          PATH_TEXT.test(this.src[this.pos] ?? "") &&
          this.src[this.pos] !== ")" &&
          this.src[this.pos] !== "("
        ) {
          this.pos++;
        }
        if (this.pos === start) this.fail("empty path segment in path literal");
        segments.push({ kind: "text", text: this.src.slice(start, this.pos) });
      }
    }
    return { kind: "path", segments, line };
  }
}

export function patternText(pattern: readonly PatternSegment[]): string {
  return pattern
    .map((s) => (s.kind === "literal" ? `/${s.text}` : s.kind === "wildcard" ? `/{${s.name}}` : `/{${s.name}=**}`))
    .join("");
}
