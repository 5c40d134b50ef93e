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
import { FieldValue, Timestamp, type DocumentData, type Transaction } from "firebase-admin/firestore";
import { alertRefFor, resolvedAlertPatch, writeRaisedAlert } from "../data/alerts.js";
import { orderBlockRefs, orderBlockToStored } from "../data/orders.js";
import type { AlertType } from "../domain/alerts.js";
import { alertTransitions, type AlertCondition } from "../domain/monitoring.js";
import { liveReservations, reservedAmount } from "../domain/orders.js";
import { addRecentOrder, orderSignals, shouldHold, type FraudSignal } from "../domain/fraud.js";
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { customerFromSnapshots, customerRefs, writeCustomer, type CustomerRead } from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import {
  ledgerRefs,
  PENDING_AT,
  pendingRecords,
  readEntries,
  readWithEntries,
  toTimestamp,
  writeEntry,
  type StoredEntry,
} from "../data/ledger.js";
import { idempotencyKey, priorResult, recordResult } from "../data/requests.js";
import {
  availableCredit,
  committedExposure,
  effectiveLimit,
  withAggregates,
  type CustomerAggregates,
  type CustomerFile,
} from "../domain/customer.js";
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
import { isStaleWrite, type Enqueue } from "./jobKit.js";
import { readClaimUpdate, writeClaimUpdate, type ClaimUpdate } from "./groups.js";
import { DAY_MS } from "../domain/time.js";

/** The business content of a record version; the same content gives the same fingerprint. */
export function fingerprint(r: LedgerRecord): string {
  const parts = [
    r.externalId,
    r.type,
    r.amount,
    r.currency ?? "",
    r.issuedAt,
    r.dueAt ?? "",
    r.invoiceExternalId ?? "",
    r.status ?? "",
  ];
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
  const ms = (v: unknown): number | undefined =>
    v instanceof Timestamp
      ? v.toMillis()
      : typeof v === "number"
        ? v
        : typeof v === "string"
          ? Date.parse(v)
          : undefined;
  const r: LedgerRecord = { externalId, type: d.type, amount: d.amount, issuedAt: ms(d.issuedAt) as number };
  const dueAt = ms(d.dueAt);
  if (dueAt !== undefined && !Number.isNaN(dueAt)) r.dueAt = dueAt;
  if (typeof d.invoiceExternalId === "string") r.invoiceExternalId = d.invoiceExternalId;
  if (typeof d.status === "string" && d.status !== "") r.status = d.status;
  if (typeof d.currency === "string") r.currency = d.currency;
  return r;
}

/**
 * How the ledger took a record, on the record itself: applied; rejected with its reason;
 * pending (written straight to Firestore, waiting for its customer's group commit); stale (a
 * newer version of the record, by the ledger's clock, is in the aggregates).
 */
export type LedgerMark =
  | { state: "applied" | "pending" | "stale"; fingerprint: string; at: number }
  | { state: "rejected"; fingerprint: string; at: number; code: string; field: string; message: string };

export function markToStored(mark: LedgerMark): DocumentData {
  return { ...mark, at: Timestamp.fromMillis(mark.at) };
}

/** The transaction document as stored for a record (business fields + how the ledger took it). */
export function transactionDoc(
  r: LedgerRecord,
  mark: LedgerMark,
  source: string,
  actor: string,
  orderRef?: string,
): DocumentData {
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
  readonly outcome: Omit<LedgerOutcome, "customer" | "aggregates"> = {
    applied: [],
    duplicates: [],
    stale: [],
    rejected: [],
  };

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
    const invoiceIds = [
      ...new Set(
        this.changes.flatMap((c) => (c.kind === "upsert" && c.record.type === "invoice" ? [c.record.externalId] : [])),
      ),
    ];
    const stateRef = customerRefs.creditState(this.customerId);
    const first = await readWithEntries(this.tx, customerRefs.customer(this.customerId), this.customerId, ids, [
      stateRef,
      ...invoiceIds.map((id) => ledgerRefs.invoiceOwner(id)),
    ]);
    const [stateSnap, ...ownerSnaps] = first.extra;
    ownerSnaps.forEach((snap, i) =>
      this.invoiceOwners.set(invoiceIds[i]!, (snap.data()?.customerId as string | undefined) ?? null),
    );
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
      if (ref && !this.invoiceOwners.has(ref) && this.entries.get(ref)?.entry?.applied?.type !== "invoice")
        owners.add(ref);
    }
    if (owners.size > 0) {
      const ids = [...owners];
      const snaps = await this.tx.getAll(...ids.map((id) => ledgerRefs.invoiceOwner(id)));
      snaps.forEach((snap, i) =>
        this.invoiceOwners.set(ids[i]!, (snap.data()?.customerId as string | undefined) ?? null),
      );
    }
    return customer;
  }

  private rejectionOf(record: LedgerRecord): LedgerRejection | null {
    const ownerOf = (id: string) => this.invoiceOwners.get(id) ?? null;
    if (record.type === "invoice") {
      const owner = ownerOf(record.externalId);
      if (owner !== null && owner !== this.customerId) {
        return {
          code: "foreign_external_id",
          field: "externalId",
          message: "an invoice with this externalId belongs to another customer",
        };
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
      outcome: {
        applied: [...this.outcome.applied],
        duplicates: [...this.outcome.duplicates],
        stale: [...this.outcome.stale],
        rejected: [...this.outcome.rejected],
      },
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
        marks.push({
          externalId: id,
          record,
          mark: { state: "rejected", fingerprint: fp, at: this.now, ...rejection },
        });
        continue;
      }
      const own = this.entry(id);
      let res;
      try {
        res = applyRecord(
          this.state,
          record,
          own,
          this.entry(referencedEntryId(record)),
          this.entry(previousReferencedEntryId(record, own)),
        );
        const failure = testEach && res.changed ? summaryFailure(res.state, this.now, this.policy) : null;
        if (failure) throw failure;
      } catch (err) {
        // A record the ledger cannot take (sums beyond safe integers, a summary that would fail
        // later) is rejected with its reason: permanent, never retried.
        const r =
          err instanceof LedgerError
            ? { code: err.code, field: err.field, message: err.message }
            : {
                code: "unprocessable",
                field: "record",
                message: `the ledger cannot apply this record (${failureCode(err)})`,
              };
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
      if (record.type === "order" && own?.applied == null)
        this.noteNewOrder(record, c.orderRef ?? record.externalId, priorOrders);
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
    const updated: CustomerFile = {
      ...withAggregates(customer, aggregates),
      ledger: this.state,
      reservations,
      openBlocks,
    };
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
    if (
      this.fraudSignals.length > 0 &&
      shouldHold(this.fraudSignals, this.policy.fraud) &&
      !this.customer!.openAlerts?.fraud_signal
    )
      types.add("fraud_signal");
    if (this.outcome.applied.length > 0) {
      const updated = this.updatedFile();
      // Credit groups: the member's claim on its group, read and moved only when it must (constant cost).
      this.groupClaim = await readClaimUpdate(this.tx, this.customerId, this.customer!, updated, this.now, this.policy);
      const over = committedExposure(updated, this.now) > effectiveLimit(updated, this.now);
      const conditions: AlertCondition[] = [
        over
          ? { type: "over_limit", state: "on", code: "OVER_LIMIT", details: {} }
          : { type: "over_limit", state: "off", reason: "WITHIN_LIMIT" },
      ];
      if (this.orderWhileSuspended)
        conditions.push({
          type: "order_while_suspended",
          state: "on",
          code: "ORDER_WHILE_SUSPENDED",
          details: { externalId: this.orderWhileSuspended },
        });
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
      const manual =
        parts.manual?.status === "suspended" ? parts.manual : { status: "on_hold" as const, reason: "FRAUD_SIGNALS" };
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
          ? {
              status: updated.status,
              statusKind: updated.statusKind,
              statusReason: updated.statusReason,
              statusParts: updated.statusParts,
              flags: updated.flags,
            }
          : {}),
      };
    }
    if (this.fraudSignals.length > 0) {
      // Signals and weights are visible to analysts in the assessment document.
      this.tx.set(
        customerRefs.assessment(this.customerId),
        {
          fraudSignals: this.fraudSignals.map((s) => ({ ...s, at: Timestamp.fromMillis(this.now) })),
          fraudCheckedAt: Timestamp.fromMillis(this.now),
        },
        { merge: true },
      );
      if (fraudHold && !customer.openAlerts?.fraud_signal) {
        writeRaisedAlert(
          this.tx,
          this.alerts.get("fraud_signal"),
          {
            type: "fraud_signal",
            subject,
            code: this.fraudSignals[0]!.code,
            details: { signals: this.fraudSignals.map((s) => s.code).join(",") },
          },
          this.now,
        );
      }
    }
    if (changed && this.groupClaim) writeClaimUpdate(this.tx, this.groupClaim, this.now);
    for (const b of this.bypassed) {
      // Recorded while blocked (the ERP is the system of record): the block is moot, and on the record.
      this.tx.update(
        orderBlockRefs.block(b.blockId),
        orderBlockToStored({
          status: "bypassed",
          ...personMemo(caller, this.now, "ORDER_RECORDED_WHILE_BLOCKED", [], ["ORDER_RECORDED_WHILE_BLOCKED"]),
          updatedAt: this.now,
        }),
      );
    }
    const raisedBreaches: string[] = [];
    const resolvedBreaches: string[] = [];
    if (changed) {
      for (const a of this.breaches.raise) {
        if (
          writeRaisedAlert(
            this.tx,
            this.alerts.get(a.type),
            { type: a.type, subject, code: a.code, details: a.details },
            this.now,
          )
        )
          raisedBreaches.push(a.type);
      }
      for (const a of this.breaches.resolve) {
        if (this.alerts.get(a.type)?.status !== "open") continue;
        this.tx.update(
          alertRefFor(subject, a.type),
          resolvedAlertPatch("condition_cleared", caller.uid, a.reason, this.now),
        );
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
      const audit = new AuditAppender(
        this.tx,
        chains.customer(this.customerId),
        headOf(this.snapshots!.head.data()),
        this.now,
        { deferHead: customerPatch !== null },
      );
      audit.append({
        action: "transactions.record",
        actor: caller,
        target: customerRefs.customer(this.customerId).path,
        before: {
          exposure: customer.exposure,
          availableCredit: customer.availableCredit,
          score: customer.score,
          tier: customer.tier,
        },
        after: {
          exposure: updated.exposure,
          availableCredit: updated.availableCredit,
          score: updated.score,
          tier: updated.tier,
          ...(fraudHold ? { status: updated.status, fraudSignals: this.fraudSignals.map((s) => s.code) } : {}),
          ...(this.converted.length
            ? { convertedReservations: this.converted.map((c) => `${c.orderRef}:${c.reservationId}`) }
            : {}),
          ...(this.bypassed.length ? { bypassedBlocks: this.bypassed.map((b) => `${b.orderRef}:${b.blockId}`) } : {}),
          ...(raisedBreaches.length ? { alertsRaised: raisedBreaches } : {}),
          ...(resolvedBreaches.length ? { alertsResolved: resolvedBreaches } : {}),
          ...(changed && this.groupClaim
            ? { groupId: this.groupClaim.groupId, groupClaim: this.groupClaim.claim.amount }
            : {}),
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
    summarize(state, now + policy.ledger.horizonDays * DAY_MS);
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
export async function recordTransactions(
  input: RecordTransactionsInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
): Promise<RecordTransactionsResult> {
  const db = firestore();
  const key = idempotencyKey("recordTransactions", caller.uid, input);
  const records = input.transactions.map(recordFromInput);
  const orderRefs = new Map(
    input.transactions.flatMap((t) => (t.orderRef !== undefined ? [[t.externalId, t.orderRef] as const] : [])),
  );
  const result = await db.runTransaction(async (tx) => {
    const prior = await priorResult<RecordTransactionsResult>(tx, key);
    if (prior !== undefined) return prior;
    const uow = new LedgerUnitOfWork(
      tx,
      input.customerId,
      records.map((record) => ({
        kind: "upsert" as const,
        record,
        sourceUpdateTime: now,
        ...(orderRefs.has(record.externalId) ? { orderRef: orderRefs.get(record.externalId)! } : {}),
      })),
      now,
      policy,
    );
    await uow.read();
    const marks = await uow.apply();
    for (const m of marks)
      tx.set(
        ledgerRefs.transaction(input.customerId, m.externalId),
        transactionDoc(m.record, m.mark, "callable", caller.uid, orderRefs.get(m.externalId)),
      );
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
  /** The exact update time of the version in the event: the pending mark is written only onto that version. */
  sourceVersion?: Timestamp | null;
}

export const TRIGGER_ACTOR: Caller = { uid: "system:transaction-trigger", role: null };

/** A customer's group commit: the drain of its pending records due after `bucket` ends. */
export interface DrainTask {
  customerId: string;
  bucket: number;
}

/** Margin after a period ends before its drain reads (clock skew between instances). */
export const DRAIN_MARGIN_MS = 250;

/** The group-commit period a record written at `at` belongs to. */
export function drainBucket(at: number, policy: CreditPolicy): number {
  return Math.floor(at / (policy.ledger.groupCommitSeconds * 1000));
}

/** When the drain of a period may read: after the period, so every record marked in it is seen. */
export function drainAt(bucket: number, policy: CreditPolicy): number {
  return (bucket + 1) * policy.ledger.groupCommitSeconds * 1000 + DRAIN_MARGIN_MS;
}

/** Cloud Tasks id of a customer's drain for a period: every record of the period enqueues the same one. */
export function drainTaskId(customerId: string, bucket: number): string {
  const safe = /^[A-Za-z0-9_-]{1,200}$/.test(customerId)
    ? customerId
    : createHash("sha256").update(customerId).digest("hex").slice(0, 40);
  return `ledger-${safe}-${bucket}`;
}

export interface TriggerDeps {
  /** Where a customer's drain goes (the `applyPendingRecords` task queue); default: drained here and now. */
  enqueue?: Enqueue<DrainTask>;
}

/**
 * The trigger path, for records written any other way (an ERP import, the console): group
 * commit. A document whose ledger mark carries its own fingerprint was written by a service (the
 * callable, a drain, this trigger marking it pending): nothing to do, no read. Any other version
 * is marked pending (`ledger.state: "pending"`, `pendingAt`) — only if it is still the version in
 * the event (a lastUpdateTime precondition: a redelivered or stale event changes nothing) — and
 * its customer's drain for the current period is enqueued, one task name per customer and period,
 * to run after the period ends: that drain applies every record marked in the period in one
 * transaction, so a customer is written at most once per period (`ledger.groupCommitSeconds`)
 * whatever its record rate. The drain is enqueued even when the mark found a newer version, so a
 * delivery that died between marking and enqueueing is made good by its retry. A delete is
 * applied at once (one transaction).
 */
export async function applyTransactionEvent(
  ev: TransactionEvent,
  now: number,
  policy: CreditPolicy,
  deps: TriggerDeps = {},
): Promise<"skipped" | "pending" | "superseded" | "applied" | "duplicate" | "stale" | "rejected"> {
  if (ev.after === null)
    return applyNow(
      ev,
      { kind: "delete", externalId: ev.externalId, sourceUpdateTime: ev.sourceUpdateTime },
      null,
      now,
      policy,
    );
  const record = recordFromDocument(ev.externalId, ev.after);
  const fp = fingerprint(record);
  if (ev.after.ledger?.fingerprint === fp) return "skipped";
  const mark = {
    ledger: markToStored({ state: "pending", fingerprint: fp, at: now }),
    [PENDING_AT]: Timestamp.fromMillis(now),
  };
  let outcome: "pending" | "superseded" = "pending";
  try {
    const ref = ledgerRefs.transaction(ev.customerId, ev.externalId);
    if (ev.sourceVersion) await ref.update(mark, { lastUpdateTime: ev.sourceVersion });
    else await ref.update(mark);
  } catch (err) {
    // Changed or deleted since this event: the newer version's own event marks it.
    if (!isStaleWrite(err) && (err as { code?: unknown }).code !== 5) throw err;
    outcome = "superseded";
  }
  const bucket = drainBucket(Date.now(), policy);
  const enqueue =
    deps.enqueue ??
    (async (t: DrainTask) => (await drainPendingRecords(t.customerId, Date.now(), policy), "enqueued" as const));
  await enqueue(
    { customerId: ev.customerId, bucket },
    { id: drainTaskId(ev.customerId, bucket), scheduleAt: drainAt(bucket, policy) },
  );
  logs.transactionEventApplied(ev.customerId, ev.externalId, outcome);
  return outcome;
}

export interface DrainResult {
  /** Pending records taken (at most ledger.groupCommitMaxRecords). */
  records: number;
  applied: number;
  duplicates: number;
  stale: number;
  rejected: number;
  /** "batch": one transaction; "one_by_one": the batch failed permanently, each record was tried alone. */
  mode: "batch" | "one_by_one" | "none";
  /** More records were pending than one drain takes: the next period's drain goes on. */
  more: boolean;
}

/**
 * A customer's group commit: its pending records (oldest first, at most
 * `ledger.groupCommitMaxRecords`) applied in ONE transaction — the customer's documents read
 * once and written once, every record's entry and mark (applied, rejected with its reason, or
 * already in) with them. Idempotent: a drain run twice finds nothing pending the second time.
 * A transient failure is thrown (the task is retried); a permanent one (a record or a state the
 * ledger cannot take) makes each record go alone, so a poison record is rejected with its reason
 * and an alert — never retried, never holding the others back.
 */
export async function drainPendingRecords(customerId: string, now: number, policy: CreditPolicy): Promise<DrainResult> {
  const limit = policy.ledger.groupCommitMaxRecords;
  const none: DrainResult = { records: 0, applied: 0, duplicates: 0, stale: 0, rejected: 0, mode: "none", more: false };
  try {
    const result = await firestore().runTransaction(async (tx) => {
      const page = await tx.get(pendingRecords(customerId).limit(limit));
      if (page.empty) return none;
      const changes: LedgerChange[] = page.docs.map((d) => {
        const data = d.data();
        return {
          kind: "upsert",
          record: recordFromDocument(d.id, data),
          sourceUpdateTime: d.updateTime.toMillis(),
          ...(typeof data.orderRef === "string" ? { orderRef: data.orderRef } : {}),
        };
      });
      const uow = new LedgerUnitOfWork(tx, customerId, changes, now, policy);
      try {
        await uow.read();
      } catch (err) {
        if ((err as { code?: string }).code !== "not-found") throw err;
        // Records for a customer that does not exist: each is rejected with the reason, no longer pending.
        for (const d of page.docs) {
          const rec = recordFromDocument(d.id, d.data());
          const mark: LedgerMark = {
            state: "rejected",
            fingerprint: fingerprint(rec),
            at: now,
            code: "customer_not_found",
            field: "customerId",
            message: "no customer with this id",
          };
          tx.update(d.ref, { ledger: markToStored(mark), [PENDING_AT]: FieldValue.delete() });
        }
        return { ...none, records: page.size, rejected: page.size, mode: "batch" as const };
      }
      const marks = new Map((await uow.apply()).map((m) => [m.externalId, m.mark]));
      const out = uow.write(TRIGGER_ACTOR, "trigger", null);
      const duplicates = new Set(out.duplicates);
      for (const [i, d] of page.docs.entries()) {
        const fp = fingerprint((changes[i] as Extract<LedgerChange, { kind: "upsert" }>).record);
        // Already in the aggregates (same version): applied; a newer version by the ledger's clock is in: stale.
        const mark: LedgerMark =
          marks.get(d.id) ??
          (duplicates.has(d.id)
            ? { state: "applied", fingerprint: fp, at: now }
            : { state: "stale", fingerprint: fp, at: now });
        tx.update(d.ref, { ledger: markToStored(mark), [PENDING_AT]: FieldValue.delete() });
      }
      return {
        records: page.size,
        applied: out.applied.length,
        duplicates: out.duplicates.length,
        stale: out.stale.length,
        rejected: out.rejected.length,
        mode: "batch" as const,
        more: page.size === limit,
      };
    });
    if (result.records > 0)
      logs.transactionsDrained(customerId, result.records, result.applied, result.rejected, result.mode);
    return result;
  } catch (err) {
    if (isTransient(err)) throw err;
    return drainOneByOne(customerId, now, policy);
  }
}

/** The batch failed permanently: each pending record alone, a record that cannot be applied rejected (poison). */
async function drainOneByOne(customerId: string, now: number, policy: CreditPolicy): Promise<DrainResult> {
  const limit = policy.ledger.groupCommitMaxRecords;
  const page = await pendingRecords(customerId).limit(limit).get();
  const out: DrainResult = {
    records: page.size,
    applied: 0,
    duplicates: 0,
    stale: 0,
    rejected: 0,
    mode: "one_by_one",
    more: page.size === limit,
  };
  for (const d of page.docs) {
    const data = d.data();
    const record = recordFromDocument(d.id, data);
    const change: LedgerChange = {
      kind: "upsert",
      record,
      sourceUpdateTime: d.updateTime.toMillis(),
      ...(typeof data.orderRef === "string" ? { orderRef: data.orderRef } : {}),
    };
    const r = await applyNow(
      { customerId, externalId: d.id, after: data, sourceUpdateTime: d.updateTime.toMillis() },
      change,
      record,
      now,
      policy,
    );
    if (r === "applied") out.applied++;
    else if (r === "rejected") out.rejected++;
    else if (r === "stale") out.stale++;
    else out.duplicates++;
  }
  logs.transactionsDrained(customerId, out.records, out.applied, out.rejected, out.mode);
  return out;
}

/** One change in its own transaction (a delete; a record of a drain that failed permanently); poison is rejected, never looped. */
async function applyNow(
  ev: TransactionEvent,
  change: LedgerChange,
  record: LedgerRecord | null,
  now: number,
  policy: CreditPolicy,
): Promise<"skipped" | "applied" | "duplicate" | "stale" | "rejected"> {
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
      const done = uow.write(TRIGGER_ACTOR, "trigger", null);
      const clear = (id: string, mark: LedgerMark) =>
        tx.set(
          ledgerRefs.transaction(ev.customerId, id),
          { ledger: markToStored(mark), [PENDING_AT]: FieldValue.delete() },
          { merge: true },
        );
      for (const m of marks) clear(m.externalId, m.mark);
      if (record && change.kind === "upsert" && marks.length === 0) {
        const fp = fingerprint(record);
        clear(
          record.externalId,
          done.stale.length
            ? { state: "stale", fingerprint: fp, at: now }
            : { state: "applied", fingerprint: fp, at: now },
        );
      }
      if (done.rejected.length) return "rejected" as const;
      if (done.stale.length) return "stale" as const;
      return done.applied.length ? ("applied" as const) : ("duplicate" as const);
    });
    logs.transactionEventApplied(ev.customerId, ev.externalId, outcome);
    return outcome;
  } catch (err) {
    // Transient (contention, an unavailable backend): retried by the caller's platform. Anything
    // else would fail the same way every time: the record is marked rejected with its reason and
    // an alert raised, and it is done — nothing loops.
    if (isTransient(err)) throw err;
    await rejectPoisonRecord(ev, record, err, now);
    logs.transactionEventApplied(ev.customerId, ev.externalId, "rejected");
    return "rejected";
  }
}

/** Mark a record no delivery can apply as rejected (its reason on the record, no longer pending) and raise ledger_rejected. */
async function rejectPoisonRecord(
  ev: TransactionEvent,
  record: LedgerRecord | null,
  err: unknown,
  now: number,
): Promise<void> {
  const code = "unprocessable";
  const reason = failureCode(err);
  if (record) {
    const mark: LedgerMark = {
      state: "rejected",
      fingerprint: fingerprint(record),
      at: now,
      code,
      field: "record",
      message: `the ledger cannot apply this record (${reason})`,
    };
    await ledgerRefs
      .transaction(ev.customerId, ev.externalId)
      .set({ ledger: markToStored(mark), [PENDING_AT]: FieldValue.delete() }, { merge: true });
  }
  await raiseAlert(
    {
      type: "ledger_rejected",
      subject: { kind: "customer", id: ev.customerId },
      code: code.toUpperCase(),
      details: { externalId: ev.externalId, reason },
    },
    now,
  );
}
