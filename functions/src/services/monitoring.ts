/**
 * Daily monitoring: ages every due customer's receivables, raises and resolves alerts,
 * applies penalties and incentives (domain/monitoring.ts decides; this writes).
 *
 * Cost per customer and day: the page query returns the customer's head (1 read) and the
 * transaction reads its creditState (1); the head's write carries a `lastUpdateTime`
 * precondition (optimistic: if anything wrote the head in between, the commit fails and the
 * customer is redone with a fresh read). Alert documents and the proposal document are read
 * only on the days they change. The head's write moves `nextAgingAt` past the run (the work
 * queue needs no cursor); creditState is written with it.
 */
import { Timestamp, type DocumentData, type DocumentSnapshot, type Transaction } from "firebase-admin/firestore";
import { alertRefFor, raisedAlertDoc, resolvedAlertPatch } from "../data/alerts.js";
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { customerFromSnapshots, customerRefs, writeCustomer } from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import { createProposal, proposalRef, proposalRequest } from "../data/limits.js";
import { COLLECTIONS, paths } from "../data/paths.js";
import type { AlertType } from "../domain/alerts.js";
import type { AuditActor } from "../domain/audit.js";
import { changedFields } from "../domain/audit.js";
import { availableCredit, reportFields, withAggregates } from "../domain/customer.js";
import { planLimitChange, temporaryLimitInForce } from "../domain/limits.js";
import { liveReservations, reservedAmount } from "../domain/orders.js";
import { emptyLedger, settledByMonth, type LedgerState } from "../domain/ledger.js";
import { monitorDecision, type AlertToRaise, type AlertToResolve, type MonitoredCustomer, type MonitorDecision } from "../domain/monitoring.js";
import { policyInCurrency } from "../domain/money.js";
import { loadFxTable } from "./fx.js";
import { readClaimUpdate, writeClaimUpdate } from "./groups.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { logs } from "../logs.js";
import { summarizeToAggregates } from "./transactions.js";

export const MONITOR_ACTOR: AuditActor = { uid: "system:monitor", role: "system" };

/** Hands a payload to a Cloud Tasks queue; "exists" when a task with that id was already enqueued. */
export type Enqueue<T> = (payload: T, opts?: { id?: string }) => Promise<"enqueued" | "exists">;
export interface MonitorTask {
  job: "monitor";
  asOf: number;
}

/** A commit refused because the snapshot it relied on is stale, or a `create` found the document. */
export function isStaleWrite(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 9 || code === 6 || code === "failed-precondition" || code === "already-exists";
}

export interface MonitorResult {
  customerId: string;
  outcome: "monitored" | "skipped" | "missing";
  raised: AlertType[];
  resolved: AlertType[];
  status: string | null;
  statusChanged: boolean;
  tier: string | null;
  proposal: { id: string; source: string; status: "pending" | "approved"; newLimit: number; created: boolean } | null;
}

const empty = (customerId: string, outcome: MonitorResult["outcome"]): MonitorResult => ({
  customerId,
  outcome,
  raised: [],
  resolved: [],
  status: null,
  statusChanged: false,
  tier: null,
  proposal: null,
});

export interface MonitorOptions {
  /** Skip (a read, no write) when the customer's nextAgingAt is already past `now`: the job's guard against double delivery. */
  onlyIfDue?: boolean;
  /** The customer's snapshot from the page query: reused, guarded by a lastUpdateTime precondition. */
  snapshot?: DocumentSnapshot;
}

/** Monitor one customer at `now`, in one transaction. */
export async function monitorCustomer(customerId: string, now: number, policy: CreditPolicy, opts: MonitorOptions = {}): Promise<MonitorResult> {
  if (opts.snapshot?.exists) {
    try {
      return await monitorOnce(customerId, now, policy, opts.onlyIfDue ?? false, opts.snapshot);
    } catch (err) {
      if (!isStaleWrite(err)) throw err;
      // Written in between: redo with a fresh read.
    }
  }
  return monitorOnce(customerId, now, policy, opts.onlyIfDue ?? false, null);
}

async function monitorOnce(customerId: string, now: number, policy: CreditPolicy, onlyIfDue: boolean, pre: DocumentSnapshot | null): Promise<MonitorResult> {
  const fx = await loadFxTable(now, policy); // issue 12 hook: base-currency figures in the customer's currency
  const ref = customerRefs.customer(customerId);
  const result = await firestore().runTransaction(async (tx) => {
    const stateRef = customerRefs.creditState(customerId);
    const [snap, stateSnap] = pre ? [pre, await tx.get(stateRef)] : await tx.getAll(ref, stateRef);
    const customer = customerFromSnapshots(snap!, stateSnap!) as MonitoredCustomer | null;
    if (!customer) return empty(customerId, "missing");
    if (onlyIfDue && customer.nextAgingAt > now) return empty(customerId, "skipped");
    const ledger = (customer.ledger as LedgerState | undefined) ?? emptyLedger();
    const settled = settledByMonth(ledger, now, policy.incentives.onTimeMonths + 1);
    const d = { ...monitorDecision(customer, summarizeToAggregates(ledger, now), settled, now, policyInCurrency(policy, customer.currency, fx)), customerId };

    // Reads (only for what changes today), then writes.
    const subject = { kind: "customer" as const, id: customerId };
    const alertTypes = [...d.alertsToRaise.map((a) => a.type), ...d.alertsToResolve.map((a) => a.type)];
    const alertSnaps = alertTypes.length ? await tx.getAll(...alertTypes.map((t) => alertRefFor(subject, t))) : [];
    const existing = new Map(alertTypes.map((t, i) => [t, alertSnaps[i]?.data()]));
    const propRef = d.proposal ? proposalRef(customerId, d.proposal.source, now) : null;
    const propExists = propRef ? (await tx.get(propRef)).exists : false;
    // issue 12 hook: a group member's claim follows lapsed reservations and paid-down exposure (group head read only when due).
    const claim = await readClaimUpdate(tx, customerId, customer, customer, now, policy);

    const plan = planCustomer(customer, d, propRef, propExists, now);
    if (claim) {
      writeClaimUpdate(tx, claim, now);
      plan.patch.creditGroup = claim.mirror;
    }
    // The customer's own write goes first: it carries the precondition, before the audit head's merge.
    writeCustomer(tx, customerId, plan.patch, { head: snap!, state: stateSnap! }, pre && snap!.updateTime ? { headUpdateTime: snap!.updateTime } : {});
    const audit = new AuditAppender(tx, chains.customer(customerId), headOf(snap!.data()), now);
    const raised = writeRaised(tx, audit, subject, d.alertsToRaise, existing, now);
    const resolved = writeResolved(tx, audit, subject, d.alertsToResolve, existing, now);
    plan.writeRest(tx, audit);
    return { ...plan.result, raised, resolved };
  });
  for (const t of result.raised) logs.alertRaised(`customer_${customerId}_${t}`, t, customerId);
  for (const t of result.resolved) logs.alertResolved(`customer_${customerId}_${t}`, t);
  return result;
}

function writeRaised(
  tx: Transaction,
  audit: AuditAppender,
  subject: { kind: "customer"; id: string },
  list: AlertToRaise[],
  existing: Map<AlertType, DocumentData | undefined>,
  now: number,
): AlertType[] {
  const out: AlertType[] = [];
  for (const a of list) {
    const doc = raisedAlertDoc(existing.get(a.type), { type: a.type, subject, code: a.code, details: a.details }, now);
    if (!doc) continue; // already open (the map was behind): only the map changes
    const ref = alertRefFor(subject, a.type);
    tx.set(ref, doc);
    audit.append({ action: "alert.raise", actor: MONITOR_ACTOR, target: ref.path, before: null, after: { type: a.type, code: a.code, status: "open" }, reason: a.code, requestId: null });
    out.push(a.type);
  }
  return out;
}

function writeResolved(
  tx: Transaction,
  audit: AuditAppender,
  subject: { kind: "customer"; id: string },
  list: AlertToResolve[],
  existing: Map<AlertType, DocumentData | undefined>,
  now: number,
): AlertType[] {
  const out: AlertType[] = [];
  for (const a of list) {
    if (existing.get(a.type)?.status !== "open") continue; // closed by a person meanwhile: only the map changes
    const ref = alertRefFor(subject, a.type);
    tx.update(ref, resolvedAlertPatch("condition_cleared", MONITOR_ACTOR.uid, a.reason, now));
    audit.append({ action: "alert.auto_resolve", actor: MONITOR_ACTOR, target: ref.path, before: { status: "open" }, after: { status: "resolved" }, reason: a.reason, requestId: null });
    out.push(a.type);
  }
  return out;
}

/** The customer's patch, and the proposal and audit writes that go with it. */
function planCustomer(
  customer: MonitoredCustomer,
  d: MonitorDecision & { customerId: string },
  propRef: FirebaseFirestore.DocumentReference | null,
  propExists: boolean,
  now: number,
): { patch: Record<string, unknown>; result: Omit<MonitorResult, "raised" | "resolved">; writeRest: (tx: Transaction, audit: AuditAppender) => void } {
  const customerPath = paths.customer(d.customerId);
  const next: MonitoredCustomer = {
    ...customer,
    ...withAggregates(customer, d.aggregates),
    temporaryLimit: d.clearTemporaryLimit ? null : customer.temporaryLimit,
    score: d.assessment.score,
    grade: d.assessment.grade,
    confidence: d.assessment.confidence,
    tier: d.tier,
    classReasons: d.classReasons,
    classOverride: d.clearClassOverride ? null : (customer.classOverride ?? null),
    flags: { ...customer.flags, ...d.flags },
    ...(d.statusChange ? { status: d.statusChange.status, statusKind: d.statusChange.statusKind, statusReason: d.statusChange.reason, statusParts: d.statusChange.parts } : {}),
  };
  const availableBefore = availableCredit(next, now);
  const request = d.proposal && propRef ? proposalRequest(d.customerId, d.proposal, MONITOR_ACTOR.uid, now) : null;
  const create = request !== null && !propExists;
  if (create && request.status === "approved") {
    // The same limit rules as a person's increase (a temporary limit it reaches ends).
    const plan = planLimitChange({ creditLimit: next.creditLimit, temporaryLimit: temporaryLimitInForce(next, now) }, { kind: "permanent", newLimit: request.newLimit, expiresAt: null }, now);
    if (plan.ok) Object.assign(next, plan.next);
  }
  // Reservations past their time are tidied away (they stopped counting when they lapsed).
  next.reservations = liveReservations(customer.reservations, now);
  next.availableCredit = availableCredit(next, now);

  const view = (c: MonitoredCustomer) => ({
    status: c.status,
    statusKind: c.statusKind,
    statusReason: c.statusReason,
    tier: c.tier,
    noLimitIncrease: c.flags.noLimitIncrease,
    extendedTermsEligible: c.flags.extendedTermsEligible,
    temporaryLimit: c.temporaryLimit,
    classOverride: c.classOverride ? c.classOverride.tier : null,
    manualStatus: c.statusParts?.manual ?? null,
    automaticStatus: c.statusParts?.automatic ?? null,
  });
  const diff = changedFields(view(customer), view(next));
  const statusChanged = next.status !== customer.status || next.statusKind !== customer.statusKind || next.statusReason !== customer.statusReason;

  const patch = {
    aggregates: next.aggregates,
    ...reportFields(next.aggregates),
    availableCredit: next.availableCredit,
    creditLimit: next.creditLimit,
    temporaryLimit: next.temporaryLimit,
    reservations: next.reservations ?? {},
    reserved: reservedAmount(next.reservations, now),
    score: next.score,
    grade: next.grade,
    confidence: next.confidence,
    tier: next.tier,
    status: next.status,
    statusKind: next.statusKind,
    statusReason: next.statusReason,
    ...(d.statusChange ? { statusParts: d.statusChange.parts } : {}),
    classReasons: d.classReasons,
    ...(d.clearClassOverride ? { classOverride: null } : {}),
    flags: next.flags,
    openAlerts: d.openAlerts,
    monitor: d.monitor,
    nextAgingAt: d.nextAgingAt,
    updatedAt: now,
  };

  const writeRest = (tx: Transaction, audit: AuditAppender) => {
    if (create && propRef && request && d.proposal) {
      createProposal(tx, propRef, request);
      if (request.status === "approved") {
        audit.append({
          action: "limit.auto_increase",
          actor: MONITOR_ACTOR,
          target: customerPath,
          before: { creditLimit: customer.creditLimit, availableCredit: availableBefore },
          after: { creditLimit: next.creditLimit, availableCredit: next.availableCredit, limitRequestId: propRef.id },
          reason: d.proposal.reason,
          requestId: null,
        });
      } else {
        audit.append({
          action: "limit.propose",
          actor: MONITOR_ACTOR,
          target: propRef.path,
          before: null,
          after: { source: d.proposal.source, currentLimit: d.proposal.currentLimit, newLimit: d.proposal.newLimit, status: "pending" },
          reason: d.proposal.reason,
          requestId: null,
        });
      }
    }
    if (diff.after && Object.keys(diff.after).length > 0) {
      audit.append({
        action: "customer.monitor",
        actor: MONITOR_ACTOR,
        target: customerPath,
        before: diff.before,
        after: diff.after,
        reason: statusChanged ? d.statusChange!.reason : d.clearClassOverride ? "CLASS_OVERRIDE_EXPIRED" : d.clearTemporaryLimit ? "TEMPORARY_LIMIT_EXPIRED" : "DAILY_MONITORING",
        requestId: null,
      });
    }
  };

  return {
    patch,
    writeRest,
    result: {
      customerId: d.customerId,
      outcome: "monitored",
      status: next.status,
      statusChanged,
      tier: next.tier,
      proposal:
        request && propRef && d.proposal
          ? { id: propRef.id, source: d.proposal.source, status: request.status as "pending" | "approved", newLimit: d.proposal.newLimit, created: create }
          : null,
    },
  };
}

// ---------------------------------------------------------------------------------------
// The daily job

export interface RunOptions<T> {
  /** Stop taking customers at this time (on `clock`) and hand the rest to the task queue. */
  deadline: number;
  enqueue: Enqueue<T>;
  /** Default policy.jobs.pageSize. */
  pageSize?: number;
  /** Customers processed at once within a page (default 8). */
  concurrency?: number;
  /** Default Date.now (tests pass a fake). */
  clock?: () => number;
}

export interface JobRun {
  processed: number;
  skipped: number;
  failed: string[];
  pages: number;
  /** A continuation task was enqueued (deadline reached with customers left). */
  continued: boolean;
}

/** Run `work` over `items` with at most `n` at once; stops starting new ones when `stop()` says so. */
export async function pool<T>(items: readonly T[], n: number, stop: () => boolean, work: (item: T) => Promise<void>): Promise<boolean> {
  let i = 0;
  let stopped = false;
  const lane = async () => {
    while (i < items.length) {
      if (stop()) {
        stopped = true;
        return;
      }
      const item = items[i++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, lane));
  return stopped;
}

/**
 * Monitor every customer due at `now` (nextAgingAt <= now), page by page. Monitoring a
 * customer moves its nextAgingAt to tomorrow, out of the query, so the next page is simply
 * the query again. A customer that fails stays due (retried by the next run); the page grows
 * by the failures so they cannot block the queue. At the deadline the rest goes to the task
 * queue as {job: "monitor", asOf: now}. At least one page is processed per call (progress).
 */
export async function runDailyMonitoring(now: number, policy: CreditPolicy, opts: RunOptions<MonitorTask>): Promise<JobRun> {
  const clock = opts.clock ?? Date.now;
  const pageSize = opts.pageSize ?? policy.jobs.pageSize;
  const run: JobRun = { processed: 0, skipped: 0, failed: [], pages: 0, continued: false };
  const failed = new Set<string>();
  const db = firestore();
  for (;;) {
    if (run.pages > 0 && clock() >= opts.deadline) break;
    if (failed.size > 10 * pageSize) {
      logs.jobStuck("dailyMonitoring", failed.size);
      break;
    }
    const limit = pageSize + failed.size;
    const page = await db.collection(COLLECTIONS.customers).where("nextAgingAt", "<=", Timestamp.fromMillis(now)).orderBy("nextAgingAt").limit(limit).get();
    const todo = page.docs.filter((d) => !failed.has(d.id));
    if (todo.length === 0) {
      logs.jobProgress("dailyMonitoring", run.processed, false);
      return finish(run, failed);
    }
    run.pages++;
    const stopped = await pool(todo, opts.concurrency ?? 8, () => run.pages > 1 && clock() >= opts.deadline, async (doc) => {
      try {
        const r = await monitorCustomer(doc.id, now, policy, { onlyIfDue: true, snapshot: doc });
        if (r.outcome === "monitored") run.processed++;
        else run.skipped++;
      } catch (err) {
        failed.add(doc.id);
        logs.jobCustomerFailed("dailyMonitoring", doc.id, err);
      }
    });
    if (stopped) break;
    // A short page was the whole queue: done without another query.
    if (page.size < limit) {
      logs.jobProgress("dailyMonitoring", run.processed, false);
      return finish(run, failed);
    }
    logs.jobProgress("dailyMonitoring", run.processed, true);
  }
  // Deadline (or stuck): whatever is still due continues in a task.
  const left = await db.collection(COLLECTIONS.customers).where("nextAgingAt", "<=", Timestamp.fromMillis(now)).limit(failed.size + 1).get();
  if (left.docs.some((d) => !failed.has(d.id))) {
    await opts.enqueue({ job: "monitor", asOf: now });
    run.continued = true;
  }
  return finish(run, failed);
}

function finish(run: JobRun, failed: Set<string>): JobRun {
  run.failed = [...failed];
  return run;
}
