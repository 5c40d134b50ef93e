/** Turns access-matrix rows into evaluator requests and names them for test output. */
import type { Database, RulesRequest } from "../support/rules-engine/index.js";
import { BASE_DOCS, CLAIMS, UID, type MatrixRow } from "./access-matrix.js";
import type { FixtureDoc } from "../support/rules-engine/index.js";

export function rowName(r: MatrixRow): string {
  const q = r.query
    ? ` where ${(r.query.where ?? []).map(([f, op, v]) => `${f} ${op} ${JSON.stringify(v)}`).join(" and ") || "(none)"}${
        r.query.limit !== undefined ? ` limit ${r.query.limit}` : ""
      }`
    : "";
  const claims = r.claims ? ` claims=${JSON.stringify(r.claims)}` : "";
  return `${r.role}${claims} ${r.op} ${r.path}${q} → ${r.expect}${r.note ? ` (${r.note})` : ""}`;
}

export function databaseFor(r: MatrixRow): Database {
  const db: Record<string, FixtureDoc> = { ...BASE_DOCS };
  for (const [path, doc] of Object.entries(r.docs ?? {})) {
    if (doc === null) delete db[path];
    else db[path] = doc;
  }
  return db;
}

export function requestFor(r: MatrixRow): RulesRequest {
  const req: RulesRequest = {
    method: r.op,
    path: r.path,
    auth: r.role === "signed-out" ? null : { uid: UID[r.role], token: r.claims ?? CLAIMS[r.role] },
  };
  if (r.data !== undefined) req.data = r.data;
  if (r.query) {
    req.query = { where: (r.query.where ?? []).map(([field, op, value]) => ({ field, op, value })) };
    if (r.query.limit !== undefined) req.query.limit = r.query.limit;
  }
  return req;
}
