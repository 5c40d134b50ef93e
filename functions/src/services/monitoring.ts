/**
 * Daily monitoring: ages the due customers' receivables, raises and resolves alerts, applies
 * penalties and incentives (domain/monitoring.ts decides; this writes).
 *
 * A work queue over `nextAgingAt`, in shards: the schedule enqueues one task per shard
 * (domain/workQueue.ts), each task takes the due customers of its shard page by page
 * (`shard == s and nextAgingAt <= asOf order by nextAgingAt`, composite index shard ↑,
 * nextAgingAt ↑), so concurrent tasks never reach for the same customer. A visit writes the
 * customer's next due date — the first run at which anything can change
 * (domain/monitorSchedule.ts) — which takes it out of the query (no cursor needed); a customer
 * with nothing that can change is not visited.
 *
 * Cost per visit: the page query returns the customer's head (1 read) and the transaction reads
 * its creditState (1); the head's write carries a `lastUpdateTime` precondition (if anything wrote
 * the head in between, the commit fails and the customer is redone with a fresh read). Alert
 * documents and the proposal document are read only on the days they change.
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
import { compactLedgerIfDue, emptyLedger, type LedgerState } from "../domain/ledger.js";
import {
  monitoredFile,
  type AlertToRaise,
  type AlertToResolve,
  type MonitoredCustomer,
  type MonitorDecision,
} from "../domain/monitoring.js";
import { monitorAt, nextMonitorVisit } from "../domain/monitorSchedule.js";
import { policyInCurrency } from "../domain/money.js";
import { ALL_SHARDS, dayKey } from "../domain/workQueue.js";
import { loadFxTable } from "./fx.js";
import { readClaimUpdate, writeClaimUpdate } from "./groups.js";
import { ensureShards, policyStamp, pullShard, readWorkQueueState, recordMonitorPolicy } from "./workQueues.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { logs } from "../logs.js";
import { isStaleWrite, pool, type Enqueue } from "./jobKit.js";

export const MONITOR_ACTOR: AuditActor = { uid: "system:monitor", role: "system" };

/** One shard's pass of a day's monitoring (continuations: part ≥ 1; refresh: pull the shard first, after a policy edit). */
export interface MonitorTask {
  job: "monitor";
  asOf: number;
  shard: number;
  part?: number;
  refresh?: boolean;
}

/** Cloud Tasks id of a shard's pass: a second schedule of the same day enqueues nothing new. */
export function monitorTaskId(t: Pick<MonitorTask, "asOf" | "shard" | "part">): string {
  return `monitor-${dayKey(t.asOf)}-s${t.shard}${t.part ? `-p${t.part}` : ""}`;
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
  /** The next run that must look at the customer (null: not monitored now). */
  nextAgingAt: number | null;
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
  nextAgingAt: null,
});

export interface MonitorOptions {
  /** Skip (a read, no write) when the customer's nextAgingAt is already past `now`: the job's guard against double delivery. */
  onlyIfDue?: boolean;
  /** The customer's snapshot from the page query: reused, guarded by a lastUpdateTime precondition. */
  snapshot?: DocumentSnapshot;
}

/** Monitor one customer at `now`, in one transaction. */
export async function monitorCustomer(
  customerId: string,
  now: number,
  policy: CreditPolicy,
  opts: MonitorOptions = {},
): Promise<MonitorResult> {
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

async function monitorOnce(
  customerId: string,
  now: number,
  policy: CreditPolicy,
  onlyIfDue: boolean,
  pre: DocumentSnapshot | null,
): Promise<MonitorResult> {
  const fx = await loadFxTable(now, policy); // issue 12 hook: base-currency figures in the customer's currency
  const ref = customerRefs.customer(customerId);
  const result = await firestore().runTransaction(async (tx) => {
    const stateRef = customerRefs.creditState(customerId);
    const [snap, stateSnap] = pre ? [pre, await tx.get(stateRef)] : await tx.getAll(ref, stateRef);
    const customer = customerFromSnapshots(snap!, stateSnap!) as MonitoredCustomer | null;
    if (!customer) return empty(customerId, "missing");
    if (onlyIfDue && customer.nextAgingAt > now) return empty(customerId, "skipped");
    const local = policyInCurrency(policy, customer.currency, fx);
    const ledger = (customer.ledger as LedgerState | undefined) ?? emptyLedger();
    const d = { ...monitorAt(customer, ledger, now, local), customerId };

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
      plan.next.creditGroup = claim.mirror;
    }
    // History older than the ledger's horizon is folded once a month: the state stays bounded.
    const compacted = compactLedgerIfDue(ledger, now);
    if (compacted) {
      plan.patch.ledger = compacted;
      plan.next.ledger = compacted;
    }
    // The next run that must look at this customer: the first whose decision would change the file.
    const nextAgingAt = nextMonitorVisit(plan.next, compacted ?? ledger, now, local).at;
    plan.patch.nextAgingAt = nextAgingAt;
    // The customer's own write goes first: it carries the precondition, before the audit head's merge.
    writeCustomer(
      tx,
      customerId,
      plan.patch,
      { head: snap!, state: stateSnap! },
      pre && snap!.updateTime ? { headUpdateTime: snap!.updateTime } : {},
    );
    const audit = new AuditAppender(tx, chains.customer(customerId), headOf(snap!.data()), now);
    const raised = writeRaised(tx, audit, subject, d.alertsToRaise, existing, now);
    const resolved = writeResolved(tx, audit, subject, d.alertsToResolve, existing, now);
    plan.writeRest(tx, audit);
    return { ...plan.result, raised, resolved, nextAgingAt };
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
    audit.append({
      action: "alert.raise",
      actor: MONITOR_ACTOR,
      target: ref.path,
      before: null,
      after: { type: a.type, code: a.code, status: "open" },
      reason: a.code,
      requestId: null,
    });
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
    audit.append({
      action: "alert.auto_resolve",
      actor: MONITOR_ACTOR,
      target: ref.path,
      before: { status: "open" },
      after: { status: "resolved" },
      reason: a.reason,
      requestId: null,
    });
    out.push(a.type);
  }
  return out;
}

/** The customer's patch (domain/monitoring.ts monitoredFile), and the proposal and audit writes that go with it. */
function planCustomer(
  customer: MonitoredCustomer,
  d: MonitorDecision & { customerId: string },
  propRef: FirebaseFirestore.DocumentReference | null,
  propExists: boolean,
  now: number,
): {
  patch: Record<string, unknown>;
  /** The file as this visit leaves it (what its next visit is computed from). */
  next: MonitoredCustomer;
  result: Omit<MonitorResult, "raised" | "resolved" | "nextAgingAt">;
  writeRest: (tx: Transaction, audit: AuditAppender) => void;
} {
  const customerPath = paths.customer(d.customerId);
  const request = d.proposal && propRef ? proposalRequest(d.customerId, d.proposal, MONITOR_ACTOR.uid, now) : null;
  const create = request !== null && !propExists;
  // An increase the policy approves follows the limit rules of a person's (a temporary limit it reaches ends).
  const { next, patch, availableBefore, statusChanged, change } = monitoredFile(customer, d, now, create);

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
          after: {
            source: d.proposal.source,
            currentLimit: d.proposal.currentLimit,
            newLimit: d.proposal.newLimit,
            status: "pending",
          },
          reason: d.proposal.reason,
          requestId: null,
        });
      }
    }
    if (change)
      audit.append({
        action: "customer.monitor",
        actor: MONITOR_ACTOR,
        target: customerPath,
        before: change.before,
        after: change.after,
        reason: change.reason,
        requestId: null,
      });
  };

  return {
    patch,
    next,
    writeRest,
    result: {
      customerId: d.customerId,
      outcome: "monitored",
      status: next.status,
      statusChanged,
      tier: next.tier,
      proposal:
        request && propRef && d.proposal
          ? {
              id: propRef.id,
              source: d.proposal.source,
              status: request.status as "pending" | "approved",
              newLimit: d.proposal.newLimit,
              created: create,
            }
          : null,
    },
  };
}

// ---------------------------------------------------------------------------------------
// The daily job

export interface ScheduleRun {
  shards: number;
  enqueued: number;
  existing: number;
  /** The policy changed since the queue's dates were computed: every customer is visited by this run. */
  refresh: boolean;
  /** Heads without a shard were still being given one when the schedule's time ran out. */
  shardsPending: boolean;
}

/**
 * The daily schedule: give old heads their shard (once), then enqueue one task per shard for
 * this run (idempotent names). A policy edit since the last run makes each task visit its whole
 * shard once (`refresh`).
 */
export async function scheduleDailyMonitoring(
  now: number,
  policy: CreditPolicy,
  opts: { enqueue: Enqueue<MonitorTask>; deadline?: number; clock?: () => number },
): Promise<ScheduleRun> {
  const clock = opts.clock ?? Date.now;
  const shards = await ensureShards(now, opts.deadline ?? Number.POSITIVE_INFINITY, clock);
  const state = await readWorkQueueState();
  const stamp = policyStamp(policy);
  const refresh = state.monitorPolicy !== null && state.monitorPolicy !== stamp;
  const run: ScheduleRun = {
    shards: ALL_SHARDS.length,
    enqueued: 0,
    existing: 0,
    refresh,
    shardsPending: !shards.done,
  };
  for (const shard of ALL_SHARDS) {
    const task: MonitorTask = { job: "monitor", asOf: now, shard, ...(refresh ? { refresh: true } : {}) };
    if ((await opts.enqueue(task, { id: monitorTaskId(task) })) === "enqueued") run.enqueued++;
    else run.existing++;
  }
  if (state.monitorPolicy !== stamp) await recordMonitorPolicy(stamp);
  logs.jobProgress("dailyMonitoring", 0, true);
  return run;
}

export interface MonitorShardOptions {
  /** Stop taking customers at this time (on `clock`); what is left continues in a task. */
  deadline: number;
  /** Default policy.jobs.pageSize. */
  pageSize?: number;
  /** Customers processed at once within a page (default 8). */
  concurrency?: number;
  /** Default Date.now (tests pass a fake). */
  clock?: () => number;
}

export interface MonitorShardRun {
  processed: number;
  skipped: number;
  failed: string[];
  pages: number;
  /** Customers of the shard are still due (the deadline came first): the task's continuation, when it does not fail. */
  continuation: MonitorTask | null;
}

const dueInShard = (shard: number, asOf: number) =>
  firestore()
    .collection(COLLECTIONS.customers)
    .where("shard", "==", shard)
    .where("nextAgingAt", "<=", Timestamp.fromMillis(asOf))
    .orderBy("nextAgingAt");

/**
 * One shard's pass: monitor every customer of the shard due at `asOf`, page by page. A visit
 * moves the customer's nextAgingAt past the run, out of the query, so the next page is simply the
 * query again. A customer that fails stays due; the page grows by the failures so they cannot
 * block the queue. At least one page is processed per call (progress). It enqueues nothing: the
 * caller (the task) fails when a customer failed — its retry takes them and the rest — and only
 * otherwise hands `continuation` to the queue, so a retry and a continuation never run side by side.
 */
export async function monitorShard(
  task: MonitorTask,
  policy: CreditPolicy,
  opts: MonitorShardOptions,
): Promise<MonitorShardRun> {
  const clock = opts.clock ?? Date.now;
  const pageSize = opts.pageSize ?? policy.jobs.pageSize;
  const { asOf, shard } = task;
  const run: MonitorShardRun = { processed: 0, skipped: 0, failed: [], pages: 0, continuation: null };
  const next = (refresh: boolean): MonitorTask => ({
    job: "monitor",
    asOf,
    shard,
    part: (task.part ?? 0) + 1,
    ...(refresh ? { refresh: true } : {}),
  });
  if (task.refresh) {
    // A policy edit: every customer of the shard is due at this run (pulled into the queue first).
    const pulled = await pullShard(shard, asOf, opts.deadline, clock);
    if (!pulled.done) return { ...run, continuation: next(true) };
  }
  const failed = new Set<string>();
  let outOfTime = false;
  for (;;) {
    if (run.pages > 0 && clock() >= opts.deadline) {
      outOfTime = true;
      break;
    }
    if (failed.size > 10 * pageSize) {
      logs.jobStuck("dailyMonitoring", failed.size);
      break;
    }
    const limit = pageSize + failed.size;
    const page = await dueInShard(shard, asOf).limit(limit).get();
    const todo = page.docs.filter((d) => !failed.has(d.id));
    if (todo.length === 0) break;
    run.pages++;
    const stopped = await pool(
      todo,
      opts.concurrency ?? 8,
      async (doc) => {
        try {
          const r = await monitorCustomer(doc.id, asOf, policy, { onlyIfDue: true, snapshot: doc });
          if (r.outcome === "monitored") run.processed++;
          else run.skipped++;
        } catch (err) {
          failed.add(doc.id);
          logs.jobCustomerFailed("dailyMonitoring", doc.id, err);
        }
      },
      () => run.pages > 1 && clock() >= opts.deadline,
    );
    if (stopped) {
      outOfTime = true;
      break;
    }
    if (page.size < limit) break; // a short page was the whole queue
  }
  run.failed = [...failed];
  if (outOfTime) {
    // Whatever is still due (besides the failures) continues in a task.
    const left = await dueInShard(shard, asOf)
      .limit(failed.size + 1)
      .get();
    if (left.docs.some((d) => !failed.has(d.id))) run.continuation = next(false);
  }
  logs.jobProgress("dailyMonitoring", run.processed, run.continuation !== null);
  return run;
}
