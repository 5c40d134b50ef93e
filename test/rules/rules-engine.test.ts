/**
 * Self-tests of the in-process rules evaluator: it fails closed on anything it does not know,
 * follows the rules' error semantics, and matches paths like Firestore does.
 */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_REQUEST_TIME,
  REQUEST_TIME,
  RulesEngine,
  RulesSyntaxError,
  RulesUnsupportedError,
  type Database,
  type FixtureDoc,
  type Outcome,
  type RulesRequest,
} from "../support/rules-engine/index.js";

/** Wraps match blocks in the standard service/database boilerplate. Body starts at line 4. */
function rules(body: string): string {
  return `rules_version = '2';\nservice cloud.firestore {\n  match /databases/{database}/documents {\n${body}\n  }\n}\n`;
}

const ANALYST = { uid: "u1", token: { role: "analyst" } };

/** Evaluates `expr` as the condition of `allow get` on things/t1 holding `data`. */
function outcome(expr: string, data: FixtureDoc | null = { a: 1 }, auth: RulesRequest["auth"] = ANALYST): Outcome {
  const engine = new RulesEngine(rules(`match /things/{id} { allow get: if ${expr}; }`));
  const db: Database = data ? { "things/t1": data } : {};
  const d = engine.evaluate({ method: "get", path: "things/t1", auth }, db);
  expect(d.statements).toHaveLength(1);
  const s = d.statements[0];
  if (!s) throw new Error("no statement");
  expect(d.allowed).toBe(s.outcome === "true");
  return s.outcome;
}

describe("rules evaluator: fails closed", () => {
  it("rejects an unknown function when loading, naming it and its line", () => {
    const src = rules(`\n    match /things/{id} {\n      allow get: if frobnicate(id);\n    }`);
    expect(() => new RulesEngine(src)).toThrow(RulesUnsupportedError);
    expect(() => new RulesEngine(src)).toThrow(/unknown function 'frobnicate\(\)' at line 6/);
  });

  it("rejects an unknown method, identifier and type when loading", () => {
    expect(() => new RulesEngine(rules(`match /t/{id} { allow get: if resource.data.keys().frob(); }`))).toThrow(
      /unknown method '\.frob\(\)' at line 4/,
    );
    expect(() => new RulesEngine(rules(`match /t/{id} { allow get: if requset.auth != null; }`))).toThrow(
      /unknown identifier 'requset' at line 4/,
    );
    expect(() => new RulesEngine(rules(`match /t/{id} { allow get: if resource.data.x is strin; }`))).toThrow(
      /type 'strin'/,
    );
    expect(
      () => new RulesEngine(rules(`function f(a) { return a; }\nmatch /t/{id} { allow get: if f(1, 2); }`)),
    ).toThrow(/takes 1 arguments, called with 2 at line 5/);
  });

  it("a function cannot see the path variables of a match it is not declared in", () => {
    const src = rules(`function f() { return id == 'x'; }\nmatch /t/{id} { allow get: if f(); }`);
    expect(() => new RulesEngine(src)).toThrow(/unknown identifier 'id' at line 4/);
  });

  it("throws (never allows) at run time when the static check is off", () => {
    const engine = new RulesEngine(
      rules(`match /t/{id} { allow get: if true || frobnicate(); allow list: if frobnicate(); }`),
      {
        staticCheck: false,
      },
    );
    expect(() => engine.evaluate({ method: "list", path: "t", auth: ANALYST })).toThrow(
      /unknown function 'frobnicate\(\)' at line 4/,
    );
    // An unsupported construct is never absorbed by && / || error semantics.
    const e2 = new RulesEngine(
      rules(`match /t/{id} { allow get: if false && resource.data.keys().frob(); allow get: if unknownVar || true; }`),
      {
        staticCheck: false,
      },
    );
    expect(() => e2.evaluate({ method: "get", path: "t/1", auth: ANALYST }, { "t/1": { a: 1 } })).toThrow(
      RulesUnsupportedError,
    );
  });

  it("throws on a known method called with the wrong number of arguments", () => {
    const engine = new RulesEngine(rules(`match /t/{id} { allow get: if 'abc'.size(1) == 3; }`));
    expect(() => engine.evaluate({ method: "get", path: "t/1", auth: ANALYST })).toThrow(
      /\.size\(\) with 1 arguments at line 4/,
    );
  });

  it("rejects constructs the parser does not know, with their line", () => {
    expect(() => new RulesEngine(rules(`match /t/{id} { allow get: if [1,2][0:1] == [1]; }`))).toThrow(
      RulesSyntaxError,
    );
    expect(() => new RulesEngine(rules(`match /t/{id} { allow get: if r'raw' == 'raw'; }`))).toThrow(/line 4/);
    expect(() => new RulesEngine(rules(`match /t/{id} { allow frob: if true; }`))).toThrow(
      /unknown allow method 'frob'/,
    );
    expect(() => new RulesEngine(rules(`match /t/{id} { deny get: if true; }`))).toThrow(/line 4/);
    expect(() => new RulesEngine(`rules_version = '1';\nservice cloud.firestore { }`)).toThrow(/only '2'/);
    expect(() => new RulesEngine(`rules_version = '2';\nservice firebase.storage { }`)).toThrow(/not supported/);
    expect(() => new RulesEngine(rules(`match /a/{rest=**}/b { allow get: if true; }`))).toThrow(
      /must be the last segment/,
    );
  });
});

describe("rules evaluator: error semantics", () => {
  it("absorbs errors in && and || the way the rules language does", () => {
    expect(outcome("false && resource.data.missing")).toBe("false");
    expect(outcome("resource.data.missing && false")).toBe("false");
    expect(outcome("true || resource.data.missing")).toBe("true");
    expect(outcome("resource.data.missing || true")).toBe("true");
    expect(outcome("true && resource.data.missing")).toBe("error");
    expect(outcome("resource.data.missing || false")).toBe("error");
    expect(outcome("!resource.data.missing")).toBe("error");
    expect(outcome("!(resource.data.missing && false)")).toBe("true");
    expect(outcome("resource.data.missing == null")).toBe("error");
    expect(outcome("'yes' || false")).toBe("error");
  });

  it("denies a condition that is not a bool", () => {
    expect(outcome("'yes'")).toBe("error");
    expect(outcome("1")).toBe("error");
  });

  it("treats null and missing differently", () => {
    expect(outcome("resource.data.x == null", { x: null })).toBe("true");
    expect(outcome("resource.data.x == null", {})).toBe("error");
    expect(outcome("'x' in resource.data", { x: null })).toBe("true");
    expect(outcome("'x' in resource.data", {})).toBe("false");
    expect(outcome("resource.data.get('x', 'dflt') == 'dflt'", {})).toBe("true");
    expect(outcome("resource == null", null)).toBe("true");
    expect(outcome("resource.data.a == 1", null)).toBe("error");
    expect(outcome("request.auth.uid == 'u1'", { a: 1 }, null)).toBe("error");
    expect(outcome("request.auth == null", { a: 1 }, null)).toBe("true");
  });

  it("compares like the rules language", () => {
    expect(outcome("null == 'a'")).toBe("false");
    expect(outcome("'1' == 1")).toBe("false");
    expect(outcome("1 == 1.0")).toBe("true");
    expect(outcome("'a' < 1")).toBe("error");
    expect(outcome("'a' < 'b' && 2 >= 2 && 3 > 2.5")).toBe("true");
    expect(outcome("[1, {'k': 'v'}] == [1, {'k': 'v'}]")).toBe("true");
    expect(outcome("7 / 2 == 3 && 7 % 2 == 1 && -1 + 2 * 3 == 5")).toBe("true");
    expect(outcome("1 / 0 == 0")).toBe("error");
  });

  it("implements in, is and the collection methods", () => {
    expect(outcome("'k' in {'k': 1}")).toBe("true");
    expect(outcome("'z' in {'k': 1}")).toBe("false");
    expect(outcome("1 in {'k': 1}")).toBe("error");
    expect(outcome("'b' in ['a', 'b']")).toBe("true");
    expect(outcome("'b' in null")).toBe("error");
    expect(outcome("1 is int && 1.5 is float && 1.5 is number && 's' is string && [1] is list && {} is map")).toBe(
      "true",
    );
    expect(outcome("request.time is timestamp && request.path is path && true is bool")).toBe("true");
    expect(outcome("null is string")).toBe("false");
    expect(outcome("[1, 2].hasOnly([1, 2, 3]) && ![1, 4].hasOnly([1, 2, 3])")).toBe("true");
    expect(outcome("[1, 2].hasAll([2]) && ![1].hasAll([1, 2]) && [1].hasAny([3, 1]) && ![1].hasAny([])")).toBe("true");
    expect(outcome("[1, 1, 2].toSet().size() == 2 && [1, 2].toSet().hasOnly([2, 1])")).toBe("true");
    expect(
      outcome("[1, 2].toSet().union([3].toSet()).size() == 3 && [1, 2].toSet().difference([1]).hasOnly([2])"),
    ).toBe("true");
    expect(
      outcome("{'a': 1, 'b': 2}.keys().hasAll(['a', 'b']) && {'a': 1}.size() == 1 && {'a': 1}.values() == [1]"),
    ).toBe("true");
    expect(outcome("{'a': {'b': 3}}.get(['a', 'b'], 0) == 3 && {'a': 1}.get(['a', 'b'], 0) == 0")).toBe("true");
    expect(outcome("[1, 2][1] == 2")).toBe("true");
    expect(outcome("[1, 2][2] == 2")).toBe("error");
    expect(outcome("null.size() == 0")).toBe("error");
    expect(outcome("'abc'.hasAll(['a'])")).toBe("error");
    expect(
      outcome("'Ab '.size() == 3 && 'Ab'.lower() == 'ab' && ' x '.trim() == 'x' && 'a,b'.split(',') == ['a', 'b']"),
    ).toBe("true");
  });

  it("matches() is a full match", () => {
    expect(outcome("'abc'.matches('b')")).toBe("false");
    expect(outcome("'abc'.matches('a.c')")).toBe("true");
    expect(outcome("'a@b.co'.matches('[^@ ]+@[^@ ]+[.][^@ ]+')")).toBe("true");
    expect(outcome("'a@bco'.matches('[^@ ]+@[^@ ]+[.][^@ ]+')")).toBe("false");
    expect(outcome("'a'.matches('(')")).toBe("error");
  });

  it("diffs maps for update rules (allow-list of affected keys)", () => {
    const engine = new RulesEngine(
      rules(`match /t/{id} {
      allow update: if request.resource.data.diff(resource.data).affectedKeys().hasOnly(['a', 'updatedAt'])
        && request.resource.data.diff(resource.data).unchangedKeys().hasAll(['b'])
        && request.resource.data.updatedAt == request.time;
    }`),
    );
    const db: Database = { "t/1": { a: 1, b: 2, c: 3 } };
    const upd = (data: FixtureDoc): boolean =>
      engine.evaluate({ method: "update", path: "t/1", auth: ANALYST, data }, db).allowed;
    expect(upd({ a: 5, updatedAt: REQUEST_TIME })).toBe(true);
    expect(upd({ a: 5, updatedAt: new Date(DEFAULT_REQUEST_TIME.getTime() + 1) })).toBe(false);
    expect(upd({ a: 5, c: 4, updatedAt: REQUEST_TIME })).toBe(false);
    expect(upd({ a: 5, d: 1, updatedAt: REQUEST_TIME })).toBe(false);
    expect(upd({ a: 1, c: 3, updatedAt: REQUEST_TIME })).toBe(true);
  });

  it("supports let, ternaries and nested function calls", () => {
    const engine = new RulesEngine(
      rules(`function double(x) { let y = x * 2; return y; }
    function big(x) { return double(x) > 10 ? 'big' : 'small'; }
    match /t/{id} { allow get: if big(resource.data.n) == 'big'; }`),
    );
    expect(engine.evaluate({ method: "get", path: "t/1", auth: ANALYST }, { "t/1": { n: 6 } }).allowed).toBe(true);
    expect(engine.evaluate({ method: "get", path: "t/1", auth: ANALYST }, { "t/1": { n: 5 } }).allowed).toBe(false);
  });
});

describe("rules evaluator: path matching", () => {
  it("binds wildcards in nested matches and applies only at the full depth", () => {
    const engine = new RulesEngine(
      rules(`match /a/{aid} {
      allow get: if aid == 'x';
      match /b/{bid} { allow get: if aid == 'x' && bid == 'y'; }
    }`),
    );
    const get = (path: string): boolean => engine.evaluate({ method: "get", path, auth: ANALYST }).allowed;
    expect(get("a/x")).toBe(true);
    expect(get("a/z")).toBe(false);
    expect(get("a/x/b/y")).toBe(true);
    expect(get("a/x/b/q")).toBe(false);
    expect(get("a/x/c/y")).toBe(false);
    expect(engine.evaluate({ method: "get", path: "a/x/c/y", auth: ANALYST }).statements).toEqual([]);
  });

  it("matches {name=**} against zero or more segments and binds a path", () => {
    const engine = new RulesEngine(
      rules(`match /things/{rest=**} { allow get: if rest == /t1/sub/s1; }
    match /{document=**} { allow list: if true; }`),
    );
    expect(engine.evaluate({ method: "get", path: "things/t1/sub/s1", auth: null }).allowed).toBe(true);
    expect(engine.evaluate({ method: "get", path: "things/t1", auth: null }).allowed).toBe(false);
    expect(engine.evaluate({ method: "list", path: "x/y/deep", auth: null }).allowed).toBe(true);
    expect(engine.evaluate({ method: "get", path: "x/y", auth: null }).allowed).toBe(false);
  });

  it("expands read and write and ORs every applicable statement", () => {
    const engine = new RulesEngine(
      rules(`match /t/{id} { allow read: if false; }
    match /t/{other} { allow get, delete: if other == 'ok'; }
    match /w/{id} { allow write; }`),
    );
    const d = engine.evaluate({ method: "get", path: "t/ok", auth: null });
    expect(d.allowed).toBe(true);
    expect(d.statements.map((s) => [s.statement.line, s.outcome])).toEqual([
      [4, "false"],
      [5, "true"],
    ]);
    expect(engine.evaluate({ method: "list", path: "t", auth: null }).allowed).toBe(false);
    expect(engine.evaluate({ method: "delete", path: "t/ok", auth: null }).allowed).toBe(true);
    expect(engine.evaluate({ method: "update", path: "t/ok", auth: null, data: {} }).allowed).toBe(false);
    for (const method of ["create", "update"] as const) {
      expect(engine.evaluate({ method, path: "w/1", auth: null, data: { a: 1 } }).allowed).toBe(true);
    }
    expect(engine.evaluate({ method: "delete", path: "w/1", auth: null }).allowed).toBe(true);
    expect(engine.evaluate({ method: "get", path: "w/1", auth: null }).allowed).toBe(false);
  });

  it("decides list queries from the query: equality filters, limit, unknown document id", () => {
    const engine = new RulesEngine(
      rules(`match /c/{id} {
      allow list: if resource.data.owner == request.auth.uid && request.query.limit <= 10;
    }
    match /d/{id} { allow list: if id != 'secret'; }`),
    );
    const list = (where: Array<[string, string]>, limit?: number): boolean =>
      engine.evaluate({
        method: "list",
        path: "c",
        auth: ANALYST,
        query: {
          where: where.map(([field, value]) => ({ field, op: "==", value })),
          ...(limit === undefined ? {} : { limit }),
        },
      }).allowed;
    expect(list([["owner", "u1"]], 5)).toBe(true);
    expect(list([["owner", "u1"]], 50)).toBe(false);
    expect(list([["owner", "u1"]])).toBe(false); // no limit: null <= 10 is an error
    expect(list([["owner", "u2"]], 5)).toBe(false);
    expect(list([], 5)).toBe(false);
    expect(
      list(
        [
          ["owner", "u1"],
          ["owner", "u2"],
        ],
        5,
      ),
    ).toBe(false);
    const d = engine.evaluate({ method: "list", path: "d", auth: ANALYST });
    expect(d.allowed).toBe(false);
    expect(d.explain).toMatch(/variable 'id' has no value/);
  });

  it("reads other documents with get() / exists() and sees the write with getAfter()", () => {
    const engine = new RulesEngine(
      rules(`function owner(id) { return get(/databases/$(database)/documents/owners/$(id)).data.uid; }
    match /t/{id} {
      allow get: if exists(/databases/$(database)/documents/owners/$(id)) && owner(id) == request.auth.uid;
      allow update: if getAfter(/databases/$(database)/documents/t/$(id)).data.v == 2;
    }`),
    );
    const db: Database = { "owners/1": { uid: "u1" }, "owners/2": { uid: "u9" }, "t/1": { v: 1 } };
    expect(engine.evaluate({ method: "get", path: "t/1", auth: ANALYST }, db).allowed).toBe(true);
    expect(engine.evaluate({ method: "get", path: "t/2", auth: ANALYST }, db).allowed).toBe(false);
    expect(engine.evaluate({ method: "get", path: "t/3", auth: ANALYST }, db).allowed).toBe(false);
    expect(engine.evaluate({ method: "update", path: "t/1", auth: ANALYST, data: { v: 2 } }, db).allowed).toBe(true);
    expect(engine.evaluate({ method: "update", path: "t/1", auth: ANALYST, data: { v: 3 } }, db).allowed).toBe(false);
  });

  it("denies when no match block applies", () => {
    const engine = new RulesEngine(rules(`match /t/{id} { allow read; }`));
    const d = engine.evaluate({ method: "get", path: "u/1", auth: ANALYST });
    expect(d.allowed).toBe(false);
    expect(d.explain).toMatch(/no allow statement applies/);
  });

  it("rejects malformed requests instead of guessing", () => {
    const engine = new RulesEngine(rules(`match /t/{id} { allow read; }`));
    expect(() => engine.evaluate({ method: "get", path: "t", auth: null })).toThrow(/document path/);
    expect(() => engine.evaluate({ method: "list", path: "t/1", auth: null })).toThrow(/collection path/);
    expect(() => engine.evaluate({ method: "create", path: "t/1", auth: null })).toThrow(/data must be given/);
  });
});
