/**
 * Every failure is transient (retry: the same work may succeed later) or permanent (reject
 * with a reason, alert, never retry). Pure: reads the error's code as Firestore, gRPC and
 * Google client libraries report it.
 */

/** gRPC status codes a retry can cure: cancelled, unknown, deadline, exhausted, aborted, internal, unavailable. */
const TRANSIENT_GRPC = new Set([1, 2, 4, 8, 10, 13, 14]);
const TRANSIENT_NAMES = new Set([
  "cancelled",
  "unknown",
  "deadline-exceeded",
  "resource-exhausted",
  "aborted",
  "internal",
  "unavailable",
]);
const TRANSIENT_NODE = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ENOTFOUND"]);

export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "number") return TRANSIENT_GRPC.has(code);
  if (typeof code === "string") {
    const name = code
      .replace(/^(functions|firestore)\//, "")
      .toLowerCase()
      .replace(/_/g, "-");
    return TRANSIENT_NAMES.has(name) || TRANSIENT_NODE.has(code);
  }
  return false;
}

/** A short, figure-free code for a permanent failure (error class and code only). */
export function failureCode(err: unknown): string {
  const e = err as { name?: unknown; code?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : null;
  const name = typeof e?.name === "string" ? e.name : "Error";
  return (code ?? name)
    .replace(/[^A-Za-z0-9_]/g, "_")
    .slice(0, 60)
    .toLowerCase();
}
