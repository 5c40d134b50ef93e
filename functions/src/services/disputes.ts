/**
 * Disputes: a customer contests (part of) an invoice. Opening one takes the disputed amount out
 * of penalty aging (it stays in exposure, in its own `disputed` bucket); resolving it either
 * credits the customer (a credit note recorded in the ledger, `DSP-<disputeId>`) or puts the
 * amount back to age from the invoice's original due date. The 12-month dispute record is a
 * credit-history factor; a dispute open too long raises an alert (the daily monitor).
 *
 * Cost per event, whatever the history: the customer's two documents, the invoice's ledger
 * entry (and, on resolution, the dispute and the credit note's entry); writes the same plus the
 * dispute and the audit entry.
 */
import type { DocumentReference, Transaction } from "firebase-admin/firestore";
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { customerFromSnapshots, customerRefs, writeCustomer } from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import { disputeFromSnapshot, docToStored, judgementRefs } from "../data/judgement.js";
import { entryFromSnapshot, ledgerRefs, writeEntry } from "../data/ledger.js";
import { idempotencyKey, priorResult, recordResult } from "../data/requests.js";
import { availableCredit, withAggregates, type CustomerFile } from "../domain/customer.js";
import {
  bookWithOpened,
  bookWithResolved,
  emptyDisputeBook,
  type DisputeBook,
  type DisputeOutcome,
} from "../domain/disputes.js";
import { CreditDeskError, notFound, precondition } from "../domain/errors.js";
import { disputeCreditNoteId, disputeResolution, type DisputeDoc } from "../domain/judgement.js";
import {
  applyRecord,
  closeDisputeOnEntry,
  emptyLedger,
  LedgerError,
  openDisputeOnEntry,
  summarize,
  type AppliedEntry,
  type LedgerRecord,
  type LedgerState,
} from "../domain/ledger.js";
import { penaltyCap, penaltyLevel } from "../domain/monitoring.js";
import { classInForce, rescoreFromFile } from "../domain/reassessment.js";
import { withinAuthority, type Caller } from "../domain/roles.js";
import type { OpenDisputeInput, ResolveDisputeInput } from "../schemas/callables.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { logs } from "../logs.js";
import { assertInScope } from "./customers.js";
import { fingerprint, transactionDoc } from "./transactions.js";

export interface OpenDisputeResult {
  disputeId: string;
  status: "open";
  /** The customer's disputed amounts after this one (out of penalty aging, in exposure). */
  disputed: number;
}

export interface ResolveDisputeResult {
  disputeId: string;
  status: "resolved";
  outcome: DisputeOutcome;
  creditedAmount: number;
  /** The credit note the resolution recorded (null: nothing credited). */
  creditNoteExternalId: string | null;
  /** Days past due of the customer's oldest invoice after the resolution (aging resumes from the original due date). */
  oldestDaysPastDue: number;
}

/** The credit file after its ledger or dispute book changed: aggregates, exposure, score and class as of now. */
function rejudged(
  customer: CustomerFile,
  state: LedgerState,
  book: DisputeBook,
  now: number,
  policy: CreditPolicy,
): { file: CustomerFile; patch: Record<string, unknown> } {
  const aggregates = summarize(state, now);
  const file: CustomerFile = { ...withAggregates(customer, aggregates), ledger: state, disputes: book };
  file.availableCredit = availableCredit(file, now);
  const a = rescoreFromFile(file, now, policy);
  const level = penaltyLevel(aggregates, policy.penalties, customer.monitor?.penaltyLevel ?? 0, now);
  const cls = classInForce(a.tier, penaltyCap(level), customer.classOverride, a.classReasons, now);
  Object.assign(file, {
    score: a.score,
    grade: a.grade,
    confidence: a.confidence,
    tier: cls.tier,
    classReasons: cls.classReasons,
  });
  return {
    file,
    patch: {
      ledger: state,
      aggregates,
      availableCredit: file.availableCredit,
      disputes: book,
      score: a.score,
      grade: a.grade,
      confidence: a.confidence,
      tier: cls.tier,
      classReasons: cls.classReasons,
      updatedAt: now,
    },
  };
}

function ledgerFailure(err: unknown): never {
  if (err instanceof LedgerError) {
    const field = err.field === "invoiceExternalId" || err.field === "amount" ? err.field : "amount";
    throw new CreditDeskError("invalid-argument", `${field}: ${err.message}`, {
      field,
      reason: err.code.toUpperCase(),
    });
  }
  throw err;
}

/** Open a dispute on an invoice of the customer (sales only for their own customers). */
export async function openDispute(
  input: OpenDisputeInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
): Promise<OpenDisputeResult> {
  const db = firestore();
  const key = idempotencyKey("openDispute", caller.uid, input);
  const ref = judgementRefs.newDispute();
  const result = await db.runTransaction(async (tx) => {
    const [prior, snaps] = await Promise.all([
      priorResult<OpenDisputeResult>(tx, key),
      tx.getAll(
        customerRefs.customer(input.customerId),
        customerRefs.creditState(input.customerId),
        ledgerRefs.entry(input.customerId, input.invoiceExternalId),
      ),
    ]);
    if (prior !== undefined) return prior;
    const [head, stateSnap, entrySnap] = snaps as [
      FirebaseFirestore.DocumentSnapshot,
      FirebaseFirestore.DocumentSnapshot,
      FirebaseFirestore.DocumentSnapshot,
    ];
    const customer = customerFromSnapshots(head, stateSnap);
    if (!customer) throw notFound("customer", input.customerId);
    assertInScope(customer, caller, input.customerId);
    const book = customer.disputes ?? emptyDisputeBook();
    const max = policy.disputes.maxOpenPerCustomer;
    if (Object.keys(book.open).length >= max) {
      throw new CreditDeskError(
        "resource-exhausted",
        `this customer has ${max} open disputes already (policy); resolve some first`,
        { reason: "TOO_MANY_OPEN_DISPUTES" },
      );
    }
    const stored = entryFromSnapshot(entrySnap);
    let change;
    try {
      change = openDisputeOnEntry(
        (customer.ledger as LedgerState | undefined) ?? emptyLedger(),
        stored.entry,
        input.invoiceExternalId,
        ref.id,
        input.amount,
      );
    } catch (err) {
      ledgerFailure(err);
    }
    const invoice = stored.entry!.applied!;
    const nextBook = bookWithOpened(
      book,
      ref.id,
      { invoiceExternalId: input.invoiceExternalId, amount: input.amount, openedAt: now },
      now,
    );
    const { file, patch } = rejudged(customer, change.state, nextBook, now, policy);

    writeEntry(tx, input.customerId, input.invoiceExternalId, change.entry, stored.sourceUpdateTime);
    const dispute: DisputeDoc = {
      customerId: input.customerId,
      ownerUid: customer.ownerUid,
      invoiceExternalId: input.invoiceExternalId,
      amount: input.amount,
      currency: customer.currency,
      reason: input.reason,
      status: "open",
      outcome: null,
      creditedAmount: null,
      creditNoteExternalId: null,
      openedBy: caller.uid,
      openedByRole: caller.role,
      openedAt: now,
      updatedAt: now,
      note: null,
      reasonCodes: [],
      decidedBy: null,
      decidedByRole: null,
      decidedAt: null,
    };
    tx.create(ref, docToStored(dispute));
    writeCustomer(tx, input.customerId, patch, { head, state: stateSnap });
    new AuditAppender(tx, chains.customer(input.customerId), headOf(head.data()), now).append({
      action: "dispute.open",
      actor: caller,
      target: ref.path,
      before: {
        disputed: customer.aggregates.aging?.disputed ?? 0,
        oldestDaysPastDue: customer.oldestDaysPastDue,
        tier: customer.tier,
      },
      after: {
        disputeId: ref.id,
        invoiceExternalId: input.invoiceExternalId,
        amount: input.amount,
        invoiceDueAt: invoice.dueAt ?? null,
        disputed: file.aggregates.aging.disputed,
        oldestDaysPastDue: file.oldestDaysPastDue,
        tier: file.tier,
      },
      reason: input.reason,
      requestId: input.requestId ?? null,
    });
    const out: OpenDisputeResult = { disputeId: ref.id, status: "open", disputed: file.aggregates.aging.disputed };
    recordResult(tx, key, out, now);
    return out;
  });
  logs.disputeOpened(input.customerId, result.disputeId);
  return result;
}

/**
 * Resolve a dispute (analysts and managers; crediting within the decider's approval authority):
 * customer_right credits the disputed amount (or less), partial credits part and the rest ages
 * again, customer_wrong credits nothing and all of it ages again — from the invoice's original
 * due date. The outcome enters the customer's 12-month dispute record.
 */
export async function resolveDispute(
  input: ResolveDisputeInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
): Promise<ResolveDisputeResult> {
  const db = firestore();
  const key = idempotencyKey("resolveDispute", caller.uid, input);
  const ref = judgementRefs.dispute(input.disputeId);
  const result = await db.runTransaction(async (tx) => {
    const [prior, snap] = await Promise.all([priorResult<ResolveDisputeResult>(tx, key), tx.get(ref)]);
    if (prior !== undefined) return prior;
    const dispute = disputeFromSnapshot(snap);
    if (!dispute) throw notFound("dispute", input.disputeId);
    const { credited, lost } = disputeResolution(dispute.amount, input.outcome, input.creditedAmount);
    const cnId = disputeCreditNoteId(input.disputeId);
    const [head, stateSnap, invoiceSnap, cnSnap] = await tx.getAll(
      customerRefs.customer(dispute.customerId),
      customerRefs.creditState(dispute.customerId),
      ledgerRefs.entry(dispute.customerId, dispute.invoiceExternalId),
      ledgerRefs.entry(dispute.customerId, cnId),
    );
    const customer = customerFromSnapshots(head!, stateSnap!);
    if (!customer) throw notFound("customer", dispute.customerId);
    if (dispute.status !== "open") {
      if (
        dispute.decidedBy === caller.uid &&
        dispute.outcome === input.outcome &&
        (dispute.creditedAmount ?? 0) === credited
      ) {
        return answer(
          input.disputeId,
          input.outcome,
          credited,
          dispute.creditNoteExternalId,
          customer.oldestDaysPastDue,
        );
      }
      throw precondition(`dispute is already ${dispute.status}`, { reason: "DISPUTE_RESOLVED" });
    }
    if (credited > 0 && !withinAuthority(caller.role, credited, policy.authority)) {
      throw new CreditDeskError(
        "permission-denied",
        `crediting ${credited} minor units is above the ${caller.role} approval authority`,
      );
    }

    // Ledger: the dispute leaves its invoice (what is not credited ages again from the due date); the credit note settles the invoice.
    let state = (customer.ledger as LedgerState | undefined) ?? emptyLedger();
    const invoice = entryFromSnapshot(invoiceSnap!);
    const entries = new Map<string, { entry: AppliedEntry | null; sourceUpdateTime: number | null }>();
    const closed = closeDisputeOnEntry(state, invoice.entry, input.disputeId);
    let invoiceEntry = invoice.entry;
    if (closed) {
      state = closed.state;
      invoiceEntry = closed.entry;
      entries.set(dispute.invoiceExternalId, { entry: closed.entry, sourceUpdateTime: invoice.sourceUpdateTime });
    }
    let creditNote: LedgerRecord | null = null;
    if (credited > 0) {
      creditNote = {
        externalId: cnId,
        type: "credit_note",
        amount: credited,
        issuedAt: now,
        invoiceExternalId: dispute.invoiceExternalId,
      };
      const own = entryFromSnapshot(cnSnap!).entry;
      const applied = applyRecord(state, creditNote, own, invoiceEntry);
      state = applied.state;
      for (const w of applied.writes)
        entries.set(w.id, {
          entry: w.entry,
          sourceUpdateTime: w.id === cnId ? now : (entries.get(w.id)?.sourceUpdateTime ?? invoice.sourceUpdateTime),
        });
    }
    const book = bookWithResolved(customer.disputes, input.disputeId, input.outcome, lost, now);
    const { file, patch } = rejudged(customer, state, book, now, policy);

    for (const [id, e] of entries) writeEntry(tx, dispute.customerId, id, e.entry, e.sourceUpdateTime);
    if (creditNote) writeCreditNote(tx, ledgerRefs.transaction(dispute.customerId, cnId), creditNote, caller, now);
    const reasonCodes = [
      `DISPUTE_${input.outcome.toUpperCase()}`,
      ...(credited > 0 ? ["CREDITED"] : []),
      ...(lost > 0 ? ["AGING_RESUMES_FROM_DUE_DATE"] : []),
    ];
    tx.update(
      ref,
      docToStored<DisputeDoc>({
        status: "resolved",
        outcome: input.outcome,
        creditedAmount: credited,
        creditNoteExternalId: creditNote ? cnId : null,
        note: input.note,
        reasonCodes,
        decidedBy: caller.uid,
        decidedByRole: caller.role,
        decidedAt: now,
        updatedAt: now,
      }),
    );
    writeCustomer(tx, dispute.customerId, patch, { head: head!, state: stateSnap! });
    new AuditAppender(tx, chains.customer(dispute.customerId), headOf(head!.data()), now).append({
      action: "dispute.resolve",
      actor: caller,
      target: ref.path,
      before: {
        status: "open",
        disputed: customer.aggregates.aging?.disputed ?? 0,
        oldestDaysPastDue: customer.oldestDaysPastDue,
        tier: customer.tier,
      },
      after: {
        status: "resolved",
        outcome: input.outcome,
        creditedAmount: credited,
        creditNoteExternalId: creditNote ? cnId : null,
        disputed: file.aggregates.aging.disputed,
        oldestDaysPastDue: file.oldestDaysPastDue,
        tier: file.tier,
        reasonCodes,
      },
      reason: input.note,
      requestId: input.requestId ?? null,
    });
    const out = answer(input.disputeId, input.outcome, credited, creditNote ? cnId : null, file.oldestDaysPastDue);
    recordResult(tx, key, out, now);
    return { ...out, customerId: dispute.customerId };
  });
  const { customerId, ...out } = result as ResolveDisputeResult & { customerId?: string };
  if (customerId) logs.disputeResolved(customerId, out.disputeId, out.outcome);
  return out;
}

function answer(
  disputeId: string,
  outcome: DisputeOutcome,
  credited: number,
  creditNoteExternalId: string | null,
  oldestDaysPastDue: number,
): ResolveDisputeResult {
  return { disputeId, status: "resolved", outcome, creditedAmount: credited, creditNoteExternalId, oldestDaysPastDue };
}

/** The credit note's transaction document, marked as applied (the trigger sees its own fingerprint and does nothing). */
function writeCreditNote(tx: Transaction, ref: DocumentReference, r: LedgerRecord, caller: Caller, now: number): void {
  tx.set(
    ref,
    transactionDoc(r, { state: "applied", fingerprint: fingerprint(r), at: now }, "dispute_resolution", caller.uid),
  );
}
