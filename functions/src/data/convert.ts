/**
 * Time on the wire and in the domain is epoch milliseconds; in storage it is a Timestamp.
 * By convention every field named like `somethingAt` (and a statement's `periodEnd`) holds a time: these two functions
 * convert such fields, at any depth, except inside subtrees named in `opaque`.
 */
import { Timestamp, type DocumentData } from "firebase-admin/firestore";

const TIME_KEY = /^([a-z][A-Za-z0-9]*At|periodEnd)$/;

export function toStored(value: unknown, opaque: ReadonlySet<string> = new Set(), key = ""): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === "number" && TIME_KEY.test(key)) return Timestamp.fromMillis(value);
  if (Array.isArray(value)) return value.map((v) => toStored(v, opaque));
  if (typeof value === "object" && !(value instanceof Timestamp)) {
    const out: DocumentData = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[k] = opaque.has(k) ? v : toStored(v, opaque, k);
    }
    return out;
  }
  return value;
}

export function fromStored<T>(value: unknown, opaque: ReadonlySet<string> = new Set()): T {
  return convertBack(value, opaque) as T;
}

function convertBack(value: unknown, opaque: ReadonlySet<string>): unknown {
  if (value instanceof Timestamp) return value.toMillis();
  if (Array.isArray(value)) return value.map((v) => convertBack(v, opaque));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = opaque.has(k) ? v : convertBack(v, opaque);
    return out;
  }
  return value;
}
