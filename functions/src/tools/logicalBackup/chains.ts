/** After a restore: every audit chain of the restored data verified against its subject and its latest seal. */
import { Firestore, Timestamp, type DocumentData } from "firebase-admin/firestore";
import { AUDIT_ENTRIES, COLLECTIONS, auditChainId } from "../../data/paths.js";
import {
  ChainVerifier,
  EMPTY_HEAD,
  SEAL_ACTION,
  isAuthenticSystemEntry,
  sealedHeadIn,
  type AuditEntry,
  type AuditKeyring,
  type BrokenEntry,
  type ChainHead,
} from "../../domain/audit.js";
import { FirestoreDouble } from "./codec.js";

// ---------------------------------------------------------------------------------------
// Audit chains in a restored database

export interface ChainReport {
  /** Chains found (subjects with a head, chains with entries, chains named by a seal). */
  chains: number;
  entries: number;
  broken: Array<{ chainId: string } & BrokenEntry>;
}

/** Data as the app reads it (integers as numbers, not BigInt), for the MAC. */
function appValue(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof FirestoreDouble) return v.value;
  if (Array.isArray(v)) return v.map(appValue);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, appValue(x)]));
  }
  return v;
}

function storedEntry(data: DocumentData): AuditEntry {
  const d = appValue(data) as DocumentData;
  const at = d.at instanceof Timestamp ? d.at.toMillis() : Number(d.at);
  const e: AuditEntry = {
    chainId: d.chainId,
    seq: d.seq,
    at,
    prevHash: d.prevHash,
    hash: d.hash,
    action: d.action,
    actor: d.actor,
    target: d.target,
    before: d.before ?? null,
    after: d.after ?? null,
    reason: d.reason ?? null,
    requestId: d.requestId ?? null,
  };
  if (d.keyId !== undefined) e.keyId = d.keyId;
  if (d.sealedChains !== undefined) e.sealedChains = d.sealedChains;
  return e;
}

function headIn(data: DocumentData): ChainHead | null {
  const h = appValue(data.auditHead) as ChainHead | null | undefined;
  return h && typeof h.seq === "number" && typeof h.hash === "string" ? { seq: h.seq, hash: h.hash } : null;
}

/** Each chain's latest authentic seal in the database: chainId → sealed head. */
export async function latestSeals(
  db: Firestore,
  keyring: AuditKeyring,
): Promise<Map<string, ChainHead & { systemSeq: number }>> {
  const out = new Map<string, ChainHead & { systemSeq: number }>();
  const system = auditChainId.system();
  const snap = await db
    .collection(`${COLLECTIONS.audit}/${system}/${AUDIT_ENTRIES}`)
    .where("action", "==", SEAL_ACTION)
    .get();
  for (const doc of snap.docs) {
    const e = storedEntry(doc.data());
    if (!isAuthenticSystemEntry(e, system, keyring)) continue; // the system chain's own verification names it
    for (const chainId of e.sealedChains ?? []) {
      const head = sealedHeadIn(e, chainId);
      const prior = out.get(chainId);
      if (head && (!prior || prior.systemSeq < e.seq)) out.set(chainId, { ...head, systemSeq: e.seq });
    }
  }
  return out;
}

const SUBJECT_OF_CHAIN: Array<{ collection: string; chainId: (id: string) => string }> = [
  { collection: COLLECTIONS.customers, chainId: auditChainId.customer },
  { collection: COLLECTIONS.applications, chainId: auditChainId.application },
];

/** Verifies every chain of a database walk (walkTree visits subjects first, then each chain's entries in id order). */
export class RestoredChains {
  private readonly heads = new Map<string, ChainHead>();
  private readonly subjects = new Set<string>();
  private readonly verifiers = new Map<string, ChainVerifier>();
  private readonly misplaced = new Map<string, BrokenEntry>();
  private entries = 0;

  constructor(
    private readonly keyring: AuditKeyring,
    private readonly seals: ReadonlyMap<string, ChainHead>,
  ) {}

  private verifier(chainId: string): ChainVerifier {
    let v = this.verifiers.get(chainId);
    if (!v)
      this.verifiers.set(
        chainId,
        (v = new ChainVerifier(chainId, this.keyring, { sealed: this.seals.get(chainId) ?? null })),
      );
    return v;
  }

  visit(pattern: string, path: string, data: DocumentData): void {
    const parts = path.split("/");
    const subject = SUBJECT_OF_CHAIN.find((s) => s.collection === pattern);
    const chainId = subject
      ? subject.chainId(parts[1]!)
      : pattern === COLLECTIONS.audit && parts[1] === auditChainId.system()
        ? auditChainId.system()
        : null;
    if (chainId) {
      this.subjects.add(chainId);
      const head = headIn(data);
      if (head) this.heads.set(chainId, head);
      return;
    }
    if (pattern !== `${COLLECTIONS.audit}/*/${AUDIT_ENTRIES}`) return;
    this.entries++;
    const id = parts[1]!;
    const v = this.verifier(id);
    const e = storedEntry(data);
    const wasBroken = v.firstBroken !== undefined || this.misplaced.has(id);
    v.push(e);
    if (!wasBroken && v.firstBroken === undefined && parts[3] !== String(e.seq).padStart(12, "0"))
      this.misplaced.set(id, { seq: e.seq, problem: "out_of_order" });
  }

  report(): ChainReport {
    const ids = new Set([...this.verifiers.keys(), ...this.heads.keys(), ...this.seals.keys()]);
    const broken: ChainReport["broken"] = [];
    for (const chainId of [...ids].sort()) {
      const v = this.verifier(chainId);
      const isSystem = chainId === auditChainId.system();
      const subjectMissing = !this.subjects.has(chainId) && !isSystem;
      const verdict = v.finish(subjectMissing ? null : (this.heads.get(chainId) ?? EMPTY_HEAD), { subjectMissing });
      const b = this.misplaced.get(chainId) ?? verdict.firstBrokenEntry;
      if (b) broken.push({ chainId, ...b });
    }
    return { chains: ids.size, entries: this.entries, broken };
  }
}
