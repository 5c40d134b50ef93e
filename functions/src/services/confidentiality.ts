/**
 * Confidentiality acknowledgements and training records (seed §5.1, 六.1).
 *
 * acknowledgeConfidentiality: a staff member acknowledges the policy version in force. Like a
 * role change, the effect lies in Firebase Auth (the claim `ack`), so: one transaction records
 * the acknowledgement (confidentialityAcks/{uid}), keeps config/confidentiality (the version the
 * rules compare with) current and audits it; then the claim is set; with a requestId the answer
 * is confirmed last, so a retry after a failed claim update applies it. The user refreshes their
 * token (getIdToken(true)) to use it.
 */
import { Timestamp } from "firebase-admin/firestore";
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { firestore } from "../data/firebase.js";
import { COLLECTIONS, paths } from "../data/paths.js";
import { idempotencyKey, recordPending, recordResult, requestState } from "../data/requests.js";
import { acknowledgementClaim } from "../domain/confidentiality.js";
import { invalid, precondition } from "../domain/errors.js";
import type { Caller } from "../domain/roles.js";
import type { AcknowledgeConfidentialityInput, RecordTrainingInput } from "../schemas/callables.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { logs } from "../logs.js";
import { raiseAlert } from "./alerts.js";
import { firebaseUserDirectory, type UserDirectory } from "./roles.js";
import { DAY_MS } from "../domain/time.js";

export interface AcknowledgeResult {
  version: number;
  acknowledgedUntil: string;
}

export async function acknowledgeConfidentiality(
  input: AcknowledgeConfidentialityInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
  directory: UserDirectory = firebaseUserDirectory,
): Promise<AcknowledgeResult> {
  const current = policy.confidentiality.version;
  if (input.version !== current)
    throw precondition(
      `version: the confidentiality policy in force is version ${current}; read it and acknowledge that one`,
      { version: current },
    );
  const claim = acknowledgementClaim(current, now, policy.confidentiality.validityDays);
  const result: AcknowledgeResult = { version: current, acknowledgedUntil: new Date(claim.until * 1000).toISOString() };
  const key = idempotencyKey("acknowledgeConfidentiality", caller.uid, input);
  // The user first (an unknown user is refused before anything is written).
  const claims = await directory.claimsOf(caller.uid);
  const db = firestore();
  const chain = chains.system();
  const step1 = await db.runTransaction(async (tx) => {
    const [state, head] = await Promise.all([
      key ? requestState<AcknowledgeResult, null>(tx, key) : Promise.resolve({ state: "new" as const }),
      tx.get(chain.headDoc),
    ]);
    if (state.state !== "new") return state;
    tx.set(db.doc(paths.confidentialityAck(caller.uid)), {
      uid: caller.uid,
      role: caller.role,
      version: current,
      acknowledgedAt: Timestamp.fromMillis(now),
      until: Timestamp.fromMillis(claim.until * 1000),
    });
    tx.set(db.doc(paths.confidentialityVersion()), { version: current, updatedAt: Timestamp.fromMillis(now) });
    new AuditAppender(tx, chain, headOf(head.data()), now).append({
      action: "confidentiality.acknowledge",
      actor: caller,
      target: paths.confidentialityAck(caller.uid),
      before: null,
      after: { version: current, until: result.acknowledgedUntil },
      reason: null,
      requestId: input.requestId ?? null,
    });
    if (key) recordPending(tx, key, null, now);
    return state;
  });
  if (step1.state === "done") return step1.result;
  await directory.setClaims(caller.uid, { ...claims, ack: claim });
  if (key) await db.runTransaction(async (tx) => recordResult(tx, key, result, now));
  logs.confidentialityAcknowledged(caller.uid, current);
  return result;
}

export interface RecordTrainingResult {
  recorded: true;
  trainingId: string;
}

/** An admin records a staff member's completed training (course, date); audited. */
export async function recordTraining(
  input: RecordTrainingInput,
  caller: Caller,
  now: number,
): Promise<RecordTrainingResult> {
  if (input.completedAt > now) throw invalid("completedAt", "must not be in the future");
  const db = firestore();
  const key = idempotencyKey("recordTraining", caller.uid, input);
  const ref = db.collection(COLLECTIONS.trainingRecords).doc();
  const chain = chains.system();
  return db.runTransaction(async (tx) => {
    const [state, head] = await Promise.all([
      key ? requestState<RecordTrainingResult, null>(tx, key) : Promise.resolve({ state: "new" as const }),
      tx.get(chain.headDoc),
    ]);
    if (state.state === "done") return state.result;
    tx.set(ref, {
      uid: input.uid,
      course: input.course,
      completedAt: Timestamp.fromMillis(input.completedAt),
      recordedBy: caller.uid,
      recordedAt: Timestamp.fromMillis(now),
    });
    new AuditAppender(tx, chain, headOf(head.data()), now).append({
      action: "training.record",
      actor: caller,
      target: ref.path,
      before: null,
      after: { uid: input.uid, course: input.course, completedAt: new Date(input.completedAt).toISOString() },
      reason: null,
      requestId: input.requestId ?? null,
    });
    const out: RecordTrainingResult = { recorded: true, trainingId: ref.id };
    recordResult(tx, key, out, now);
    return out;
  });
}

/** The monthly job: an alert for each acknowledgement expiring within the policy's warning days. */
export async function alertExpiringAcknowledgements(now: number, policy: CreditPolicy): Promise<number> {
  const horizon = now + policy.confidentiality.expiryWarningDays * DAY_MS;
  const snap = await firestore()
    .collection(COLLECTIONS.confidentialityAcks)
    .where("until", "<=", Timestamp.fromMillis(horizon))
    .get();
  let raised = 0;
  for (const d of snap.docs) {
    const until = (d.get("until") as Timestamp).toMillis();
    const opened = await raiseAlert(
      {
        type: "confidentiality_expiring",
        subject: { kind: "system", id: `confidentiality_${d.id}` },
        code: until <= now ? "ACKNOWLEDGEMENT_EXPIRED" : "ACKNOWLEDGEMENT_EXPIRING",
        details: { uid: d.id, until: new Date(until).toISOString().slice(0, 10) },
      },
      now,
    );
    if (opened) raised++;
  }
  return raised;
}
