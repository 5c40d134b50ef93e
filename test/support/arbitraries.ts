/**
 * fast-check arbitraries and helpers for the hostile-input fuzz, the audit-chain
 * property tests, and log capture (log hygiene; silencing the fuzz).
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import type { AuditContent } from "../../functions/src/domain/audit.js";

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------
// Hostile values

export const BIG_STRING = "A".repeat(100_000);
/** 100k UTF-16 units of astral characters (surrogate pairs). */
export const BIG_ASTRAL = "\u{1F4A5}".repeat(50_000);
export const BIG_NUMBERS = [
  1e308,
  -1e308,
  Number.MAX_VALUE,
  Number.MAX_SAFE_INTEGER + 1,
  Number.MIN_SAFE_INTEGER - 1,
  2 ** 64,
] as const;
export const NON_FINITE = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] as const;

export function deepObject(depth: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

export function deepArray(depth: number): unknown[] {
  let v: unknown[] = [1];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

export const DEEP_OBJECT = deepObject(100);
export const DEEP_ARRAY = deepArray(100);
export const BIG_ARRAY = Array.from({ length: 10_000 }, (_, i) => i);

/** An object with own (JSON-parsed) `__proto__`, `constructor` and `prototype` keys. */
export function prototypeKeyed(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const o = JSON.parse(
    '{"__proto__":{"role":"admin","polluted":true},"constructor":{"prototype":{"polluted":true}},"prototype":{"polluted":true}}',
  ) as Record<string, unknown>;
  return Object.assign(o, extra);
}

/** Copy of `obj` with one more own enumerable key (works for "__proto__" too). */
export function withOwnKey(obj: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...obj };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

export const OUT_OF_RANGE_DATES = [
  "1899-12-31",
  "2200-01-02",
  "2025-02-30",
  "2025-04-31",
  "2025-02-29",
  "2025-13-01",
  "2025-00-10",
  "0000-01-01",
  "+275760-09-13T00:00:00Z",
  "-000001-01-01T00:00:00Z",
  "2025-01-01T25:00Z",
  "2025-06-30T12:00:00+25:00",
  "31/12/2025",
  "not a date",
] as const;

const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    ...NON_FINITE,
    ...BIG_NUMBERS,
    -0,
    -1,
    0.5,
    Number.EPSILON,
    null,
    undefined,
    true,
    false,
    "",
    " ",
    "\u0000",
    "__proto__",
    "constructor",
    BIG_STRING,
    BIG_ASTRAL,
    ...OUT_OF_RANGE_DATES,
  ),
  fc.double(),
  fc.integer(),
  fc.string({ maxLength: 20 }),
  fc.bigInt(),
  fc.date({ noInvalidDate: false }),
);

const hostileStructure: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(DEEP_OBJECT, DEEP_ARRAY, BIG_ARRAY, [], {}, prototypeKeyed(), Object.create(null)),
  fc.array(hostileScalar, { maxLength: 5 }),
  fc.dictionary(
    fc.oneof(
      fc.constantFrom("__proto__", "constructor", "toString", "valueOf", "hasOwnProperty"),
      fc.string({ maxLength: 8 }),
    ),
    hostileScalar,
    {
      maxKeys: 5,
    },
  ),
);

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileScalar },
  { weight: 2, arbitrary: hostileStructure },
);

/** Whole inputs that are junk: any value, junk dictionaries, a valid input with one key junked or extra keys. */
export function hostileInput(base: Record<string, unknown>): fc.Arbitrary<{ label: string; data: unknown }> {
  const keys = Object.keys(base);
  return fc.oneof(
    hostileValue.map((data) => ({ label: "junk", data })),
    fc
      .anything({
        maxDepth: 3,
        withBigInt: true,
        withDate: true,
        withNullPrototype: true,
        withObjectString: true,
        withBoxedValues: true,
        withMap: true,
        withSet: true,
        withTypedArray: true,
        withSparseArray: true,
      })
      .map((data) => ({ label: "anything", data })),
    fc
      .record({ k: fc.constantFrom(...keys), v: hostileValue })
      .map(({ k, v }) => ({ label: `key:${k}`, data: { ...base, [k]: v } })),
    fc
      .constantFrom("__proto__", "constructor", "prototype", "role", "admin", "toJSON")
      .chain((k) => hostileValue.map((v) => ({ label: `extra:${k}`, data: withOwnKey(base, k, v ?? 1) }))),
    fc.constant({ label: "prototype-keys", data: prototypeKeyed(base) }),
  );
}

// ---------------------------------------------------------------------------------------
// The wire: clients send JSON; the callable HTTP layer decodes it with firebase-functions' decode.

type Decode = (data: unknown) => unknown;
let decodeFn: Decode | undefined;

function firebaseFunctionsLib(): string {
  const main = require.resolve("firebase-functions"); // …/firebase-functions/lib/v2/index.js
  return main.slice(0, main.lastIndexOf("/lib/") + "/lib/".length);
}

/** What a value becomes after the JSON wire and the callable decoder (NaN → null, -0 → 0, Date → string, …); `undefined` when it cannot be sent at all (BigInt). */
export function overTheWire(value: unknown): { sendable: true; data: unknown } | { sendable: false } {
  let json: string | undefined;
  try {
    json = JSON.stringify({ data: value });
  } catch {
    return { sendable: false };
  }
  decodeFn ??= (require(`${firebaseFunctionsLib()}common/providers/https.js`) as { decode: Decode }).decode;
  const body = JSON.parse(json) as { data?: unknown };
  try {
    return { sendable: true, data: decodeFn(body.data ?? null) };
  } catch {
    // The decoder refuses it (an unknown @type): the HTTP layer answers before the handler runs.
    return { sendable: false };
  }
}

// ---------------------------------------------------------------------------------------
// Mutations of valid inputs: one field corrupted so that the input is certainly invalid
// (or names an id that does not exist).

export type Path = ReadonlyArray<string | number>;

export interface SeedSpec {
  /** A valid input (ids point at seeded documents). */
  base: Record<string, unknown>;
  /** Paths that may be absent (never deleted by a mutation). */
  optional?: string[];
  /** Paths where null is valid. */
  nullable?: string[];
  /** Number paths where negative values are valid. */
  signed?: string[];
  /** Number paths that must be > 0 (so 0 and -0 are corruptions). */
  positive?: string[];
  /** Id paths: a well-formed unknown id must give not-found (or another refusal), never a write. */
  ids?: string[];
}

export interface Mutation {
  label: string;
  path: string;
  /** "value" and "remove" must be invalid-argument naming the field; "id" a refusal. */
  kind: "value" | "remove" | "extra-key" | "id";
  data: unknown;
}

const dotted = (p: Path) => p.map(String).join(".");
/** Spec paths name array elements with `*` ("contacts.*.email"). */
const specPath = (p: Path) => p.map((s) => (typeof s === "number" ? "*" : s)).join(".");

function clone<T>(v: T): T {
  return structuredClone(v);
}

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = clone(root) as Record<string | number, unknown>;
  let cur = copy;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (last === "__proto__")
    Object.defineProperty(cur, last, { value, enumerable: true, writable: true, configurable: true });
  else cur[last] = value;
  return copy;
}

function deleteAt(root: unknown, path: Path): unknown {
  const copy = clone(root) as Record<string | number, unknown>;
  let cur = copy;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as Record<string | number, unknown>;
  delete cur[path[path.length - 1]!];
  return copy;
}

function getAt(root: unknown, path: Path): unknown {
  let cur = root as Record<string | number, unknown>;
  for (const seg of path) cur = cur[seg] as Record<string | number, unknown>;
  return cur;
}

/** Every path in a JSON-like value, the root included. */
export function allPaths(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...allPaths(v, [...prefix, i])));
  else if (value !== null && typeof value === "object")
    for (const [k, v] of Object.entries(value)) out.push(...allPaths(v, [...prefix, k]));
  return out;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

/** The corruptions that make the value at `path` invalid, whatever the field (built lazily: only the chosen one is materialised). */
export function corruptionsAt(spec: SeedSpec, path: Path): Array<() => Mutation> {
  const value = getAt(spec.base, path);
  const sp = specPath(path);
  const at = dotted(path);
  const has = (list: string[] | undefined) => (list ?? []).includes(sp);
  const out: Array<() => Mutation> = [];
  const value_ = (label: string, v: () => unknown) =>
    out.push(() => ({ label, path: at, kind: "value", data: setAt(spec.base, path, v()) }));
  const typeName = (v: unknown) => (Array.isArray(v) ? "array" : typeof v);

  if (path.length > 0) {
    if (!has(spec.nullable)) value_("null", () => null);
    if (has(spec.ids))
      out.push(() => ({ label: "unknown-id", path: at, kind: "id", data: setAt(spec.base, path, "zz-unknown-0042") }));
    const parent = getAt(spec.base, path.slice(0, -1));
    if (!Array.isArray(parent) && !has(spec.optional))
      out.push(() => ({ label: "remove", path: at, kind: "remove", data: deleteAt(spec.base, path) }));
  }
  if (typeof value === "string") {
    for (const v of [42, 4.2, true, {}, [], Number.NaN]) value_(`type:${typeName(v)}`, () => v);
    value_("empty", () => "");
    value_("huge-100k", () => BIG_STRING);
    value_("huge-astral", () => BIG_ASTRAL);
    value_("deep-object", () => DEEP_OBJECT);
    if (ISO_DATE.test(value)) for (const d of OUT_OF_RANGE_DATES) value_(`date:${d}`, () => d);
  } else if (typeof value === "number") {
    for (const v of ["42", true, {}, [], "NaN"]) value_(`type:${typeName(v)}`, () => v);
    for (const v of [...NON_FINITE, ...BIG_NUMBERS, 1.5, Number.EPSILON, -1e15]) value_(`number:${v}`, () => v);
    if (!has(spec.signed)) value_("negative", () => -1);
    if (has(spec.positive)) {
      value_("zero", () => 0);
      value_("minus-zero", () => -0);
    }
  } else if (typeof value === "boolean") {
    for (const v of ["true", 1, {}]) value_(`type:${typeof v}`, () => v);
  } else if (Array.isArray(value)) {
    for (const v of [{}, "x", 42]) value_(`type:${typeof v}`, () => v);
    value_("10k-items", () => Array.from({ length: 10_000 }, () => clone(value[0] ?? 1)));
    value_("deep-array", () => DEEP_ARRAY);
  } else if (value !== null && typeof value === "object") {
    if (path.length > 0) {
      for (const v of [[], "x", 42, true]) value_(`type:${typeName(v)}`, () => v);
      value_("deep-object", () => DEEP_OBJECT);
    }
    for (const key of ["__proto__", "constructor", "isAdmin", "toString"]) {
      out.push(() => ({
        label: `extra-key:${key}`,
        path: at,
        kind: "extra-key",
        data: setAt(spec.base, [...path, key], key === "isAdmin" ? true : { polluted: true }),
      }));
    }
  }
  return out;
}

/** Every single-field corruption of a seed, as an arbitrary (uniform over paths, then over corruptions). */
export function mutationOf(spec: SeedSpec): fc.Arbitrary<Mutation> {
  const choices = allPaths(spec.base).map((p) => corruptionsAt(spec, p));
  return fc
    .nat({ max: choices.length - 1 })
    .chain((i) => fc.nat({ max: choices[i]!.length - 1 }).map((j) => choices[i]![j]!()));
}

// ---------------------------------------------------------------------------------------
// Database comparison (for databaseSnapshot() strings). The in-process Firestore adds an empty collection node to its state
// when a document of a collection never written is *read* (a not-found lookup); that is no
// write, so empty collections (and the empty project/database nodes above them) are pruned
// before comparing when the raw snapshots differ.

function pruneEmpty(node: unknown): unknown {
  if (node === null || typeof node !== "object" || Array.isArray(node)) return node;
  const o = node as Record<string, unknown>;
  if ("fields" in o) {
    return { ...o, collections: pruneMap(o.collections) ?? {} };
  }
  for (const key of ["documents", "collections", "databases", "projects"]) {
    if (key in o) {
      const kept = key === "documents" ? (o[key] as Record<string, unknown>) : pruneMap(o[key]);
      if (!kept || Object.keys(kept).length === 0) return undefined;
      return {
        ...o,
        [key]:
          key === "documents" ? Object.fromEntries(Object.entries(kept).map(([k, v]) => [k, pruneEmpty(v)])) : kept,
      };
    }
  }
  return o;
}

function pruneMap(map: unknown): Record<string, unknown> | undefined {
  if (map === null || typeof map !== "object") return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(map)) {
    const p = pruneEmpty(v);
    if (p !== undefined) out[k] = p;
  }
  return Object.keys(out).length ? out : undefined;
}

export function sameDatabase(before: string, after: string): boolean {
  if (before === after) return true;
  return (
    JSON.stringify(pruneEmpty(JSON.parse(before)) ?? null) === JSON.stringify(pruneEmpty(JSON.parse(after)) ?? null)
  );
}

// ---------------------------------------------------------------------------------------
// Audit chains (unit property tests)

const jsonLeaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

export const auditContent: fc.Arbitrary<AuditContent> = fc.record({
  action: fc.constantFrom("application.submit", "customer.create", "customer.reassess", "alert.raise", "role.set"),
  actor: fc.record({
    uid: fc.string({ minLength: 1, maxLength: 10 }),
    role: fc.option(fc.constantFrom("analyst", "manager", "admin"), { nil: null }),
  }),
  target: fc.string({ minLength: 1, maxLength: 30 }),
  before: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), jsonLeaf, { maxKeys: 4 }), { nil: null }),
  after: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), jsonLeaf, { maxKeys: 4 }), { nil: null }),
  reason: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
  requestId: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: null }),
});

// ---------------------------------------------------------------------------------------
// Log capture: every entry the firebase-functions logger writes goes through its
// UNPATCHED_CONSOLE (one per module instance: the ESM build the functions import, the
// CommonJS build firebase-functions-test uses); plus console and process streams for
// anything written around the logger.

export interface LogCapture {
  /** Every captured line (logger entries are JSON strings). */
  entries: string[];
  restore(): void;
}

type ConsoleLike = Record<"debug" | "info" | "log" | "warn" | "error", (...args: unknown[]) => void>;

async function unpatchedConsoles(): Promise<ConsoleLike[]> {
  const lib = firebaseFunctionsLib();
  const cjs = (require(`${lib}logger/common.js`) as { UNPATCHED_CONSOLE: ConsoleLike }).UNPATCHED_CONSOLE;
  const esm = ((await import(pathToFileURL(`${lib}esm/logger/common.mjs`).href)) as { UNPATCHED_CONSOLE: ConsoleLike })
    .UNPATCHED_CONSOLE;
  return cjs === esm ? [cjs] : [cjs, esm];
}

function render(args: unknown[]): string {
  return args
    .map((a) => {
      if (typeof a === "string") return a;
      try {
        return JSON.stringify(a) ?? String(a);
      } catch {
        return String(a);
      }
    })
    .join(" ");
}

/** Start capturing; `passThrough` false silences the output (the fuzz), true also prints it. */
export async function captureLogs(passThrough = false): Promise<LogCapture> {
  const entries: string[] = [];
  const undo: Array<() => void> = [];
  const methods = ["debug", "info", "log", "warn", "error"] as const;
  for (const target of [...(await unpatchedConsoles()), console as unknown as ConsoleLike]) {
    for (const m of methods) {
      const original = target[m];
      target[m] = (...args: unknown[]) => {
        entries.push(render(args));
        if (passThrough) original.apply(target, args);
      };
      undo.push(() => {
        target[m] = original;
      });
    }
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      entries.push(typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk));
      return passThrough ? (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest) : true;
    }) as typeof stream.write;
    undo.push(() => {
      stream.write = original;
    });
  }
  return {
    entries,
    restore: () => {
      for (const u of undo.reverse()) u();
    },
  };
}
