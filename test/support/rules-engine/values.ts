/**
 * Runtime values of the rules language, and the conversion of test fixtures (plain JS data)
 * into them.
 *
 * Numbers: a JS number that is an integer is a rules `int`, any other number a `float` —
 * the same choice the Firebase JS SDK makes when it writes a number.
 */

/** Marker for "the server's request time" in fixtures: request.time here, serverTimestamp() on the emulator. */
export const REQUEST_TIME: unique symbol = Symbol("request.time");
export type RequestTime = typeof REQUEST_TIME;

/** Fixture data as tests write it. */
export type FixtureValue =
  null | boolean | number | string | Date | RequestTime | FixtureValue[] | { [key: string]: FixtureValue };
export type FixtureDoc = { [key: string]: FixtureValue };

export class RMap {
  constructor(readonly entries: ReadonlyMap<string, Value>) {}
  static of(obj: Record<string, Value>): RMap {
    return new RMap(new Map(Object.entries(obj)));
  }
}

export class RSet {
  constructor(readonly items: readonly Value[]) {}
}

export class RTimestamp {
  constructor(readonly millis: number) {}
}

export class RDuration {
  constructor(readonly millis: number) {}
}

export class RPath {
  constructor(readonly segments: readonly string[]) {}
  toString(): string {
    return "/" + this.segments.join("/");
  }
}

/** Result of `map.diff(other)`. */
export class RMapDiff {
  constructor(
    readonly added: readonly string[],
    readonly removed: readonly string[],
    readonly changed: readonly string[],
    readonly unchanged: readonly string[],
  ) {}
}

/**
 * `resource.data` while deciding a list query: it knows only the fields the query pins with
 * an equality filter. Any other field is unknown, which is an error (so it denies).
 */
export class RQueryData {
  constructor(
    readonly equalities: ReadonlyMap<string, Value>,
    readonly prefix: string = "",
  ) {}
}

export type Value =
  null | boolean | number | string | Value[] | RMap | RSet | RTimestamp | RDuration | RPath | RMapDiff | RQueryData;

export function typeName(v: Value): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "string") return "string";
  if (Array.isArray(v)) return "list";
  if (v instanceof RMap || v instanceof RQueryData) return "map";
  if (v instanceof RSet) return "set";
  if (v instanceof RTimestamp) return "timestamp";
  if (v instanceof RDuration) return "duration";
  if (v instanceof RPath) return "path";
  return "map_diff";
}

export function fromFixture(v: FixtureValue, requestTime: Date, where = "value"): Value {
  if (v === REQUEST_TIME) return new RTimestamp(requestTime.getTime());
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`fixture ${where}: non-finite numbers are not supported`);
    return v;
  }
  if (v instanceof Date) return new RTimestamp(v.getTime());
  if (Array.isArray(v)) return v.map((x, i) => fromFixture(x, requestTime, `${where}[${i}]`));
  if (typeof v === "object") {
    const m = new Map<string, Value>();
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) throw new Error(`fixture ${where}.${k}: undefined is not a Firestore value`);
      m.set(k, fromFixture(x, requestTime, `${where}.${k}`));
    }
    return new RMap(m);
  }
  throw new Error(`fixture ${where}: unsupported value ${String(v)}`);
}

/** Rules equality: values of different types are unequal (not an error); int == float by value. */
export function valuesEqual(a: Value, b: Value): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a !== "object" || typeof b !== "object") return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => valuesEqual(x, b[i] as Value))
    );
  }
  if (a instanceof RMap && b instanceof RMap) {
    if (a.entries.size !== b.entries.size) return false;
    for (const [k, x] of a.entries) {
      if (!b.entries.has(k) || !valuesEqual(x, b.entries.get(k) as Value)) return false;
    }
    return true;
  }
  if (a instanceof RSet && b instanceof RSet) {
    return a.items.length === b.items.length && a.items.every((x) => b.items.some((y) => valuesEqual(x, y)));
  }
  if (a instanceof RTimestamp && b instanceof RTimestamp) return a.millis === b.millis;
  if (a instanceof RDuration && b instanceof RDuration) return a.millis === b.millis;
  if (a instanceof RPath && b instanceof RPath) {
    return a.segments.length === b.segments.length && a.segments.every((s, i) => s === b.segments[i]);
  }
  return false;
}

export function uniqueValues(items: readonly Value[]): Value[] {
  const out: Value[] = [];
  for (const x of items) if (!out.some((y) => valuesEqual(x, y))) out.push(x);
  return out;
}

export function describeValue(v: Value): string {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v !== "object") return String(v);
  if (Array.isArray(v)) return `[${v.map(describeValue).join(", ")}]`;
  if (v instanceof RMap) return `{${[...v.entries].map(([k, x]) => `${k}: ${describeValue(x)}`).join(", ")}}`;
  if (v instanceof RPath) return `path(${v.toString()})`;
  if (v instanceof RTimestamp) return `timestamp(${new Date(v.millis).toISOString()})`;
  return typeName(v);
}
