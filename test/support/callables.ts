/**
 * Calling the deployed callables in-process through firebase-functions-test, as a
 * given role. (`.run` skips the HTTP layer's App Check check; the handler's own auth
 * and role checks still run. App Check itself is covered by the e2e tier.)
 */
import functionsTest from "firebase-functions-test";
import type { CallableFunction } from "firebase-functions/v2/https";
import type { RunningFirestore } from "./firestore-server.js";

export const fft = functionsTest({ projectId: "demo-credit" });

/**
 * A caller: staff roles carry a current acknowledgement of the confidentiality policy (the
 * `ack` claim) unless `claims` replaces the token's custom claims.
 */
export type Who = { uid: string; role?: string | null; claims?: Record<string, unknown> } | null;

/** A current acknowledgement (the default policy's version, until 2100). */
export const CURRENT_ACK = { v: 1, until: 4_102_444_800 };
const STAFF = new Set(["sales", "analyst", "manager", "auditor", "admin"]);

export function tokenOf(who: NonNullable<Who>): Record<string, unknown> {
  if (who.claims) return who.claims;
  if (!who.role) return {};
  return STAFF.has(who.role) ? { role: who.role, ack: CURRENT_ACK } : { role: who.role };
}

export const users: Record<
  | "applicant"
  | "applicant2"
  | "sales"
  | "sales2"
  | "analyst"
  | "analyst2"
  | "manager"
  | "auditor"
  | "admin"
  | "integration",
  { uid: string; role: string | null }
> = {
  applicant: { uid: "u-applicant", role: null },
  applicant2: { uid: "u-applicant-2", role: null },
  sales: { uid: "u-sales", role: "sales" },
  sales2: { uid: "u-sales-2", role: "sales" },
  analyst: { uid: "u-analyst", role: "analyst" },
  analyst2: { uid: "u-analyst-2", role: "analyst" },
  manager: { uid: "u-manager", role: "manager" },
  auditor: { uid: "u-auditor", role: "auditor" },
  admin: { uid: "u-admin", role: "admin" },
  integration: { uid: "u-integration", role: "integration" },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call<T = any>(fn: CallableFunction<any, any>, data: unknown, who: Who): Promise<T> {
  const wrapped = fft.wrap(fn);
  const auth = who ? { uid: who.uid, token: tokenOf(who) } : undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (await (wrapped as any)({ data, auth, rawRequest: {} })) as T;
}

/** Resolve to the HttpsError code (and message) a call fails with; fails the test if it succeeds. */
export async function callError(
  fn: CallableFunction<unknown, unknown>,
  data: unknown,
  who: Who,
): Promise<{ code: string; message: string }> {
  try {
    await call(fn, data, who);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { code: String(e.code), message: String(e.message) };
  }
  throw new Error("expected the call to fail, but it succeeded");
}

export function firestoreServer(): RunningFirestore {
  const fs = (globalThis as Record<string, unknown>).__creditDeskFirestore as RunningFirestore | undefined;
  if (!fs) throw new Error("in-process Firestore not started (see test/support/setup-firestore.ts)");
  return fs;
}

/**
 * The whole database as JSON: compare before and after to prove nothing was written.
 * Empty collection nodes are dropped: the in-process server creates one when a missing
 * document of a never-written collection is merely read.
 */
let warnedOfficial = false;
export function databaseSnapshot(): string {
  const server = firestoreServer().server;
  if (!server) {
    // The official emulator's state cannot be read synchronously: the byte-for-byte
    // "nothing written" checks are made against the in-process Firestore (npm test).
    if (!warnedOfficial)
      console.warn("databaseSnapshot: byte-for-byte checks run only against the in-process Firestore (npm test)");
    warnedOfficial = true;
    return "official-emulator";
  }
  return JSON.stringify(server.state.toJSON(), (_key, value: unknown) => {
    if (value && typeof value === "object" && "collections" in value) {
      const v = value as { collections: Record<string, { documents?: Record<string, unknown> }> };
      const kept = Object.fromEntries(
        Object.entries(v.collections).filter(([, c]) => c.documents && Object.keys(c.documents).length > 0),
      );
      return { ...value, collections: kept };
    }
    return value;
  });
}
