/**
 * Recording transactions: one service for both paths. The callable (`recordTransactions`)
 * applies a whole batch in one Firestore transaction; the Firestore trigger applies writes
 * made any other way (console, direct imports). Whichever comes second is a no-op: the
 * applied entry of each external id says which version is in the aggregates, and the
 * transaction document carries the fingerprint of the version that was applied.
 *
 * Cost per record, whatever the history length: the customer document, the record's own
 * applied entry and at most one referenced invoice entry (domain/ledger.ts).
 */
import { createHash } from "node:crypto";
import { Timestamp, type DocumentData, type Transaction } from "firebase-admin/firestore";
import { alertRefFor, resolvedAlertPatch, writeRaisedAlert } from "../data/alerts.js";
import { orderBlockRefs, orderBlockToStored } from "../data/orders.js";
import type { AlertType } from "../domain/alerts.js";
import { alertTransitions, type AlertCondition } from "../domain/monitoring.js";
import { liveReservations, reservedAmount } from "../domain/orders.js";
import { addRecentOrder, orderSignals, shouldHold, type FraudSignal } from "../domain/fraud.js";
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { customerFromSnapshots, customerRefs, writeCustomer, type CustomerRead } from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import { ledgerRefs, readEntries, readWithEntries, toTimestamp, writeEntry, type StoredEntry } from "../data/ledger.js";
import { idempotencyKey, priorResult, recordResult } from "../data/requests.js";
import { availableCredit, committedExposure, effectiveLimit, withAggregates, type CustomerAggregates, type CustomerFile } from "../domain/customer.js";
import { personMemo } from "../domain/decisions.js";
import { notFound } from "../domain/errors.js";
import { failureCode, isTransient } from "../domain/failures.js";
import {
  applyRecord,
  emptyLedger,
  LedgerError,
  previousReferencedEntryId,
  referencedEntryId,
  summarize,
  unapplyRecord,
  unapplyReferencedEntryId,
  validateRecord,
  type AppliedEntry,
  type LedgerRecord,
  type LedgerRejection,
  type LedgerState,
} from "../domain/ledger.js";
import { classInForce, rescoreFromFile } from "../domain/reassessment.js";
import { penaltyCap, penaltyLevel } from "../domain/monitoring.js";
import { statusFields, statusPartsOf } from "../domain/status.js";
import type { Caller } from "../domain/roles.js";
import type { RecordTransactionsInput, TransactionInput } from "../schemas/callables.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { logs } from "../logs.js";
import { raiseAlert } from "./alerts.js";
import { readClaimUpdate, writeClaimUpdate, type ClaimUpdate } from "./groups.js";

/** The business content of a record version; the same content gives the same fingerprint. */
export function fingerprint(r: LedgerRecord): string {
  const parts = [r.externalId, r.type, r.amount, r.currency ?? "", r.issuedAt, r.dueAt ?? "", r.invoiceExternalId ?? "", r.status ?? ""];
  return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 32);
}

export function recordFromInput(t: TransactionInput): LedgerRecord {
  const r: LedgerRecord = { externalId: t.externalId, type: t.type, amount: t.amount, issuedAt: t.issuedAt };
  if (t.dueAt !== undefined) r.dueAt = t.dueAt;
  if (t.invoiceExternalId !== undefined) r.invoiceExternalId = t.invoiceExternalId;
  if (t.status !== undefined) r.status = t.status;
  if (t.currency !== undefined) r.currency = t.currency;
  return r;
}

/** A transaction document's business fields as a ledger record (times as ms). */
export function recordFromDocument(externalId: string, d: DocumentData): LedgerRecord {
  const ms = (v: unknown): number | undefined => (v instanceof Timestamp ? v.toMillis() : typeof v === "number" ? v : typeof v === "string" ? Date.parse(v) : undefined);
  const r: LedgerRecord = { externalId, type: d.type, amount: d.amount, issuedAt: ms(d.issuedAt) as number };
  const dueAt = ms(d.dueAt);
  if (dueAt !== undefined && !Number.isNaN(dueAt)) r.dueAt = dueAt;
  if (typeof d.invoiceExternalId === "string") r.invoiceExternalId = d.invoiceExternalId;
  if (typeof d.status === "string" && d.status !== "") r.status = d.status;
  if (typeof d.currency === "string") r.currency = d.currency;
  return r;
}

export type LedgerMark =
  | { state: "applied"; fingerprint: string; at: number }
  | { state: "rejected"; fingerprint: string; at: number; code: string; field: string; message: string };

export function markToStored(mark: LedgerMark): DocumentData {
  return { ...mark, at: Timestamp.fromMillis(mark.at) };
}

/** The transaction document as stored for a record (business fields + how the ledger took it). */
export function transactionDoc(r: LedgerRecord, mark: LedgerMark, source: string, actor: string, orderRef?: string): DocumentData {
  return {
    ...(orderRef !== undefined ? { orderRef } : {}),
    externalId: r.externalId,
    type: r.type,
    amount: r.amount,
    currency: r.currency ?? null,
    issuedAt: Timestamp.fromMillis(r.issuedAt),
    dueAt: toTimestamp(r.dueAt),
    invoiceExternalId: r.invoiceExternalId ?? null,
    status: r.status ?? null,
    source,
    recordedBy: actor,
    ledger: markToStored(mark),
  };
}

export type LedgerChange =
  /** `orderRef`: an order's reference at the order check (default: its externalId), to convert its reservation. */
  | { kind: "upsert"; record: LedgerRecord; sourceUpdateTime: number; orderRef?: string }
  | { kind: "delete"; externalId: string; sourceUpdateTime: number };

export interface LedgerOutcome {
  applied: string[];
  duplicates: string[];
  stale: string[];
  rejected: Array<{ externalId: string } & LedgerRejection>;
  customer: CustomerFile;
  aggregates: CustomerAggregates;
}

/**
 * Applies changes to one customer's ledger inside a transaction. Construct, `read()` (all
 * reads), then `apply()` and `write()`. Entries touched by several records of one batch are
 * read once and carried in memory.
 */
export class LedgerUnitOfWork {
  private customer: CustomerFile | null = null;
  private snapshots: Pick<CustomerRead, "head" | "state"> | null = null;
  private entries = new Map<string, StoredEntry>();
  private dirty = new Set<string>();
  private state: LedgerState = emptyLedger();
  /** Alert documents this unit will write, read after apply() and before any write. */
  private alerts = new Map<AlertType, DocumentData | undefined>();
  private breaches: ReturnType<typeof alertTransitions> = { raise: [], resolve: [], openAlerts: {} };
  /** Orders recorded now whose reservation they convert, or whose open block they bypass. */
  private converted: Array<{ orderRef: string; reservationId: string }> = [];
  private bypassed: Array<{ orderRef: string; blockId: string }> = [];
  private orderWhileSuspended: string | null = null;
  private recentOrders: Record<string, number> = {};
  /** invoiceOwners/{id} read for this batch: the customer id, or null when unclaimed. */
  private invoiceOwners = new Map<string, string | null>();
  private fraudSignals: FraudSignal[] = [];
  /** A member of a credit group whose committed exposure passed its claim (services/groups.ts). */
  private groupClaim: ClaimUpdate | null = null;
  readonly outcome: Omit<LedgerOutcome, "customer" | "aggregates"> = { applied: [], duplicates: [], stale: [], rejected: [] };

  constructor(
    private readonly tx: Transaction,
    readonly customerId: string,
    private readonly changes: LedgerChange[],
    private readonly now: number,
    private readonly policy: CreditPolicy,
  ) {}

  async read(): Promise<CustomerFile> {
    // Round 1, one call: the customer, the records' own entries and the invoices they reference.
    const ids = new Set<string>();
    for (const c of this.changes) {
      if (c.kind === "upsert") {
        ids.add(c.record.externalId);
        const ref = referencedEntryId(c.record);
        if (ref) ids.add(ref);
      } else ids.add(c.externalId);
    }
    // …and who owns each new invoice's id (an id another customer uses is refused): same call.
    const invoiceIds = [...new Set(this.changes.flatMap((c) => (c.kind === "upsert" && c.record.type === "invoice" ? [c.record.externalId] : [])))];
    const stateRef = customerRefs.creditState(this.customerId);
    const first = await readWithEntries(this.tx, customerRefs.customer(this.customerId), this.customerId, ids, [stateRef, ...invoiceIds.map((id) => ledgerRefs.invoiceOwner(id))]);
    const [stateSnap, ...ownerSnaps] = first.extra;
    ownerSnaps.forEach((snap, i) => this.invoiceOwners.set(invoiceIds[i]!, (snap.data()?.customerId as string | undefined) ?? null));
    const snap = first.head!;
    const customer = customerFromSnapshots(snap, stateSnap!);
    if (!customer) throw notFound("customer", this.customerId);
    this.customer = customer;
    this.snapshots = { head: snap, state: stateSnap! };
    this.state = (customer.ledger as LedgerState | undefined) ?? emptyLedger();
    this.recentOrders = customer.recentOrders ?? {};
    this.entries = first.entries;
    // Round 2: what round 1 revealed (a correction moving a settlement; the invoice a deleted payment settled).
    const more = new Set<string>();
    for (const c of this.changes) {
      const prev = this.entries.get(c.kind === "upsert" ? c.record.externalId : c.externalId)?.entry ?? null;
      const extra = c.kind === "upsert" ? previousReferencedEntryId(c.record, prev) : unapplyReferencedEntryId(prev);
      if (extra && !this.entries.has(extra)) more.add(extra);
    }
    for (const [id, e] of await readEntries(this.tx, this.customerId, more)) this.entries.set(id, e);
    // A settlement naming an invoice this customer does not have: another customer's invoice?
    // Only for a settlement naming an invoice this customer does not have (rare: an extra read).
    const owners = new Set<string>();
    for (const c of this.changes) {
      if (c.kind !== "upsert") continue;
      const ref = referencedEntryId(c.record);
      if (ref && !this.invoiceOwners.has(ref) && this.entries.get(ref)?.entry?.applied?.type !== "invoice") owners.add(ref);
    }
    if (owners.size > 0) {
      const ids = [...owners];
      const snaps = await this.tx.getAll(...ids.map((id) => ledgerRefs.invoiceOwner(id)));
      snaps.forEach((snap, i) => this.invoiceOwners.set(ids[i]!, (snap.data()?.customerId as string | undefined) ?? null));
    }
    return customer;
  }

  private rejectionOf(record: LedgerRecord): LedgerRejection | null {
    const ownerOf = (id: string) => this.invoiceOwners.get(id) ?? null;
    if (record.type === "invoice") {
      const owner = ownerOf(record.externalId);
      if (owner !== null && owner !== this.customerId) {
        return { code: "foreign_external_id", field: "externalId", message: "an invoice with this externalId belongs to another customer" };
      }
    }
    const ref = referencedEntryId(record);
    const foreign = ref !== null && ownerOf(ref) !== null && ownerOf(ref) !== this.customerId;
    const l = this.policy.ledger;
    return validateRecord(record, {
      customerCurrency: this.customer!.currency,
      referenceBelongsToOtherCustomer: foreign,
      bounds: { asOf: this.now, maxAmount: l.maxAmount, maxFutureDays: l.maxFutureDays, maxPastDays: l.maxPastDays },
    });
  }

  private entry(id: string | null): AppliedEntry | null {
    return id === null ? null : (this.entries.get(id)?.entry ?? null);
  }

  private put(id: string, entry: AppliedEntry | null, sourceUpdateTime?: number): void {
    const prev = this.entries.get(id);
    this.entries.set(id, { entry, sourceUpdateTime: sourceUpdateTime ?? prev?.sourceUpdateTime ?? null });
    this.dirty.add(id);
  }

  /**
   * Apply every change to the in-memory state, then read the alert documents the outcome will
   * write (still before any write). Returns the transaction documents to write.
   */
  async apply(): Promise<Array<{ externalId: string; record: LedgerRecord; mark: LedgerMark }>> {
    const start = this.snapshot();
    let marks = this.applyAll(false);
    if (!this.summarizable()) {
      // A record in this batch makes the summary fail now or within the horizon (a sum beyond safe
      // integers, a time bomb): apply again, testing each record, so only the culprits are rejected.
      this.restore(start);
      marks = this.applyAll(true);
    }
    await this.readAlerts();
    return marks;
  }

  /** The summary can be computed now and `ledger.horizonDays` on. */
  private summarizable(): boolean {
    return summaryFailure(this.state, this.now, this.policy) === null;
  }

  private snapshot() {
    return {
      state: this.state,
      entries: new Map(this.entries),
      dirty: new Set(this.dirty),
      recentOrders: this.recentOrders,
      fraudSignals: [...this.fraudSignals],
      converted: [...this.converted],
      bypassed: [...this.bypassed],
      orderWhileSuspended: this.orderWhileSuspended,
      outcome: { applied: [...this.outcome.applied], duplicates: [...this.outcome.duplicates], stale: [...this.outcome.stale], rejected: [...this.outcome.rejected] },
    };
  }

  private restore(s: ReturnType<LedgerUnitOfWork["snapshot"]>): void {
    this.state = s.state;
    this.entries = s.entries;
    this.dirty = s.dirty;
    this.recentOrders = s.recentOrders;
    this.fraudSignals = s.fraudSignals;
    this.converted = s.converted;
    this.bypassed = s.bypassed;
    this.orderWhileSuspended = s.orderWhileSuspended;
    Object.assign(this.outcome, s.outcome);
  }

  private applyAll(testEach: boolean): Array<{ externalId: string; record: LedgerRecord; mark: LedgerMark }> {
    const marks: Array<{ externalId: string; record: LedgerRecord; mark: LedgerMark }> = [];
    for (const c of this.changes) {
      const id = c.kind === "upsert" ? c.record.externalId : c.externalId;
      const stored = this.entries.get(id);
      if (stored?.sourceUpdateTime != null && c.sourceUpdateTime < stored.sourceUpdateTime) {
        this.outcome.stale.push(id);
        continue;
      }
      if (c.kind === "delete") {
        const res = unapplyRecord(this.state, this.entry(id), this.entry(unapplyReferencedEntryId(this.entry(id))));
        if (res.changed) {
          this.state = res.state;
          for (const w of res.writes) this.put(w.id, w.entry, w.id === id ? c.sourceUpdateTime : undefined);
          this.outcome.applied.push(id);
        } else this.outcome.duplicates.push(id);
        continue;
      }
      const record = c.record;
      const fp = fingerprint(record);
      const rejection = this.rejectionOf(record);
      if (rejection) {
        this.outcome.rejected.push({ externalId: id, ...rejection });
        marks.push({ externalId: id, record, mark: { state: "rejected", fingerprint: fp, at: this.now, ...rejection } });
        continue;
      }
      const own = this.entry(id);
      let res;
      try {
        res = applyRecord(this.state, record, own, this.entry(referencedEntryId(record)), this.entry(previousReferencedEntryId(record, own)));
        const failure = testEach && res.changed ? summaryFailure(res.state, this.now, this.policy) : null;
        if (failure) throw failure;
      } catch (err) {
        // A record the ledger cannot take (sums beyond safe integers, a summary that would fail
        // later) is rejected with its reason: permanent, never retried.
        const r = err instanceof LedgerError ? { code: err.code, field: err.field, message: err.message } : { code: "unprocessable", field: "record", message: `the ledger cannot apply this record (${failureCode(err)})` };
        this.outcome.rejected.push({ externalId: id, ...r });
        marks.push({ externalId: id, record, mark: { state: "rejected", fingerprint: fp, at: this.now, ...r } });
        continue;
      }
      if (!res.changed) {
        this.outcome.duplicates.push(id);
        continue;
      }
      const priorOrders = record.type === "order" ? summarizeToAggregates(this.state, this.now).orderCount12m : 0;
      this.state = res.state;
      for (const w of res.writes) this.put(w.id, w.entry, w.id === id ? c.sourceUpdateTime : undefined);
      this.outcome.applied.push(id);
      marks.push({ externalId: id, record, mark: { state: "applied", fingerprint: fp, at: this.now } });
      if (record.type === "order" && own?.applied == null) this.noteNewOrder(record, c.orderRef ?? record.externalId, priorOrders);
    }
    return marks;
  }

  /** A new order: it converts its reservation (counted once, by the ledger), bypasses an open block, and is checked for fraud. */
  private noteNewOrder(record: LedgerRecord, orderRef: string, priorOrders: number): void {
    const c = this.customer!;
    const reservation = c.reservations?.[orderRef];
    if (reservation) this.converted.push({ orderRef, reservationId: reservation.reservationId });
    const block = c.openBlocks?.[orderRef];
    if (block) this.bypassed.push({ orderRef, blockId: block.blockId });
    if ((record.status ?? "open") !== "open") return;
    if (c.status === "suspended" && this.orderWhileSuspended === null) this.orderWhileSuspended = record.externalId;
    this.checkOrderFraud(record, priorOrders);
  }

  /** The credit file after this unit: ledger state, converted reservations, bypassed blocks. */
  private updatedFile(): CustomerFile {
    const customer = this.customer!;
    const aggregates = summarizeToAggregates(this.state, this.now);
    const reservations = liveReservations(customer.reservations, this.now);
    for (const c of this.converted) delete reservations[c.orderRef];
    const openBlocks = { ...(customer.openBlocks ?? {}) };
    for (const b of this.bypassed) delete openBlocks[b.orderRef];
    const updated: CustomerFile = { ...withAggregates(customer, aggregates), ledger: this.state, reservations, openBlocks };
    updated.availableCredit = availableCredit(updated, this.now);
    return updated;
  }

  /**
   * Breaches made visible when they happen: exposure beyond the limit in force raises
   * `over_limit` (resolved when back within it), an order recorded for a suspended customer
   * raises `order_while_suspended` (the ERP is the system of record: the order is accepted).
   */
  private async readAlerts(): Promise<void> {
    const types = new Set<AlertType>();
    if (this.outcome.rejected.length > 0) types.add("ledger_rejected");
    if (this.fraudSignals.length > 0 && shouldHold(this.fraudSignals, this.policy.fraud) && !this.customer!.openAlerts?.fraud_signal) types.add("fraud_signal");
    if (this.outcome.applied.length > 0) {
      const updated = this.updatedFile();
      // Credit groups: the member's claim on its group, read and moved only when it must (constant cost).
      this.groupClaim = await readClaimUpdate(this.tx, this.customerId, this.customer!, updated, this.now, this.policy);
      const over = committedExposure(updated, this.now) > effectiveLimit(updated, this.now);
      const conditions: AlertCondition[] = [
        over ? { type: "over_limit", state: "on", code: "OVER_LIMIT", details: {} } : { type: "over_limit", state: "off", reason: "WITHIN_LIMIT" },
      ];
      if (this.orderWhileSuspended) conditions.push({ type: "order_while_suspended", state: "on", code: "ORDER_WHILE_SUSPENDED", details: { externalId: this.orderWhileSuspended } });
      this.breaches = alertTransitions(this.customer!.openAlerts, conditions);
      for (const a of this.breaches.raise) types.add(a.type);
      for (const a of this.breaches.resolve) types.add(a.type);
    }
    if (types.size === 0) return;
    const list = [...types];
    const snaps = await this.tx.getAll(...list.map((t) => alertRefFor({ kind: "customer", id: this.customerId }, t)));
    list.forEach((t, i) => this.alerts.set(t, snaps[i]!.data()));
  }

  /** Fraud signals on a new open order (velocity, large first order, order after a bank change). */
  private checkOrderFraud(record: LedgerRecord, priorOrders: number): void {
    const c = this.customer!;
    this.recentOrders = addRecentOrder(this.recentOrders, record.issuedAt, record.amount, this.now);
    const found = orderSignals(
      {
        orderAmount: record.amount,
        orderIssuedAt: record.issuedAt,
        asOf: this.now,
        recentOrders: this.recentOrders,
        creditLimit: c.creditLimit,
        customerSince: c.createdAt,
        priorOrders,
        bankAccountChangedAt: c.bankAccountChangedAt ?? null,
      },
      this.policy.velocity,
      this.policy.fraud.weights,
    );
    for (const s of found) this.fraudSignals.push({ ...s, related: [record.externalId] });
  }

  /** Write entries, the customer head (aggregates, exposure, score), the alert and the audit entry. */
  write(caller: Caller, source: string, requestId: string | null): LedgerOutcome {
    const policy = this.policy;
    const customer = this.customer!;
    const subject = { kind: "customer" as const, id: this.customerId };
    for (const id of this.dirty) {
      const e = this.entries.get(id)!;
      writeEntry(this.tx, this.customerId, id, e.entry, e.sourceUpdateTime);
    }
    for (const [id, owner] of this.invoiceOwners) {
      if (owner === null && this.entries.get(id)?.entry?.applied?.type === "invoice" && this.dirty.has(id)) {
        this.tx.set(ledgerRefs.invoiceOwner(id), { customerId: this.customerId });
      }
    }
    const changed = this.outcome.applied.length > 0;
    const updated = this.updatedFile();
    const aggregates = updated.aggregates;
    const fraudHold = this.fraudSignals.length > 0 && shouldHold(this.fraudSignals, policy.fraud);
    if (fraudHold) {
      // A person decides: the hold is the manual part of the status (clearFraudHold or setCreditStatus lifts it).
      const parts = statusPartsOf(customer);
      const manual = parts.manual?.status === "suspended" ? parts.manual : { status: "on_hold" as const, reason: "FRAUD_SIGNALS" };
      Object.assign(updated, statusFields({ ...parts, manual }));
      updated.flags = { ...customer.flags, fraudHold: true };
    }
    let customerPatch: Record<string, unknown> | null = null;
    if (changed) {
      const a = rescoreFromFile(updated, this.now, policy);
      updated.score = a.score;
      updated.grade = a.grade;
      // Penalties hold between monitor runs: a transaction cannot lift the tier cap of an overdue or dishonoured file;
      // a manager's class override stands until it expires.
      const level = penaltyLevel(aggregates, policy.penalties, customer.monitor?.penaltyLevel ?? 0, this.now);
      const cls = classInForce(a.tier, penaltyCap(level), customer.classOverride, a.classReasons, this.now);
      updated.tier = cls.tier;
      updated.classReasons = cls.classReasons;
      updated.confidence = a.confidence;
      updated.updatedAt = this.now;
      const openAlerts = { ...this.breaches.openAlerts, ...(fraudHold ? { fraud_signal: true } : {}) };
      customerPatch = {
          ledger: this.state,
          aggregates,
          reservations: updated.reservations,
          openBlocks: updated.openBlocks,
          reserved: reservedAmount(updated.reservations, this.now),
          openAlerts,
          availableCredit: updated.availableCredit,
          score: a.score,
          grade: a.grade,
          tier: updated.tier,
          classReasons: updated.classReasons,
          confidence: a.confidence,
          updatedAt: this.now,
          recentOrders: this.recentOrders,
          ...(this.groupClaim ? { creditGroup: this.groupClaim.mirror } : {}),
          ...(fraudHold
            ? { status: updated.status, statusKind: updated.statusKind, statusReason: updated.statusReason, statusParts: updated.statusParts, flags: updated.flags }
            : {}),
      };
    }
    if (this.fraudSignals.length > 0) {
      // Signals and weights are visible to analysts in the assessment document.
      this.tx.set(
        customerRefs.assessment(this.customerId),
        { fraudSignals: this.fraudSignals.map((s) => ({ ...s, at: Timestamp.fromMillis(this.now) })), fraudCheckedAt: Timestamp.fromMillis(this.now) },
        { merge: true },
      );
      if (fraudHold && !customer.openAlerts?.fraud_signal) {
        writeRaisedAlert(this.tx, this.alerts.get("fraud_signal"), { type: "fraud_signal", subject, code: this.fraudSignals[0]!.code, details: { signals: this.fraudSignals.map((s) => s.code).join(",") } }, this.now);
      }
    }
    if (changed && this.groupClaim) writeClaimUpdate(this.tx, this.groupClaim, this.now);
    for (const b of this.bypassed) {
      // Recorded while blocked (the ERP is the system of record): the block is moot, and on the record.
      this.tx.update(orderBlockRefs.block(b.blockId), orderBlockToStored({ status: "bypassed", ...personMemo(caller, this.now, "ORDER_RECORDED_WHILE_BLOCKED", [], ["ORDER_RECORDED_WHILE_BLOCKED"]), updatedAt: this.now }));
    }
    const raisedBreaches: string[] = [];
    const resolvedBreaches: string[] = [];
    if (changed) {
      for (const a of this.breaches.raise) {
        if (writeRaisedAlert(this.tx, this.alerts.get(a.type), { type: a.type, subject, code: a.code, details: a.details }, this.now)) raisedBreaches.push(a.type);
      }
      for (const a of this.breaches.resolve) {
        if (this.alerts.get(a.type)?.status !== "open") continue;
        this.tx.update(alertRefFor(subject, a.type), resolvedAlertPatch("condition_cleared", caller.uid, a.reason, this.now));
        resolvedBreaches.push(a.type);
      }
    }
    if (this.outcome.rejected.length > 0) {
      writeRaisedAlert(
        this.tx,
        this.alerts.get("ledger_rejected"),
        {
          type: "ledger_rejected",
          subject: { kind: "customer", id: this.customerId },
          code: this.outcome.rejected[0]!.code.toUpperCase(),
          details: { externalId: this.outcome.rejected[0]!.externalId, count: this.outcome.rejected.length },
        },
        this.now,
      );
    }
    if (changed || this.outcome.rejected.length > 0) {
      // When the customer is written anyway, the chain head rides in that write.
      const audit = new AuditAppender(this.tx, chains.customer(this.customerId), headOf(this.snapshots!.head.data()), this.now, { deferHead: customerPatch !== null });
      audit.append({
        action: "transactions.record",
        actor: caller,
        target: customerRefs.customer(this.customerId).path,
        before: { exposure: customer.exposure, availableCredit: customer.availableCredit, score: customer.score, tier: customer.tier },
        after: {
          exposure: updated.exposure,
          availableCredit: updated.availableCredit,
          score: updated.score,
          tier: updated.tier,
          ...(fraudHold ? { status: updated.status, fraudSignals: this.fraudSignals.map((s) => s.code) } : {}),
          ...(this.converted.length ? { convertedReservations: this.converted.map((c) => `${c.orderRef}:${c.reservationId}`) } : {}),
          ...(this.bypassed.length ? { bypassedBlocks: this.bypassed.map((b) => `${b.orderRef}:${b.blockId}`) } : {}),
          ...(raisedBreaches.length ? { alertsRaised: raisedBreaches } : {}),
          ...(resolvedBreaches.length ? { alertsResolved: resolvedBreaches } : {}),
          ...(changed && this.groupClaim ? { groupId: this.groupClaim.groupId, groupClaim: this.groupClaim.claim.amount } : {}),
          source,
          applied: this.outcome.applied.slice(0, 500),
          rejected: this.outcome.rejected.map((r) => `${r.externalId}:${r.code}`).slice(0, 500),
        },
        reason: null,
        requestId,
      });
      if (customerPatch) Object.assign(customerPatch, audit.headFields);
    }
    if (customerPatch) writeCustomer(this.tx, this.customerId, customerPatch, this.snapshots!);
    return { ...this.outcome, customer: updated, aggregates };
  }
}

/** Why the ledger's summary cannot be computed now or `ledger.horizonDays` on (null: it can). */
function summaryFailure(state: LedgerState, now: number, policy: CreditPolicy): LedgerError | null {
  try {
    summarize(state, now);
    summarize(state, now + policy.ledger.horizonDays * 86_400_000);
    return null;
  } catch (err) {
    if (err instanceof LedgerError) return err;
    return new LedgerError("unprocessable", "record", `the ledger's summary fails (${failureCode(err)})`);
  }
}

/** The customer's aggregates at `asOf` are the ledger's summary (kept as a name the services share). */
export function summarizeToAggregates(state: LedgerState, asOf: number): CustomerAggregates {
  return summarize(state, asOf);
}

export interface RecordTransactionsResult {
  recorded: number;
  duplicates: number;
  rejected: Array<{ externalId: string; code: string; field: string; message: string }>;
  exposure: number;
  availableCredit: number;
}

/** The callable path: the whole batch in one transaction, documents and aggregates together. */
export async function recordTransactions(input: RecordTransactionsInput, caller: Caller, now: number, policy: CreditPolicy): Promise<RecordTransactionsResult> {
  const db = firestore();
  const key = idempotencyKey("recordTransactions", caller.uid, input);
  const records = input.transactions.map(recordFromInput);
  const orderRefs = new Map(input.transactions.flatMap((t) => (t.orderRef !== undefined ? [[t.externalId, t.orderRef] as const] : [])));
  const result = await db.runTransaction(async (tx) => {
    const prior = await priorResult<RecordTransactionsResult>(tx, key);
    if (prior !== undefined) return prior;
    const uow = new LedgerUnitOfWork(
      tx,
      input.customerId,
      records.map((record) => ({ kind: "upsert" as const, record, sourceUpdateTime: now, ...(orderRefs.has(record.externalId) ? { orderRef: orderRefs.get(record.externalId)! } : {}) })),
      now,
      policy,
    );
    await uow.read();
    const marks = await uow.apply();
    for (const m of marks) tx.set(ledgerRefs.transaction(input.customerId, m.externalId), transactionDoc(m.record, m.mark, "callable", caller.uid, orderRefs.get(m.externalId)));
    const outcome = uow.write(caller, "callable", input.requestId ?? null);
    const out: RecordTransactionsResult = {
      recorded: outcome.applied.length,
      duplicates: outcome.duplicates.length,
      rejected: outcome.rejected.map(({ externalId, code, field, message }) => ({ externalId, code, field, message })),
      exposure: outcome.customer.exposure,
      availableCredit: outcome.customer.availableCredit,
    };
    recordResult(tx, key, out, now);
    return out;
  });
  logs.transactionsRecorded(input.customerId, result.recorded, result.duplicates, result.rejected.length);
  return result;
}

export interface TransactionEvent {
  customerId: string;
  externalId: string;
  /** The document after the write (null when deleted). */
  after: DocumentData | null;
  /** Update time (ms) of the version in the event (delete: the event time). */
  sourceUpdateTime: number;
}

export const TRIGGER_ACTOR: Caller = { uid: "system:transaction-trigger", role: null };

/**
 * The trigger path, for writes made any other way. A document whose ledger mark carries its
 * own fingerprint was written by this service (the callable, or this trigger marking a
 * rejection): nothing to do, no read. Stale and redelivered events are no-ops.
 */
export async function applyTransactionEvent(ev: TransactionEvent, now: number, policy: CreditPolicy): Promise<"skipped" | "applied" | "duplicate" | "stale" | "rejected"> {
  let change: LedgerChange;
  let record: LedgerRecord | null = null;
  if (ev.after === null) {
    change = { kind: "delete", externalId: ev.externalId, sourceUpdateTime: ev.sourceUpdateTime };
  } else {
    record = recordFromDocument(ev.externalId, ev.after);
    if (ev.after.ledger?.fingerprint === fingerprint(record)) return "skipped";
    change = { kind: "upsert", record, sourceUpdateTime: ev.sourceUpdateTime, ...(typeof ev.after.orderRef === "string" ? { orderRef: ev.after.orderRef } : {}) };
  }
  const db = firestore();
  try {
    const outcome = await db.runTransaction(async (tx) => {
      const uow = new LedgerUnitOfWork(tx, ev.customerId, [change], now, policy);
      try {
        await uow.read();
      } catch (err) {
        if ((err as { code?: string }).code === "not-found") return "skipped" as const;
        throw err;
      }
      const marks = await uow.apply();
      for (const m of marks) tx.set(ledgerRefs.transaction(ev.customerId, m.externalId), { ledger: markToStored(m.mark) }, { merge: true });
      const done = uow.write(TRIGGER_ACTOR, "trigger", null);
      if (done.rejected.length) return "rejected" as const;
      if (done.stale.length) return "stale" as const;
      return done.applied.length ? ("applied" as const) : ("duplicate" as const);
    });
    logs.transactionEventApplied(ev.customerId, ev.externalId, outcome);
    return outcome;
  } catch (err) {
    // Transient (contention, an unavailable backend): the trigger is retried. Anything else would
    // fail the same way on every delivery: the record is marked rejected with its reason and an
    // alert raised, and the event is done — nothing loops.
    if (isTransient(err)) throw err;
    await rejectPoisonRecord(ev, record, err, now);
    logs.transactionEventApplied(ev.customerId, ev.externalId, "rejected");
    return "rejected";
  }
}

/** Mark a record no delivery can apply as rejected (its reason on the record) and raise ledger_rejected. */
async function rejectPoisonRecord(ev: TransactionEvent, record: LedgerRecord | null, err: unknown, now: number): Promise<void> {
  const code = "unprocessable";
  const reason = failureCode(err);
  if (record) {
    const mark: LedgerMark = { state: "rejected", fingerprint: fingerprint(record), at: now, code, field: "record", message: `the ledger cannot apply this record (${reason})` };
    await ledgerRefs.transaction(ev.customerId, ev.externalId).set({ ledger: markToStored(mark) }, { merge: true });
  }
  await raiseAlert({ type: "ledger_rejected", subject: { kind: "customer", id: ev.customerId }, code: code.toUpperCase(), details: { externalId: ev.externalId, reason } }, now);
}
