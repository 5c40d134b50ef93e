/**
 * Monthly reassessment of every active customer: a work queue over
 * `customers where status == "active" and shard == s and nextReviewAt <= asOf order by nextReviewAt`
 * (composite index status ↑, shard ↑, nextReviewAt ↑). The schedule enqueues one task per shard
 * (domain/workQueue.ts) with idempotent names (`reassess-YYYYMM-s{shard}`); each takes the due
 * customers of its own shard, page by page, each in its own transaction — concurrent tasks
 * never reach for the same customer.
 *
 * Exactly once per customer and month: the review record has a deterministic id
 * (customers/{id}/reviews/{YYYY-MM}) and is written with `create` in the same commit that
 * moves nextReviewAt to next month (out of the query). A batch delivered twice, two batches
 * racing for the same page, or a batch killed half-way and run again: the second attempt
 * either no longer sees the customer, or its commit fails (`create` finds the review, or the
 * customer's lastUpdateTime precondition fails) and the fresh re-read says "already done".
 *
 * Reads per customer: the page query returns the customer's head (1) and the transaction reads
 * its creditState (1), which carries the latest statement; the head's write carries a
 * lastUpdateTime precondition instead of a second read. Alert documents are read only when a score_drop/tier_downgrade alert
 * opens or closes.
 */
import {
  Timestamp,
  type DocumentData,
  type DocumentReference,
  type DocumentSnapshot,
  type Transaction,
} from "firebase-admin/firestore";
import { alertRefFor, raisedAlertDoc, resolvedAlertPatch } from "../data/alerts.js";
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { toStored } from "../data/convert.js";
import { customerFromSnapshots, customerRefs, plain, writeCustomer } from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import { COLLECTIONS, paths } from "../data/paths.js";
import type { AlertType } from "../domain/alerts.js";
import type { AuditActor } from "../domain/audit.js";
import { availableCredit, nextMonth, withAggregates, type CustomerFile } from "../domain/customer.js";
import { planLimitChange, proposalId, temporaryLimitInForce, type LimitRequest } from "../domain/limits.js";
import {
  reviewDecision,
  reviewedFields,
  reviewPeriod,
  type LimitFollowUp,
  type ReviewDecision,
} from "../domain/reassessment.js";
import { limitRequestRefs, limitRequestToStored } from "../data/limits.js";
import type { FinancialStatement } from "../domain/financials.js";
import { emptyLedger, type LedgerState } from "../domain/ledger.js";
import type { MonitoredCustomer } from "../domain/monitoring.js";
import { nextMonitorVisit } from "../domain/monitorSchedule.js";
import { policyInCurrency } from "../domain/money.js";
import { ALL_SHARDS } from "../domain/workQueue.js";
import { loadFxTable } from "./fx.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { logs } from "../logs.js";
import { isStaleWrite, pool, type Enqueue } from "./jobKit.js";
import { summarizeToAggregates } from "./transactions.js";
import { ensureShards } from "./workQueues.js";

export const REVIEW_ACTOR: AuditActor = { uid: "system:monthly-reassessment", role: "system" };

/** One shard's reassessment for the month of asOf (continuations: part ≥ 1). */
export interface ReassessTask {
  job: "reassess";
  asOf: number;
  shard: number;
  /** Continuation number of a shard's task that ran out of time (0 or absent: the task itself). */
  part?: number;
}

/** Cloud Tasks id of a shard's task: a re-run of the schedule in the same month enqueues nothing new. */
export function reassessTaskId(asOf: number, shard: number, part = 0): string {
  return `reassess-${reviewPeriod(asOf).replace("-", "")}-s${shard}${part > 0 ? `-p${part}` : ""}`;
}

function dueQuery(asOf: number, shard?: number) {
  const q = firestore().collection(COLLECTIONS.customers).where("status", "==", "active");
  return (shard === undefined ? q : q.where("shard", "==", shard))
    .where("nextReviewAt", "<=", Timestamp.fromMillis(asOf))
    .orderBy("nextReviewAt");
}

export interface MonthlyRun {
  /** Active customers due (one aggregation query). */
  due: number;
  shards: number;
  enqueued: number;
  existing: number;
  /** Heads without a shard were still being given one when the schedule's time ran out. */
  shardsPending: boolean;
}

/** The monthly schedule: old heads get their shard (once), then one task per shard (idempotent names). */
export async function runMonthlyReassessment(
  now: number,
  policy: CreditPolicy,
  opts: { enqueue: Enqueue<ReassessTask>; deadline?: number },
): Promise<MonthlyRun> {
  const shards = await ensureShards(now, opts.deadline ?? Number.POSITIVE_INFINITY);
  const due = (await dueQuery(now).count().get()).data().count;
  const run: MonthlyRun = { due, shards: ALL_SHARDS.length, enqueued: 0, existing: 0, shardsPending: !shards.done };
  for (const shard of ALL_SHARDS) {
    const r = await opts.enqueue({ job: "reassess", asOf: now, shard }, { id: reassessTaskId(now, shard) });
    if (r === "enqueued") run.enqueued++;
    else run.existing++;
  }
  logs.jobProgress("monthlyReassessment", 0, due > 0);
  return run;
}

export interface CustomerReviewResult {
  customerId: string;
  outcome: "reviewed" | "skipped" | "missing";
  score?: number;
  grade?: string;
  tier?: string;
  recommendedLimit?: number;
  /** What the review did to the limit: a cut applied, or a proposal (limitRequests/{limitRequestId}). */
  limitAction?: LimitFollowUpWrite["result"];
  raised: AlertType[];
  resolved: AlertType[];
}

interface LatestStatementDoc {
  latest: FinancialStatement | null;
}

/** Review one customer for the month of asOf (no-op when already reviewed or no longer due). */
export async function reviewCustomer(
  customerId: string,
  asOf: number,
  policy: CreditPolicy,
  opts: { snapshot?: DocumentSnapshot; now?: number } = {},
): Promise<CustomerReviewResult> {
  const now = opts.now ?? Date.now();
  if (opts.snapshot?.exists) {
    try {
      return await reviewOnce(customerId, asOf, policy, now, opts.snapshot);
    } catch (err) {
      if (!isStaleWrite(err)) throw err;
    }
  }
  return reviewOnce(customerId, asOf, policy, now, null);
}

async function reviewOnce(
  customerId: string,
  asOf: number,
  policy: CreditPolicy,
  now: number,
  pre: DocumentSnapshot | null,
): Promise<CustomerReviewResult> {
  const fx = await loadFxTable(now, policy); // issue 12 hook: base-currency figures in the customer's currency
  const ref = customerRefs.customer(customerId);
  const finRef = customerRefs.financials(customerId);
  const stateRef = customerRefs.creditState(customerId);
  const reviewRef = firestore().doc(`${paths.reviews(customerId)}/${reviewPeriod(asOf)}`);
  const skipped = (outcome: CustomerReviewResult["outcome"]): CustomerReviewResult => ({
    customerId,
    outcome,
    raised: [],
    resolved: [],
  });
  const result = await firestore().runTransaction(async (tx) => {
    let snap: DocumentSnapshot;
    let stateSnap: DocumentSnapshot;
    if (pre) {
      snap = pre;
      stateSnap = await tx.get(stateRef);
    } else {
      const [s, st, r] = await tx.getAll(ref, stateRef, reviewRef);
      snap = s!;
      stateSnap = st!;
      if (r!.exists) {
        // Reviewed this month already; if the customer is somehow still due, take it out of the queue.
        const c = customerFromSnapshots(snap, stateSnap);
        if (c && c.nextReviewAt <= asOf)
          writeCustomer(tx, customerId, { nextReviewAt: nextMonth(asOf) }, { head: s!, state: st! });
        return skipped("skipped");
      }
    }
    const customer = customerFromSnapshots(snap, stateSnap) as MonitoredCustomer | null;
    if (!customer) return skipped("missing");
    if (customer.status !== "active" || customer.nextReviewAt > asOf) return skipped("skipped");

    // The latest statement rides in creditState; files from before that read private/financials.
    const statement =
      customer.latestStatement !== undefined
        ? customer.latestStatement
        : (plain<LatestStatementDoc>(await tx.get(finRef))?.latest ?? null);
    const ledger = (customer.ledger as LedgerState | undefined) ?? emptyLedger();
    const aggregates = summarizeToAggregates(ledger, asOf);
    const local = policyInCurrency(policy, customer.currency, fx);
    const d = reviewDecision(customer, aggregates, statement, asOf, local);
    const { assessment, limit } = d;

    const subject = { kind: "customer" as const, id: customerId };
    const types = [...d.alertsToRaise.map((a) => a.type), ...d.alertsToResolve.map((a) => a.type)];
    const alertSnaps = types.length ? await tx.getAll(...types.map((t) => alertRefFor(subject, t))) : [];
    const existing = new Map<AlertType, DocumentData | undefined>(
      types.map((t, i) => [t, alertSnaps[i]?.data()] as const),
    );

    const {
      previous,
      after,
      assessmentDoc,
      patch: reviewed,
    } = reviewedFields(customer, d, aggregates, statement, asOf, now);
    const updated: MonitoredCustomer = withAggregates(customer, aggregates);
    tx.create(
      reviewRef,
      toStored({
        ...assessmentDoc,
        period: reviewPeriod(asOf),
        previous,
        lastReview: d.previous,
        reviewedBy: REVIEW_ACTOR.uid,
        reviewedAt: asOf,
      }) as DocumentData,
    );
    tx.set(customerRefs.assessment(customerId), toStored(assessmentDoc) as DocumentData, { merge: true });
    const followUp = writeLimitFollowUp(
      tx,
      customerId,
      updated,
      d.limitAction,
      limitRequestRefs.request(proposalId(customerId, "policy_review", asOf)),
      REVIEW_ACTOR,
      now,
    );
    const patch = { ...reviewed, availableCredit: availableCredit(followUp.file, asOf), ...followUp.patch };
    // The monitor's next look follows the reviewed file (no visit just because the review wrote it);
    // a visit already due (a write the monitor has not seen yet) stays due.
    const visit = nextMonitorVisit({ ...followUp.file, ...patch } as MonitoredCustomer, ledger, asOf, local);
    const nextAgingAt = customer.nextAgingAt <= asOf ? customer.nextAgingAt : visit.at;
    // The customer's own write goes first: it carries the precondition, before the audit head's merge.
    writeCustomer(
      tx,
      customerId,
      { ...patch, nextAgingAt },
      { head: snap, state: stateSnap },
      pre && snap.updateTime ? { headUpdateTime: snap.updateTime } : {},
    );
    const audit = new AuditAppender(tx, chains.customer(customerId), headOf(snap.data()), now);
    followUp.appendAudit(audit);
    const raised = writeAlerts(tx, audit, subject, d, existing, now);
    audit.append({
      action: "customer.monthly_review",
      actor: REVIEW_ACTOR,
      target: ref.path,
      before: previous,
      after: {
        ...after,
        recommendedLimit: limit.recommendedLimit,
        period: reviewPeriod(asOf),
        ...(followUp.result.action !== "none" ? { limitAction: followUp.result.action } : {}),
      },
      reason: null,
      requestId: null,
    });
    return {
      customerId,
      outcome: "reviewed" as const,
      score: assessment.score,
      grade: assessment.grade,
      tier: d.tier,
      recommendedLimit: limit.recommendedLimit,
      limitAction: followUp.result,
      raised: raised.raised,
      resolved: raised.resolved,
    };
  });
  for (const t of result.raised) logs.alertRaised(`customer_${customerId}_${t}`, t, customerId);
  for (const t of result.resolved) logs.alertResolved(`customer_${customerId}_${t}`, t);
  if (result.outcome === "reviewed") logs.customerReassessed(customerId, result.grade ?? "", result.tier ?? "");
  return result;
}

function writeAlerts(
  tx: Transaction,
  audit: AuditAppender,
  subject: { kind: "customer"; id: string },
  d: ReviewDecision,
  existing: Map<AlertType, DocumentData | undefined>,
  now: number,
): { raised: AlertType[]; resolved: AlertType[] } {
  const raised: AlertType[] = [];
  const resolved: AlertType[] = [];
  for (const a of d.alertsToRaise) {
    const doc = raisedAlertDoc(existing.get(a.type), { type: a.type, subject, code: a.code, details: a.details }, now);
    if (!doc) continue;
    const ref = alertRefFor(subject, a.type);
    tx.set(ref, doc);
    audit.append({
      action: "alert.raise",
      actor: REVIEW_ACTOR,
      target: ref.path,
      before: null,
      after: { type: a.type, code: a.code, status: "open" },
      reason: a.code,
      requestId: null,
    });
    raised.push(a.type);
  }
  for (const a of d.alertsToResolve) {
    if (existing.get(a.type)?.status !== "open") continue;
    const ref = alertRefFor(subject, a.type);
    tx.update(ref, resolvedAlertPatch("condition_cleared", REVIEW_ACTOR.uid, a.reason, now));
    audit.append({
      action: "alert.auto_resolve",
      actor: REVIEW_ACTOR,
      target: ref.path,
      before: { status: "open" },
      after: { status: "resolved" },
      reason: a.reason,
      requestId: null,
    });
    resolved.push(a.type);
  }
  return { raised, resolved };
}

export interface ReassessShardOptions {
  /** Stop at this time (on `clock`); what is left becomes `continuation`. */
  deadline?: number;
  clock?: () => number;
  /** Customers reviewed at once within a page (default 8). */
  concurrency?: number;
  /** Audit/update time (default Date.now()). */
  now?: number;
}

export interface ReassessShardRun {
  reviewed: number;
  skipped: number;
  failed: string[];
  /** The shard's queue was empty when the task stopped. */
  drained: boolean;
  /** Customers of the shard are still due (the deadline came first): the task's continuation, when it does not fail. */
  continuation: ReassessTask | null;
}

/**
 * One shard's task: review every due active customer of the shard, page by page (a reviewed
 * customer leaves the query). Enqueues nothing: the task fails when a customer failed (its retry
 * takes them and the rest) and only otherwise hands `continuation` on.
 */
export async function reassessShard(
  task: ReassessTask,
  policy: CreditPolicy,
  opts: ReassessShardOptions = {},
): Promise<ReassessShardRun> {
  const clock = opts.clock ?? Date.now;
  const { asOf, shard } = task;
  const run: ReassessShardRun = { reviewed: 0, skipped: 0, failed: [], drained: false, continuation: null };
  const failed = new Set<string>();
  let pages = 0;
  let outOfTime = false;
  for (;;) {
    if (pages > 0 && opts.deadline !== undefined && clock() >= opts.deadline) {
      outOfTime = true;
      break;
    }
    if (failed.size > 10 * policy.jobs.batchSize) {
      logs.jobStuck("reassessBatch", failed.size);
      break;
    }
    const limit = policy.jobs.batchSize + failed.size;
    const page = await dueQuery(asOf, shard).limit(limit).get();
    const todo = page.docs.filter((d) => !failed.has(d.id));
    if (todo.length === 0) {
      run.drained = true;
      break;
    }
    pages++;
    const stopped = await pool(
      todo,
      opts.concurrency ?? 8,
      async (doc) => {
        try {
          const r = await reviewCustomer(doc.id, asOf, policy, { snapshot: doc, now: opts.now ?? clock() });
          if (r.outcome === "reviewed") run.reviewed++;
          else run.skipped++;
        } catch (err) {
          failed.add(doc.id);
          logs.jobCustomerFailed("reassessBatch", doc.id, err);
        }
      },
      () => opts.deadline !== undefined && pages > 1 && clock() >= opts.deadline,
    );
    if (stopped) {
      outOfTime = true;
      break;
    }
    if (page.size < limit) {
      run.drained = true; // a short page was the whole queue
      break;
    }
  }
  run.failed = [...failed];
  if (outOfTime) run.continuation = { job: "reassess", asOf, shard, part: (task.part ?? 0) + 1 };
  logs.jobProgress("reassessBatch", run.reviewed, run.continuation !== null);
  return run;
}

// ---------------------------------------------------------------------------------------
// Limits follow the judgement (monthly review and an analyst's reassessment)

/** What applying a reassessment's limit follow-up writes besides the customer (all reads done before). */
export interface LimitFollowUpWrite {
  /** Fields for the customer's patch (a cut applied at once), or {} */
  patch: Record<string, unknown>;
  /** The customer file after the follow-up (limits and available credit). */
  file: CustomerFile;
  result: { action: LimitFollowUp["action"]; limitRequestId: string | null; newLimit: number | null };
  /** Append its audit entry (after the customer's own write, which may carry a precondition). */
  appendAudit: (audit: AuditAppender) => void;
}

/**
 * A reassessment's limit follow-up: a cut within the policy's bounds is applied at once (the same
 * limit rules as any change, audited as `limit.auto_cut`, with a limit request recording it); a
 * deeper cut or an increase becomes a pending limit request for a person with authority. Each
 * carries its reason codes. `ref` is the limit request's document (created, never read).
 */
export function writeLimitFollowUp(
  tx: Transaction,
  customerId: string,
  customer: CustomerFile,
  action: LimitFollowUp,
  ref: DocumentReference,
  actor: AuditActor,
  now: number,
): LimitFollowUpWrite {
  const nothing: LimitFollowUpWrite = {
    patch: {},
    file: customer,
    result: { action: "none", limitRequestId: null, newLimit: null },
    appendAudit: () => {},
  };
  if (action.action === "none") return nothing;
  const basis = { creditLimit: customer.creditLimit, temporaryLimit: temporaryLimitInForce(customer, now) };
  const plan = planLimitChange(basis, { kind: "permanent", newLimit: action.newLimit, expiresAt: null }, now);
  if (!plan.ok) return nothing;
  const applied = action.action === "cut";
  const request: LimitRequest = {
    customerId,
    currentLimit: customer.creditLimit,
    basis,
    newLimit: action.newLimit,
    kind: "permanent",
    expiresAt: null,
    reason: action.reasonCodes.join(" "),
    reasonCodes: action.reasonCodes,
    requestedBy: actor.uid,
    requestedByRole: actor.role,
    source: "policy_review",
    status: applied ? "approved" : "pending",
    createdAt: now,
    updatedAt: now,
    decidedAt: applied ? now : null,
    decidedBy: applied ? "policy:policy_review" : null,
    decidedByRole: applied ? "system" : null,
    note: applied ? "CUT_WITHIN_POLICY_BOUNDS" : null,
  };
  tx.create(ref, limitRequestToStored(request) as DocumentData);
  if (!applied) {
    return {
      patch: {},
      file: customer,
      result: { action: action.action, limitRequestId: ref.id, newLimit: action.newLimit },
      appendAudit: (audit) =>
        audit.append({
          action: "limit.propose",
          actor,
          target: ref.path,
          before: null,
          after: {
            source: "policy_review",
            currentLimit: customer.creditLimit,
            newLimit: action.newLimit,
            status: "pending",
            reasonCodes: action.reasonCodes,
          },
          reason: action.reasonCodes[0] ?? null,
          requestId: null,
        }),
    };
  }
  const file: CustomerFile = { ...customer, ...plan.next };
  file.availableCredit = availableCredit(file, now);
  return {
    patch: {
      creditLimit: file.creditLimit,
      temporaryLimit: file.temporaryLimit,
      availableCredit: file.availableCredit,
    },
    file,
    result: { action: "cut", limitRequestId: ref.id, newLimit: file.creditLimit },
    appendAudit: (audit) =>
      audit.append({
        action: "limit.auto_cut",
        actor,
        target: paths.customer(customerId),
        before: {
          creditLimit: customer.creditLimit,
          temporaryLimit: customer.temporaryLimit ?? null,
          availableCredit: availableCredit(customer, now),
        },
        after: {
          creditLimit: file.creditLimit,
          temporaryLimit: file.temporaryLimit,
          availableCredit: file.availableCredit,
          limitRequestId: ref.id,
          reasonCodes: action.reasonCodes,
        },
        reason: action.reasonCodes[0] ?? null,
        requestId: null,
      }),
  };
}
