/**
 * Console edits: admins work in the Firebase console, so their edits of controlled documents
 * must be visible, not impossible. Every service write carries a fresh, keyed mark
 * (domain/audit.ts `serviceWriteMark`); a change of any other field without one was made
 * outside the services. Pure: the keyring is passed in.
 */
import { canonicalJson, changedFields, isServiceWrite, type AuditKeyring } from "./audit.js";

/** Fields a change of which alone is not an edit of the file: its chain head (appends merge it) and the mark. */
const BOOKKEEPING = new Set(["auditHead", "auditChangedAt", "serviceWrite", "updatedAt"]);

/** The documents watched, and the audit chain an edit of each is recorded in. */
export type WatchedKind = "customer" | "creditState" | "application" | "limitRequest";

export interface ConsoleEdit {
  /** The changed fields (sorted), bookkeeping left out. */
  fields: string[];
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /** The document was deleted. */
  deleted: boolean;
}

/** Large values (a ledger's running state) are recorded by their digest, so an entry stays small. */
const MAX_VALUE_CHARS = 4_000;

function compact(
  values: Record<string, unknown> | null,
  digest: (s: string) => string,
): Record<string, unknown> | null {
  if (values === null) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    const text = canonicalJson(v ?? null);
    out[k] = text.length > MAX_VALUE_CHARS ? { sha256: digest(text), chars: text.length } : v;
  }
  return out;
}

/**
 * The console edit in a change of a watched document, or null when a service made it (a
 * fresh, valid mark) or nothing but bookkeeping changed. A creation without a mark is an edit
 * too; a deletion always is (services never delete these documents).
 */
export function consoleEditOf(
  path: string,
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  keyring: AuditKeyring,
  digest: (s: string) => string,
): ConsoleEdit | null {
  if (after !== null && isServiceWrite(path, before?.serviceWrite, after.serviceWrite, keyring)) return null;
  const strip = (d: Record<string, unknown> | null) =>
    d === null ? null : Object.fromEntries(Object.entries(d).filter(([k]) => !BOOKKEEPING.has(k)));
  const diff = changedFields(strip(before), strip(after));
  const fields = [...new Set([...Object.keys(diff.before ?? {}), ...Object.keys(diff.after ?? {})])].sort();
  if (fields.length === 0 && after !== null) return null;
  return { fields, before: compact(diff.before, digest), after: compact(diff.after, digest), deleted: after === null };
}
