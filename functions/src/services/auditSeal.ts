/**
 * The daily audit seal, with its sweep.
 *
 * The seal records, in the system chain, the head (seq, hash) of every chain whose head
 * moved since the last complete seal: chains are found by `auditChangedAt` on their
 * subject documents (one range query per subject collection, in pages), never by a scan
 * and never through a document written on every audit event. The run takes every chain
 * that moved after `since`, up to the newest; it records `upTo` = its start − settle as the
 * next run's `since`, so a head stamped just before the run but committed after its query
 * is taken by the next run (chains that moved in between are sealed by both). Before a chain is sealed,
 * the sweep verifies it from its previous seal on; a broken chain is not sealed (its last
 * good seal stays its latest) and raises an `audit_broken` alert. Verification of any
 * chain is then checked against its latest seal (services/auditTrail.ts), so entries cut
 * off after a seal — head set back, head nulled, subject deleted — are named.
 *
 * Entries written before the keyring existed are sealed once by the legacy migration:
 * each chain whose newest entry is unkeyed and which verifies as a legacy chain gets a
 * keyed `audit.migrate` entry, committing to that history by its prevHash; from then on
 * unkeyed entries are accepted only before it.
 */
import { Timestamp } from "firebase-admin/firestore";
import { auditKeyring } from "../config.js";
import {
  AUDIT_CHANGED_AT,
  AuditAppender,
  CHAIN_SUBJECT_COLLECTIONS,
  changedSubjects,
  chains,
  entryRef,
  fromStored,
  headOf,
  systemChainDoc,
  systemEntriesOfAction,
  type AuditChain,
  type ChangedSubject,
} from "../data/audit.js";
import { firestore } from "../data/firebase.js";
import { auditChainId } from "../data/paths.js";
import {
  MIGRATE_ACTION,
  MIGRATE_COMPLETE_ACTION,
  SEAL_COMPLETE_ACTION,
  SEAL_PAGE_SIZE,
  isAuthenticSystemEntry,
  sealCompleteContent,
  sealContent,
  sealIdFor,
  sealUpTo,
  type AuditContent,
  type AuditKeyring,
  type ChainProblem,
  type SealedHead,
} from "../domain/audit.js";
import { logs } from "../logs.js";
import { SYSTEM_ACTOR, raiseAlert } from "./alerts.js";
import { inspectChain, sweepChain } from "./auditTrail.js";
import { pool } from "./jobKit.js";

/** A head stamped more than this long before the run has committed (Firestore transactions end within 270 s). */
export const SEAL_SETTLE_MS = 5 * 60_000;

export interface SealOptions {
  /** Wall clock at the start of the run. */
  now: number;
  /** The next run takes the heads that moved after now − settleMs (tests: 0). */
  settleMs?: number;
  /** No new page is started after this (the rest waits for the next run). */
  deadline?: number;
  pageSize?: number;
  /** Chains verified at once. */
  concurrency?: number;
}

export interface BrokenChain {
  chainId: string;
  seq: number;
  problem: ChainProblem;
}

export interface SealResult {
  sealId: string;
  since: number | null;
  upTo: number;
  /** False when the deadline stopped the run (the next run starts from the same `since`). */
  complete: boolean;
  pages: number;
  sealed: number;
  broken: BrokenChain[];
  migration: MigrationResult;
}

async function appendSystem(content: AuditContent, now: number): Promise<void> {
  const system = chains.system();
  await firestore().runTransaction(async (tx) => {
    const snap = await tx.get(system.headDoc);
    new AuditAppender(tx, system, headOf(snap.data()), now).append(content);
  });
}

/** The `upTo` of the newest authentic complete seal, or null (never sealed: from the beginning). */
export async function lastSealUpTo(keyring: AuditKeyring): Promise<number | null> {
  for (const entry of await systemEntriesOfAction(SEAL_COMPLETE_ACTION, 3)) {
    const upTo = sealUpTo(entry);
    if (upTo !== null && isAuthenticSystemEntry(entry, auditChainId.system(), keyring)) return upTo;
  }
  return null;
}

async function raiseBroken(b: BrokenChain, now: number): Promise<void> {
  logs.auditChainBroken(b.chainId, b.seq, b.problem);
  await raiseAlert(
    {
      type: "audit_broken",
      subject: { kind: "system", id: b.chainId },
      code: b.problem.toUpperCase(),
      details: { chainId: b.chainId, seq: b.seq, problem: b.problem },
    },
    now,
  );
}

export async function runAuditSeal(opts: SealOptions): Promise<SealResult> {
  const keyring = auditKeyring();
  const pageSize = Math.min(opts.pageSize ?? SEAL_PAGE_SIZE, SEAL_PAGE_SIZE);
  const concurrency = opts.concurrency ?? 16;
  const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;
  const now = opts.now;
  // The one-off migration gets at most half the run, so sealing goes on while it lasts.
  const migration = await migrateLegacyChains(now, { deadline: now + (deadline - now) / 2, keyring });

  const since = await lastSealUpTo(keyring);
  const upTo = now - (opts.settleMs ?? SEAL_SETTLE_MS);
  const sealId = sealIdFor(upTo);
  const result: SealResult = { sealId, since, upTo, complete: true, pages: 0, sealed: 0, broken: [], migration };
  if (since !== null && upTo <= since) return result; // run again within the settle time: nothing new to record

  let pending: SealedHead[] = [];
  let pendingBroken: BrokenChain[] = [];
  /** Writes seal entries of pageSize heads each; `all`: the remainder too. */
  const flush = async (all: boolean) => {
    while (pending.length >= pageSize || (all && (pending.length > 0 || pendingBroken.length > 0))) {
      const heads = pending.slice(0, pageSize);
      const broken = pendingBroken.slice(0, pageSize);
      await appendSystem(
        sealContent(
          { sealId, since, upTo, page: result.pages + 1, heads, broken },
          SYSTEM_ACTOR,
          systemChainDoc().path,
        ),
        now,
      );
      result.pages++;
      result.sealed += heads.length;
      pending = pending.slice(heads.length);
      pendingBroken = pendingBroken.slice(broken.length);
    }
  };
  const sweep = async (subjects: ReadonlyArray<{ chain: AuditChain }>, whole = false) => {
    await pool(subjects, concurrency, async ({ chain }) => {
      const { verdict, head } = await sweepChain(chain.chainId, chain.headDoc, keyring, { whole });
      if (verdict.ok) {
        if (head.seq > 0) pending.push({ chainId: chain.chainId, seq: head.seq, hash: head.hash });
      } else {
        const b = {
          chainId: chain.chainId,
          seq: verdict.firstBrokenEntry!.seq,
          problem: verdict.firstBrokenEntry!.problem,
        };
        pendingBroken.push(b);
        result.broken.push(b);
      }
    });
    await flush(false);
  };

  // The system chain first, before this run appends to it, and whole: every chain's
  // verification trusts the seal entries in it, so a seal entry deleted or altered anywhere
  // in it is found the same day.
  const systemSnap = await systemChainDoc().get();
  const systemChangedAt = systemSnap.get(AUDIT_CHANGED_AT) as Timestamp | undefined;
  if (systemChangedAt instanceof Timestamp && (since === null || systemChangedAt.toMillis() > since)) {
    await sweep([{ chain: chains.system() }], true);
  }
  outer: for (const { collection, chain } of CHAIN_SUBJECT_COLLECTIONS) {
    for await (const page of changedSubjects(collection, since, pageSize)) {
      if (Date.now() >= deadline) {
        result.complete = false;
        break outer;
      }
      await sweep(page.map((s: ChangedSubject) => ({ chain: chain(s.id) })));
    }
  }
  await flush(true);
  for (const b of result.broken) await raiseBroken(b, now);
  if (!result.complete) {
    logs.auditSealIncomplete(sealId, result.sealed, "DEADLINE");
    return result;
  }
  await appendSystem(
    sealCompleteContent(
      { sealId, since, upTo, pages: result.pages, sealed: result.sealed, broken: result.broken.length },
      SYSTEM_ACTOR,
      systemChainDoc().path,
    ),
    now,
  );
  // The system chain's head after the seal, in Cloud Logging: an anchor outside Firestore.
  const systemHead = headOf((await systemChainDoc().get()).data());
  logs.auditSealed(sealId, result.sealed, result.broken.length, systemHead.seq, systemHead.hash);
  return result;
}

// ---------------------------------------------------------------------------------------
// Legacy migration (once)

export interface MigrationResult {
  /** True once every legacy chain was migrated (recorded on audit/system; later runs skip it). */
  done: boolean;
  migrated: number;
  broken: BrokenChain[];
}

/**
 * Seals chains written before the keyring: a chain whose head has no `auditChangedAt`
 * and whose newest entry is unkeyed is verified as a legacy chain and, when intact, gets a
 * keyed `audit.migrate` entry. Runs in the seal job until one pass completes; then one
 * read per run.
 */
export async function migrateLegacyChains(
  now: number,
  opts: { deadline?: number; keyring?: AuditKeyring } = {},
): Promise<MigrationResult> {
  const keyring = opts.keyring ?? auditKeyring();
  const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;
  const out: MigrationResult = { done: true, migrated: 0, broken: [] };
  const systemSnap = await systemChainDoc().get();
  if (systemSnap.get("legacyMigration.completedAt")) return out;

  const candidates: AuditChain[] = [];
  const consider = (chain: AuditChain, data: FirebaseFirestore.DocumentData | undefined) => {
    if (headOf(data).seq > 0 && data?.[AUDIT_CHANGED_AT] === undefined) candidates.push(chain);
  };
  consider(chains.system(), systemSnap.data());
  for (const { collection, chain } of CHAIN_SUBJECT_COLLECTIONS) {
    for await (const snap of firestore()
      .collection(collection)
      .stream() as AsyncIterable<FirebaseFirestore.QueryDocumentSnapshot>) {
      consider(chain(snap.id), snap.data());
      if (Date.now() >= deadline) return { ...out, done: false };
    }
  }
  for (const chain of candidates) {
    if (Date.now() >= deadline) return { ...out, done: false };
    const { verdict, head } = await inspectChain(chain.chainId, chain.headDoc, { keyring });
    if (!verdict.ok && verdict.firstBrokenEntry?.problem !== "legacy_unsealed") {
      const b = {
        chainId: chain.chainId,
        seq: verdict.firstBrokenEntry!.seq,
        problem: verdict.firstBrokenEntry!.problem,
      };
      out.broken.push(b);
      await raiseBroken(b, now);
      continue;
    }
    if (verdict.ok) continue; // already keyed at its end (its head was written by a deferred writer)
    const migrated = await firestore().runTransaction(async (tx) => {
      const [snap, last] = await Promise.all([tx.get(chain.headDoc), tx.get(entryRef(chain.chainId, head.seq))]);
      const current = headOf(snap.data());
      if (
        current.seq !== head.seq ||
        current.hash !== head.hash ||
        !last.exists ||
        fromStored(last.data()!).keyId !== undefined
      )
        return false;
      new AuditAppender(tx, chain, current, now).append({
        action: MIGRATE_ACTION,
        actor: SYSTEM_ACTOR,
        target: chain.headDoc.path,
        before: null,
        after: { legacyHead: { seq: current.seq, hash: current.hash }, keyId: keyring.signing.id },
        reason: "keyed audit chains",
        requestId: null,
      });
      return true;
    });
    if (migrated) out.migrated++;
  }
  const system = chains.system();
  await firestore().runTransaction(async (tx) => {
    const snap = await tx.get(system.headDoc);
    if (snap.get("legacyMigration.completedAt")) return;
    tx.set(
      system.headDoc,
      {
        legacyMigration: { completedAt: Timestamp.fromMillis(now), migrated: out.migrated, broken: out.broken.length },
      },
      { merge: true },
    );
    new AuditAppender(tx, system, headOf(snap.data()), now).append({
      action: MIGRATE_COMPLETE_ACTION,
      actor: SYSTEM_ACTOR,
      target: system.headDoc.path,
      before: null,
      after: { migrated: out.migrated, broken: out.broken.map((b) => b.chainId).slice(0, 200) },
      reason: null,
      requestId: null,
    });
  });
  logs.auditLegacyMigrated(out.migrated, out.broken.length);
  return out;
}
