/**
 * An in-process evaluator for `firestore.rules`, so the access matrix runs in `npm test` on
 * any machine (the official Firestore emulator needs Java 21). It is deliberately small and
 * FAILS CLOSED:
 *
 * - every identifier, function, method and `is` type in the file is checked when the rules
 *   are loaded; anything unknown throws (RulesUnsupportedError, naming it and its line);
 * - at run time, anything the evaluator does not implement also throws, it never allows;
 * - a rules *error value* (missing field, method on null, wrong type, a field a list query
 *   does not pin) follows the rules' semantics: `false && error` is false, `true || error`
 *   is true (either side), anything else with an error is an error, and an error at the top
 *   of a condition denies.
 *
 * List queries are decided from the query, not from the stored documents: `resource.data.X`
 * is the value of an equality filter on X, and an error (so: deny) for any field the query
 * does not pin; the wildcard that would take the document id is unbound.
 */
import { readFileSync } from "node:fs";
import type { AllowStatement, Expr, FunctionDecl, MatchBlock, Method, PatternSegment, RulesFile } from "./ast.js";
import { RulesRuntimeError, RulesUnsupportedError } from "./errors.js";
import { parseRules } from "./parser.js";
import {
  RDuration,
  RMap,
  RMapDiff,
  RPath,
  RQueryData,
  RSet,
  RTimestamp,
  describeValue,
  fromFixture,
  typeName,
  uniqueValues,
  valuesEqual,
  type FixtureDoc,
  type FixtureValue,
  type Value,
} from "./values.js";

export interface RulesAuth {
  uid: string;
  /** Token claims, e.g. `{ role: "analyst" }`. `sub` is added as the uid. */
  token?: Record<string, FixtureValue>;
}

export type QueryOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not-in" | "array-contains" | "array-contains-any";

export interface QueryFilter {
  field: string;
  op: QueryOp;
  value: FixtureValue;
}

export interface RulesQuery {
  where?: QueryFilter[];
  limit?: number;
  offset?: number;
  orderBy?: string[];
}

export interface RulesRequest {
  method: Method;
  /** Relative to /databases/(default)/documents: a document path, or a collection path for `list`. */
  path: string;
  auth: RulesAuth | null;
  /** request.time (defaults to DEFAULT_REQUEST_TIME). */
  time?: Date;
  /** create: the whole new document; update: the fields written, merged onto the stored document. */
  data?: FixtureDoc;
  /** list only. */
  query?: RulesQuery;
}

/** Documents by path relative to /databases/(default)/documents, e.g. `customers/c1`. */
export type Database = Readonly<Record<string, FixtureDoc>>;

export type Outcome = "true" | "false" | "error";

export interface StatementResult {
  statement: AllowStatement;
  outcome: Outcome;
  /** The error message when outcome is "error", or the non-boolean value. */
  detail?: string;
}

export interface Decision {
  allowed: boolean;
  /** Every allow statement that applied to the path and method, with its outcome. */
  statements: StatementResult[];
  /** Human-readable summary, e.g. for a failing test. */
  explain: string;
}

export interface EngineOptions {
  /** Check identifiers, functions, methods and types when loading (default true). */
  staticCheck?: boolean;
}

export const DEFAULT_REQUEST_TIME = new Date("2025-01-15T12:00:00.000Z");

const GLOBALS = new Set(["request", "resource"]);
const BUILTIN_FUNCTIONS: Readonly<Record<string, number>> = { get: 1, exists: 1, getAfter: 1, existsAfter: 1 };
const KNOWN_TYPES = new Set([
  "bool",
  "int",
  "float",
  "number",
  "string",
  "list",
  "map",
  "set",
  "timestamp",
  "duration",
  "path",
  "latlng",
  "bytes",
]);
const METHODS_BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  string: ["size", "matches", "lower", "upper", "trim", "split"],
  list: ["size", "hasAll", "hasAny", "hasOnly", "toSet", "concat", "removeAll"],
  map: ["size", "keys", "values", "get", "diff"],
  set: ["size", "hasAll", "hasAny", "hasOnly", "union", "intersection", "difference"],
  map_diff: ["addedKeys", "removedKeys", "changedKeys", "affectedKeys", "unchangedKeys"],
  timestamp: ["toMillis"],
};
const KNOWN_METHODS = new Set(Object.values(METHODS_BY_TYPE).flat());
const MAX_CALL_DEPTH = 20;

/** A path variable that has no value (the document id of a list query). */
class Unbound {
  constructor(readonly reason: string) {}
}

type Binding = Value | Unbound;
const UNKNOWN_ID: unique symbol = Symbol("unknown document id");
type Segment = string | typeof UNKNOWN_ID;

interface Frame {
  block: MatchBlock;
  bindings: Map<string, Binding>;
}

interface Env {
  chain: readonly Frame[];
  /** Index of the innermost frame whose variables and functions are visible. */
  depth: number;
  locals: Map<string, Value>;
  callDepth: number;
}

interface RequestState {
  request: Value;
  resource: Value;
  db: Database;
  after: Database;
  time: Date;
}

export class RulesEngine {
  readonly file: RulesFile;
  /** Every allow statement in the file, in source order. */
  readonly allowStatements: readonly AllowStatement[];

  constructor(source: string, options: EngineOptions = {}) {
    this.file = parseRules(source);
    const all: AllowStatement[] = [];
    const walk = (b: MatchBlock): void => {
      all.push(...b.allows);
      b.matches.forEach(walk);
    };
    walk(this.file.root);
    this.allowStatements = all;
    if (options.staticCheck !== false) staticCheck(this.file);
  }

  static fromFile(path: string, options?: EngineOptions): RulesEngine {
    return new RulesEngine(readFileSync(path, "utf8"), options);
  }

  evaluate(req: RulesRequest, db: Database = {}): Decision {
    const rel = req.path.split("/").filter((s) => s.length > 0);
    if (rel.length === 0) throw new Error(`request path '${req.path}' is empty`);
    const isList = req.method === "list";
    if (isList && rel.length % 2 !== 1) throw new Error(`list needs a collection path, got '${req.path}'`);
    if (!isList && rel.length % 2 !== 0) throw new Error(`${req.method} needs a document path, got '${req.path}'`);
    if (!isList && req.query) throw new Error(`a query is only meaningful for list`);
    if ((req.method === "create" || req.method === "update") !== (req.data !== undefined)) {
      throw new Error(`${req.method}: data must be given exactly for create and update`);
    }

    const time = req.time ?? DEFAULT_REQUEST_TIME;
    const docPath = rel.join("/");
    const fullSegments: Segment[] = ["databases", "(default)", "documents", ...rel];
    if (isList) fullSegments.push(UNKNOWN_ID);

    const stored = isList ? undefined : db[docPath];
    let resource: Value = null;
    let requestResource: Value = null;
    let after: Database = db;
    if (isList) {
      resource = RMap.of({ data: queryData(req.query, time) });
    } else {
      if (stored) resource = docValue(docPath, stored, time);
      if (req.method === "create" || req.method === "update") {
        const newDoc: FixtureDoc = req.method === "update" ? { ...(stored ?? {}), ...req.data } : { ...req.data };
        requestResource = docValue(docPath, newDoc, time);
        after = { ...db, [docPath]: newDoc };
      } else if (req.method === "delete") {
        const copy: Record<string, FixtureDoc> = { ...db };
        delete copy[docPath];
        after = copy;
      }
    }

    const requestEntries: Record<string, Value> = {
      auth: req.auth
        ? RMap.of({
            uid: req.auth.uid,
            token: fromFixture({ sub: req.auth.uid, ...(req.auth.token ?? {}) }, time, "auth.token"),
          })
        : null,
      time: new RTimestamp(time.getTime()),
      method: req.method,
      path: new RPath(["databases", "(default)", "documents", ...rel]),
      resource: requestResource,
    };
    if (isList) {
      requestEntries.query = RMap.of({
        limit: req.query?.limit ?? null,
        offset: req.query?.offset ?? null,
        orderBy: req.query?.orderBy ? [...req.query.orderBy] : null,
      });
    }
    const state: RequestState = { request: RMap.of(requestEntries), resource, db, after, time };

    const chains: Frame[][] = [];
    collectMatches(this.file.root, fullSegments, 0, [{ block: this.file.root, bindings: new Map() }], chains);

    const statements: StatementResult[] = [];
    for (const chain of chains) {
      const frame = chain[chain.length - 1];
      if (!frame) continue;
      for (const allow of frame.block.allows) {
        if (!allow.methods.includes(req.method)) continue;
        statements.push(this.runStatement(allow, chain, state));
      }
    }
    const allowed = statements.some((s) => s.outcome === "true");
    const explain =
      statements.length === 0
        ? `no allow statement applies to ${req.method} ${req.path}`
        : statements.map((s) => `${s.statement.id}: ${s.outcome}${s.detail ? ` (${s.detail})` : ""}`).join("; ");
    return { allowed, statements, explain };
  }

  private runStatement(allow: AllowStatement, chain: Frame[], state: RequestState): StatementResult {
    if (!allow.condition) return { statement: allow, outcome: "true" };
    const ev = new Evaluator(state);
    try {
      const v = ev.eval(allow.condition, { chain, depth: chain.length - 1, locals: new Map(), callDepth: 0 });
      if (v === true) return { statement: allow, outcome: "true" };
      if (v === false) return { statement: allow, outcome: "false" };
      return { statement: allow, outcome: "error", detail: `condition is ${typeName(v)}, not bool` };
    } catch (e) {
      if (e instanceof RulesRuntimeError) return { statement: allow, outcome: "error", detail: e.message };
      throw e;
    }
  }
}

// ---------------------------------------------------------------- matching

function collectMatches(
  block: MatchBlock,
  segs: readonly Segment[],
  pos: number,
  frames: Frame[],
  out: Frame[][],
): void {
  for (const m of block.matches) {
    for (const r of matchPattern(m.pattern, segs, pos)) {
      const chain = [...frames, { block: m, bindings: r.bindings }];
      const np = pos + r.consumed;
      if (np === segs.length) out.push(chain);
      else collectMatches(m, segs, np, chain, out);
    }
  }
}

function matchPattern(
  pattern: readonly PatternSegment[],
  segs: readonly Segment[],
  pos: number,
): Array<{ consumed: number; bindings: Map<string, Binding> }> {
  const results: Array<{ consumed: number; bindings: Map<string, Binding> }> = [];
  const step = (i: number, p: number, bindings: Map<string, Binding>): void => {
    const seg = pattern[i];
    if (seg === undefined) {
      results.push({ consumed: p - pos, bindings });
      return;
    }
    const here = segs[p];
    switch (seg.kind) {
      case "literal":
        if (typeof here === "string" && here === seg.text) step(i + 1, p + 1, bindings);
        return;
      case "wildcard":
        if (here === undefined) return;
        step(
          i + 1,
          p + 1,
          new Map(bindings).set(
            seg.name,
            typeof here === "string" ? here : new Unbound("the document id of a list query is unknown"),
          ),
        );
        return;
      case "recursive":
        // rules_version 2: zero or more segments.
        for (let end = p; end <= segs.length; end++) {
          const taken = segs.slice(p, end);
          const value: Binding = taken.every((s): s is string => typeof s === "string")
            ? new RPath(taken)
            : new Unbound("the document id of a list query is unknown");
          step(i + 1, end, new Map(bindings).set(seg.name, value));
        }
        return;
    }
  };
  step(0, pos, new Map());
  return results;
}

// ---------------------------------------------------------------- documents and queries

function docValue(path: string, data: FixtureDoc, time: Date): RMap {
  const segments = path.split("/");
  return RMap.of({
    data: fromFixture(data, time, path),
    id: segments[segments.length - 1] ?? "",
    __name__: new RPath(["databases", "(default)", "documents", ...segments]),
  });
}

function queryData(query: RulesQuery | undefined, time: Date): RQueryData {
  const eq = new Map<string, Value>();
  const seen = new Set<string>();
  for (const f of query?.where ?? []) {
    if (seen.has(f.field)) {
      // Two filters on one field: keep neither as "known" (conservative).
      eq.delete(f.field);
      continue;
    }
    seen.add(f.field);
    if (f.op === "==") eq.set(f.field, fromFixture(f.value, time, `where ${f.field}`));
  }
  return new RQueryData(eq);
}

// ---------------------------------------------------------------- evaluation

class Evaluator {
  constructor(private readonly state: RequestState) {}

  private err(message: string, line: number): never {
    throw new RulesRuntimeError(message, line);
  }

  eval(e: Expr, env: Env): Value {
    switch (e.kind) {
      case "literal":
        return e.value;
      case "ident":
        return this.lookup(e.name, env, e.line);
      case "list":
        return e.items.map((x) => this.eval(x, env));
      case "map": {
        const m = new Map<string, Value>();
        for (const { key, value } of e.entries) {
          const k = this.eval(key, env);
          if (typeof k !== "string") this.err(`map keys must be strings, got ${typeName(k)}`, e.line);
          m.set(k, this.eval(value, env));
        }
        return new RMap(m);
      }
      case "path": {
        const segs: string[] = [];
        for (const s of e.segments) {
          if (s.kind === "text") {
            segs.push(s.text);
            continue;
          }
          const v = this.eval(s.expr, env);
          if (typeof v === "string") segs.push(v);
          else if (v instanceof RPath) segs.push(...v.segments);
          else this.err(`path segment $(...) must be a string, got ${typeName(v)}`, e.line);
        }
        return new RPath(segs);
      }
      case "member":
        return this.field(this.eval(e.object, env), e.name, e.line);
      case "index": {
        const obj = this.eval(e.object, env);
        const idx = this.eval(e.index, env);
        if (Array.isArray(obj)) {
          if (typeof idx !== "number" || !Number.isInteger(idx))
            this.err(`list index must be an int, got ${typeName(idx)}`, e.line);
          if (idx < 0 || idx >= obj.length) this.err(`list index ${idx} out of range (size ${obj.length})`, e.line);
          return obj[idx] as Value;
        }
        if (obj instanceof RMap || obj instanceof RQueryData) {
          if (typeof idx !== "string") this.err(`map key must be a string, got ${typeName(idx)}`, e.line);
          return this.field(obj, idx, e.line);
        }
        return this.err(`cannot index ${typeName(obj)}`, e.line);
      }
      case "unary": {
        const v = this.eval(e.operand, env);
        if (e.op === "!") {
          if (typeof v !== "boolean") this.err(`'!' needs a bool, got ${typeName(v)}`, e.line);
          return !v;
        }
        if (typeof v !== "number") this.err(`unary '-' needs a number, got ${typeName(v)}`, e.line);
        return -v;
      }
      case "is": {
        const v = this.eval(e.operand, env);
        if (!KNOWN_TYPES.has(e.typeName)) throw new RulesUnsupportedError(`type '${e.typeName}'`, e.line);
        const t = typeName(v);
        if (e.typeName === "number") return t === "int" || t === "float";
        return t === e.typeName;
      }
      case "conditional": {
        const test = this.eval(e.test, env);
        if (typeof test !== "boolean") this.err(`condition of '?:' must be a bool, got ${typeName(test)}`, e.line);
        return test ? this.eval(e.then, env) : this.eval(e.otherwise, env);
      }
      case "binary":
        return this.binary(e, env);
      case "call":
        return this.call(e.name, e.args, env, e.line);
      case "method":
        return this.method(e, env);
    }
  }

  private lookup(name: string, env: Env, line: number): Value {
    const local = env.locals.get(name);
    if (local !== undefined || env.locals.has(name)) return local as Value;
    for (let d = env.depth; d >= 0; d--) {
      const frame = env.chain[d];
      if (frame?.bindings.has(name)) {
        const b = frame.bindings.get(name) as Binding;
        if (b instanceof Unbound) this.err(`variable '${name}' has no value: ${b.reason}`, line);
        return b;
      }
    }
    if (name === "request") return this.state.request;
    if (name === "resource") return this.state.resource;
    throw new RulesUnsupportedError(`unknown identifier '${name}'`, line);
  }

  private field(obj: Value, name: string, line: number): Value {
    if (obj instanceof RMap) {
      if (!obj.entries.has(name)) this.err(`property '${name}' is undefined on map`, line);
      return obj.entries.get(name) as Value;
    }
    if (obj instanceof RQueryData) {
      const key = obj.prefix + name;
      if (obj.equalities.has(key)) return obj.equalities.get(key) as Value;
      if ([...obj.equalities.keys()].some((k) => k.startsWith(key + ".")))
        return new RQueryData(obj.equalities, key + ".");
      this.err(
        `resource.data.${key} is not pinned by an equality filter of the list query, so the rule cannot be proven`,
        line,
      );
    }
    return this.err(`property '${name}' of ${typeName(obj)}`, line);
  }

  /** Evaluates `e` and returns either its value or the runtime error it raised. */
  private attempt(e: Expr, env: Env): { ok: true; value: Value } | { ok: false; error: RulesRuntimeError } {
    try {
      return { ok: true, value: this.eval(e, env) };
    } catch (err) {
      if (err instanceof RulesRuntimeError) return { ok: false, error: err };
      throw err;
    }
  }

  private binary(e: Extract<Expr, { kind: "binary" }>, env: Env): Value {
    if (e.op === "&&" || e.op === "||") {
      // Error absorption as in the rules language: false && error = error && false = false,
      // true || error = error || true = true; any other combination with an error is the error.
      // A non-bool operand is an error too.
      const absorbing = e.op === "||";
      const side = (x: Expr): { ok: true; value: boolean } | { ok: false; error: RulesRuntimeError } => {
        const r = this.attempt(x, env);
        if (!r.ok || typeof r.value === "boolean")
          return r as { ok: true; value: boolean } | { ok: false; error: RulesRuntimeError };
        return {
          ok: false,
          error: new RulesRuntimeError(`'${e.op}' needs bool operands, got ${typeName(r.value)}`, e.line),
        };
      };
      const left = side(e.left);
      if (left.ok && left.value === absorbing) return absorbing;
      const right = side(e.right);
      if (right.ok && right.value === absorbing) return absorbing;
      if (!left.ok) throw left.error;
      if (!right.ok) throw right.error;
      return !absorbing;
    }
    const l = this.eval(e.left, env);
    const r = this.eval(e.right, env);
    switch (e.op) {
      case "==":
      case "!=": {
        if (l instanceof RQueryData || r instanceof RQueryData) {
          this.err(`cannot compare query data that the list query does not pin`, e.line);
        }
        const eq = valuesEqual(l, r);
        return e.op === "==" ? eq : !eq;
      }
      case "<":
      case "<=":
      case ">":
      case ">=": {
        const c = compare(l, r);
        if (c === undefined) this.err(`cannot compare ${typeName(l)} ${e.op} ${typeName(r)}`, e.line);
        return e.op === "<" ? c < 0 : e.op === "<=" ? c <= 0 : e.op === ">" ? c > 0 : c >= 0;
      }
      case "in":
        return this.contains(r, l, e.line);
      case "+":
        if (typeof l === "number" && typeof r === "number") return l + r;
        if (typeof l === "string" && typeof r === "string") return l + r;
        if (l instanceof RTimestamp && r instanceof RDuration) return new RTimestamp(l.millis + r.millis);
        return this.err(`unsupported operation ${typeName(l)} + ${typeName(r)}`, e.line);
      case "-":
        if (typeof l === "number" && typeof r === "number") return l - r;
        if (l instanceof RTimestamp && r instanceof RDuration) return new RTimestamp(l.millis - r.millis);
        if (l instanceof RTimestamp && r instanceof RTimestamp) return new RDuration(l.millis - r.millis);
        return this.err(`unsupported operation ${typeName(l)} - ${typeName(r)}`, e.line);
      case "*":
        if (typeof l === "number" && typeof r === "number") return l * r;
        return this.err(`unsupported operation ${typeName(l)} * ${typeName(r)}`, e.line);
      case "/":
      case "%": {
        if (typeof l !== "number" || typeof r !== "number")
          return this.err(`unsupported operation ${typeName(l)} ${e.op} ${typeName(r)}`, e.line);
        const ints = Number.isInteger(l) && Number.isInteger(r);
        if (ints && r === 0) this.err(`division by zero`, e.line);
        if (e.op === "%") return ints ? l % r : this.err(`'%' needs ints`, e.line);
        return ints ? Math.trunc(l / r) : l / r;
      }
    }
  }

  private contains(container: Value, item: Value, line: number): boolean {
    if (Array.isArray(container)) return container.some((x) => valuesEqual(x, item));
    if (container instanceof RSet) return container.items.some((x) => valuesEqual(x, item));
    if (container instanceof RMap) {
      if (typeof item !== "string") this.err(`'in' on a map needs a string key, got ${typeName(item)}`, line);
      return container.entries.has(item);
    }
    if (container instanceof RQueryData) {
      if (typeof item !== "string") this.err(`'in' on a map needs a string key, got ${typeName(item)}`, line);
      const key = container.prefix + item;
      if (container.equalities.has(key) || [...container.equalities.keys()].some((k) => k.startsWith(key + ".")))
        return true;
      return this.err(`'${item}' in resource.data is not decided by the list query`, line);
    }
    return this.err(`'in' needs a list, set or map on the right, got ${typeName(container)}`, line);
  }

  private call(name: string, argExprs: readonly Expr[], env: Env, line: number): Value {
    if (name in BUILTIN_FUNCTIONS) {
      if (argExprs.length !== BUILTIN_FUNCTIONS[name])
        throw new RulesUnsupportedError(`${name}() with ${argExprs.length} arguments`, line);
      const p = this.eval(argExprs[0] as Expr, env);
      if (!(p instanceof RPath)) this.err(`${name}() needs a path, got ${typeName(p)}`, line);
      const key = documentKey(p);
      if (key === undefined)
        this.err(`${name}() needs a document path under /databases/{db}/documents, got ${p.toString()}`, line);
      const db = name === "getAfter" || name === "existsAfter" ? this.state.after : this.state.db;
      const doc = db[key];
      if (name === "exists" || name === "existsAfter") return doc !== undefined;
      return doc === undefined ? null : docValue(key, doc, this.state.time);
    }
    const found = findFunction(name, env);
    if (!found) throw new RulesUnsupportedError(`unknown function '${name}()'`, line);
    const { decl, depth } = found;
    if (decl.params.length !== argExprs.length) {
      throw new RulesUnsupportedError(
        `function '${name}' takes ${decl.params.length} arguments, called with ${argExprs.length}`,
        line,
      );
    }
    if (env.callDepth >= MAX_CALL_DEPTH) this.err(`function call depth exceeds ${MAX_CALL_DEPTH}`, line);
    const locals = new Map<string, Value>();
    decl.params.forEach((p, i) => locals.set(p, this.eval(argExprs[i] as Expr, env)));
    const inner: Env = { chain: env.chain, depth, locals, callDepth: env.callDepth + 1 };
    for (const l of decl.lets) locals.set(l.name, this.eval(l.expr, inner));
    return this.eval(decl.body, inner);
  }

  private method(e: Extract<Expr, { kind: "method" }>, env: Env): Value {
    if (!KNOWN_METHODS.has(e.name)) throw new RulesUnsupportedError(`unknown method '.${e.name}()'`, e.line);
    const recv = this.eval(e.object, env);
    const args = e.args.map((a) => this.eval(a, env));
    const t = typeName(recv);
    const arity = (n: number): void => {
      if (args.length !== n) throw new RulesUnsupportedError(`.${e.name}() with ${args.length} arguments`, e.line);
    };
    const arg = (i: number): Value => args[i] as Value;
    const asItems = (v: Value): readonly Value[] => {
      if (Array.isArray(v)) return v;
      if (v instanceof RSet) return v.items;
      return this.err(`.${e.name}() needs a list or set argument, got ${typeName(v)}`, e.line);
    };

    if (recv instanceof RQueryData) {
      if (e.name === "get") {
        arity(2);
        const k = arg(0);
        if (typeof k !== "string") this.err(`.get() on query data needs a string key`, e.line);
        return this.field(recv, k, e.line);
      }
      this.err(`.${e.name}() on resource.data cannot be decided for a list query`, e.line);
    }
    if (!(METHODS_BY_TYPE[t] ?? []).includes(e.name)) {
      this.err(`Function not found error: ${t} has no method .${e.name}()`, e.line);
    }

    if (typeof recv === "string") {
      switch (e.name) {
        case "size":
          arity(0);
          return recv.length;
        case "lower":
          arity(0);
          return recv.toLowerCase();
        case "upper":
          arity(0);
          return recv.toUpperCase();
        case "trim":
          arity(0);
          return recv.trim();
        case "matches":
        case "split": {
          arity(1);
          const re = arg(0);
          if (typeof re !== "string") this.err(`.${e.name}() needs a string pattern`, e.line);
          let regex: RegExp;
          try {
            regex = new RegExp(e.name === "matches" ? `^(?:${re})$` : re, "u");
          } catch {
            return this.err(`invalid regular expression ${JSON.stringify(re)}`, e.line);
          }
          return e.name === "matches" ? regex.test(recv) : recv.split(regex);
        }
      }
    }
    if (Array.isArray(recv) || recv instanceof RSet) {
      const items = Array.isArray(recv) ? recv : recv.items;
      switch (e.name) {
        case "size":
          arity(0);
          return Array.isArray(recv) ? recv.length : recv.items.length;
        case "hasAll":
          arity(1);
          return asItems(arg(0)).every((x) => items.some((y) => valuesEqual(x, y)));
        case "hasAny":
          arity(1);
          return asItems(arg(0)).some((x) => items.some((y) => valuesEqual(x, y)));
        case "hasOnly": {
          arity(1);
          const allowed = asItems(arg(0));
          return items.every((x) => allowed.some((y) => valuesEqual(x, y)));
        }
        case "toSet":
          arity(0);
          return new RSet(uniqueValues(items));
        case "concat": {
          arity(1);
          const other = arg(0);
          if (!Array.isArray(other)) this.err(`.concat() needs a list`, e.line);
          return [...items, ...other];
        }
        case "removeAll": {
          arity(1);
          const drop = asItems(arg(0));
          return items.filter((x) => !drop.some((y) => valuesEqual(x, y)));
        }
        case "union":
          arity(1);
          return new RSet(uniqueValues([...items, ...asItems(arg(0))]));
        case "intersection": {
          arity(1);
          const other = asItems(arg(0));
          return new RSet(items.filter((x) => other.some((y) => valuesEqual(x, y))));
        }
        case "difference": {
          arity(1);
          const other = asItems(arg(0));
          return new RSet(items.filter((x) => !other.some((y) => valuesEqual(x, y))));
        }
      }
    }
    if (recv instanceof RMap) {
      switch (e.name) {
        case "size":
          arity(0);
          return recv.entries.size;
        case "keys":
          arity(0);
          return [...recv.entries.keys()];
        case "values":
          arity(0);
          return [...recv.entries.values()];
        case "get": {
          arity(2);
          const k = arg(0);
          const dflt = arg(1);
          const keyPath =
            typeof k === "string"
              ? [k]
              : Array.isArray(k) && k.every((x) => typeof x === "string")
                ? (k as string[])
                : undefined;
          if (!keyPath) return this.err(`.get() needs a string or a list of strings as key`, e.line);
          let cur: Value = recv;
          for (const part of keyPath) {
            if (!(cur instanceof RMap) || !cur.entries.has(part)) return dflt;
            cur = cur.entries.get(part) as Value;
          }
          return cur;
        }
        case "diff": {
          arity(1);
          const other = arg(0);
          if (!(other instanceof RMap)) return this.err(`.diff() needs a map, got ${typeName(other)}`, e.line);
          return mapDiff(recv, other);
        }
      }
    }
    if (recv instanceof RMapDiff) {
      arity(0);
      switch (e.name) {
        case "addedKeys":
          return new RSet(recv.added);
        case "removedKeys":
          return new RSet(recv.removed);
        case "changedKeys":
          return new RSet(recv.changed);
        case "affectedKeys":
          return new RSet([...recv.added, ...recv.removed, ...recv.changed]);
        case "unchangedKeys":
          return new RSet(recv.unchanged);
      }
    }
    if (recv instanceof RTimestamp && e.name === "toMillis") {
      arity(0);
      return recv.millis;
    }
    throw new RulesUnsupportedError(`method '.${e.name}()' on ${t} (${describeValue(recv)})`, e.line);
  }
}

function compare(l: Value, r: Value): number | undefined {
  if (typeof l === "number" && typeof r === "number") return l - r;
  if (typeof l === "string" && typeof r === "string") return l < r ? -1 : l > r ? 1 : 0;
  if (l instanceof RTimestamp && r instanceof RTimestamp) return l.millis - r.millis;
  if (l instanceof RDuration && r instanceof RDuration) return l.millis - r.millis;
  return undefined;
}

function mapDiff(after: RMap, before: RMap): RMapDiff {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const [k, v] of after.entries) {
    if (!before.entries.has(k)) added.push(k);
    else if (valuesEqual(v, before.entries.get(k) as Value)) unchanged.push(k);
    else changed.push(k);
  }
  for (const k of before.entries.keys()) if (!after.entries.has(k)) removed.push(k);
  return new RMapDiff(added, removed, changed, unchanged);
}

function documentKey(p: RPath): string | undefined {
  const [a, , c, ...rest] = p.segments;
  if (a !== "databases" || c !== "documents" || rest.length === 0 || rest.length % 2 !== 0) return undefined;
  return rest.join("/");
}

function findFunction(name: string, env: Env): { decl: FunctionDecl; depth: number } | undefined {
  for (let d = env.depth; d >= 0; d--) {
    const decl = env.chain[d]?.block.functions.find((f) => f.name === name);
    if (decl) return { decl, depth: d };
  }
  return undefined;
}

// ---------------------------------------------------------------- static check (fail closed at load)

interface Scope {
  vars: ReadonlySet<string>;
  functions: ReadonlyMap<string, FunctionDecl>;
  parent?: Scope;
}

function staticCheck(file: RulesFile): void {
  const visit = (block: MatchBlock, parent: Scope | undefined): void => {
    const vars = new Set(block.pattern.filter((s) => s.kind !== "literal").map((s) => (s as { name: string }).name));
    const functions = new Map(block.functions.map((f) => [f.name, f] as const));
    const scope: Scope = parent ? { vars, functions, parent } : { vars, functions };
    for (const f of block.functions) {
      const locals = new Set(f.params);
      for (const l of f.lets) {
        checkExpr(l.expr, scope, locals);
        locals.add(l.name);
      }
      checkExpr(f.body, scope, locals);
    }
    for (const a of block.allows) if (a.condition) checkExpr(a.condition, scope, new Set());
    for (const m of block.matches) visit(m, scope);
  };
  visit(file.root, undefined);
}

function scopeHasVar(scope: Scope | undefined, name: string): boolean {
  for (let s = scope; s; s = s.parent) if (s.vars.has(name)) return true;
  return false;
}

function scopeFunction(scope: Scope | undefined, name: string): FunctionDecl | undefined {
  for (let s = scope; s; s = s.parent) {
    const f = s.functions.get(name);
    if (f) return f;
  }
  return undefined;
}

function checkExpr(e: Expr, scope: Scope, locals: ReadonlySet<string>): void {
  const rec = (x: Expr): void => checkExpr(x, scope, locals);
  switch (e.kind) {
    case "literal":
      return;
    case "ident":
      if (!locals.has(e.name) && !scopeHasVar(scope, e.name) && !GLOBALS.has(e.name)) {
        throw new RulesUnsupportedError(`unknown identifier '${e.name}'`, e.line);
      }
      return;
    case "member":
      return rec(e.object);
    case "index":
      rec(e.object);
      return rec(e.index);
    case "call": {
      const builtinArity = BUILTIN_FUNCTIONS[e.name];
      const user = builtinArity === undefined ? scopeFunction(scope, e.name) : undefined;
      if (builtinArity === undefined && !user)
        throw new RulesUnsupportedError(`unknown function '${e.name}()'`, e.line);
      const expected = builtinArity ?? user?.params.length;
      if (expected !== e.args.length) {
        throw new RulesUnsupportedError(
          `function '${e.name}' takes ${expected} arguments, called with ${e.args.length}`,
          e.line,
        );
      }
      e.args.forEach(rec);
      return;
    }
    case "method":
      if (!KNOWN_METHODS.has(e.name)) throw new RulesUnsupportedError(`unknown method '.${e.name}()'`, e.line);
      rec(e.object);
      e.args.forEach(rec);
      return;
    case "unary":
      return rec(e.operand);
    case "binary":
      rec(e.left);
      return rec(e.right);
    case "is":
      if (!KNOWN_TYPES.has(e.typeName)) throw new RulesUnsupportedError(`type '${e.typeName}' in 'is'`, e.line);
      return rec(e.operand);
    case "conditional":
      rec(e.test);
      rec(e.then);
      return rec(e.otherwise);
    case "list":
      e.items.forEach(rec);
      return;
    case "map":
      for (const { key, value } of e.entries) {
        rec(key);
        rec(value);
      }
      return;
    case "path":
      for (const s of e.segments) if (s.kind === "expr") rec(s.expr);
      return;
  }
}
