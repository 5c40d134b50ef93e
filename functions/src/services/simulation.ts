/**
 * simulatePolicy: what a candidate policy would do to the portfolio, without writing anything to
 * the credit files (domain/simulation.ts says what is compared and how).
 *
 * The candidate is a partial policy merged over the policy in force and validated exactly like
 * an admin's edit of config/creditPolicy (domain/policy.ts resolvePolicy): an invalid one is
 * refused with `invalid-argument` naming the path (`policy.limits.gradeCaps.B: …`).
 *
 * A portfolio of at most `simulation.directMaxCustomers` customers (or a `sampleSize` of the
 * largest exposures) is answered at once and nothing is written. A larger one runs as a job on
 * the `simulatePolicyBatch` task queue: `simulations/{id}` holds both policies (so every part
 * compares the same two), the FX table, the cursor, the progress and the running tally, and the
 * result when done. Each part takes pages of customers until its time budget, then commits its
 * tally and cursor together with `part + 1`, and enqueues that part (task id
 * `simulate-{id}-{part}`): a task delivered twice, or one for a part already committed, changes
 * nothing. Starting a job is audited in the system chain (`simulation.start`), and so is its
 * end (`simulation.done`).
 */
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { firestore } from "../data/firebase.js";
import { idempotencyKey, priorResult, recordResult } from "../data/requests.js";
import {
  allCustomerHeads,
  countCustomers,
  customerPage,
  exposureByCurrency,
  filesOf,
  FIRST_PAGE,
  largestExposures,
  simulationFromStored,
  simulationRefs,
  simulationToStored,
  type FileToEvaluate,
  type SimulationDoc,
} from "../data/simulations.js";
import { withAggregates, type CustomerFile } from "../domain/customer.js";
import { invalid } from "../domain/errors.js";
import { emptyLedger, summarize, type LedgerState } from "../domain/ledger.js";
import { canConvert, convertMinor, policyInCurrency, type FxTable } from "../domain/money.js";
import type { MonitoredCustomer } from "../domain/monitoring.js";
import { deepMerge, resolvePolicy } from "../domain/policy.js";
import type { Caller } from "../domain/roles.js";
import {
  addFailure,
  addToTally,
  changedPaths,
  emptyTally,
  mergeTallies,
  underPolicy,
  unknownSetting,
  type Tally,
} from "../domain/simulation.js";
import { logs } from "../logs.js";
import type { SimulatePolicyInput } from "../schemas/callables.js";
import { creditPolicySchema, type CreditPolicy } from "../schemas/policy.js";
import type { WhatIfResult } from "../schemas/reports.js";
import { loadFxTable } from "./fx.js";
import type { Enqueue } from "./jobKit.js";
import { loadPolicy } from "./policy.js";

export interface SimulationTask {
  simulationId: string;
  part: number;
}

export interface SimulatePolicyResult {
  mode: "direct" | "queued";
  simulationId: string | null;
  status: "done" | "queued" | "running";
  portfolio: number;
  result: WhatIfResult | null;
}

export const SIMULATION_ACTOR = { uid: "system:policy-simulation", role: "system" } as const;

export function simulationTaskId(simulationId: string, part: number): string {
  return `simulate-${simulationId}-${part}`;
}

/** The candidate: the partial policy over the one in force, validated like an admin's edit. */
export function resolveCandidate(current: CreditPolicy, partial: Record<string, unknown>, fx: FxTable): CreditPolicy {
  const r = resolvePolicy(deepMerge(current, partial));
  if (!r.ok) {
    const first = r.issues[0]!;
    throw invalid(`policy${first.path ? `.${first.path}` : ""}`, first.message);
  }
  const unknown = unknownSetting(partial, r.policy);
  if (unknown !== null) throw invalid(`policy.${unknown}`, "is not a setting of the credit policy");
  if (!canConvert(fx, r.policy.baseCurrency))
    throw invalid("policy.baseCurrency", `${r.policy.baseCurrency} has no exchange rate in the FX table in force`);
  return r.policy;
}

/** One credit file under both policies, added to the tally (unconvertible and unreadable files are counted apart). */
export function evaluateFile(
  t: Tally,
  f: FileToEvaluate,
  current: CreditPolicy,
  candidate: CreditPolicy,
  fx: FxTable,
  asOf: number,
): Tally {
  const currency = f.file.currency;
  if (!canConvert(fx, currency) || !canConvert(fx, current.baseCurrency))
    return { ...t, unconverted: t.unconverted + 1 };
  try {
    const aggregates = summarize((f.file.ledger as LedgerState | undefined) ?? emptyLedger(), asOf);
    const file = withAggregates(f.file as CustomerFile, aggregates) as MonitoredCustomer;
    const base = current.baseCurrency;
    return addToTally(
      t,
      {
        customerId: f.customerId,
        name: file.name,
        currency,
        toBase: (x) => convertMinor(x, currency, base, fx, "nearest"),
        current: underPolicy(file, aggregates, f.statement, asOf, policyInCurrency(current, currency, fx)),
        candidate: underPolicy(file, aggregates, f.statement, asOf, policyInCurrency(candidate, currency, fx)),
      },
      current.simulation.maxListed,
    );
  } catch {
    return addFailure(t, f.customerId);
  }
}

function evaluateAll(
  files: FileToEvaluate[],
  unreadable: string[],
  current: CreditPolicy,
  candidate: CreditPolicy,
  fx: FxTable,
  asOf: number,
  into: Tally = emptyTally(),
): Tally {
  let t = into;
  for (const f of files) t = evaluateFile(t, f, current, candidate, fx, asOf);
  for (const id of unreadable) t = addFailure(t, id);
  return t;
}

export function resultOf(
  t: Tally,
  asOf: number,
  baseCurrency: string,
  changes: string[],
  sample: WhatIfResult["sample"],
): WhatIfResult {
  return {
    asOf: new Date(asOf).toISOString(),
    baseCurrency,
    changes,
    evaluated: t.evaluated,
    sample,
    unconverted: t.unconverted,
    failed: t.failed,
    migration: t.migration,
    limits: t.limits,
    overLimit: t.overLimit,
    onHold: t.onHold,
    blockedOrders: t.blockedOrders,
    customers: t.customers,
  };
}

/** The `n` largest exposures in the base currency, and their share of the portfolio's exposure. */
async function sampleOf(
  n: number,
  current: CreditPolicy,
  fx: FxTable,
): Promise<{ heads: Awaited<ReturnType<typeof largestExposures>>; share: number | null }> {
  const currencies = [...new Set([current.baseCurrency, ...current.currencies])].filter((c) => canConvert(fx, c));
  const candidates = await largestExposures(currencies, n);
  const inBase = (d: (typeof candidates)[number]) =>
    convertMinor(Number(d.get("exposure") ?? 0), String(d.get("currency")), current.baseCurrency, fx, "nearest");
  const ranked = candidates
    .map((d) => ({ d, e: inBase(d) }))
    .sort((a, b) => b.e - a.e || (a.d.id < b.d.id ? -1 : 1))
    .slice(0, n);
  const sums = await exposureByCurrency(currencies);
  const total = Object.entries(sums).reduce(
    (s, [c, e]) => s + convertMinor(e, c, current.baseCurrency, fx, "nearest"),
    0,
  );
  const held = ranked.reduce((s, r) => s + Math.max(0, r.e), 0);
  return { heads: ranked.map((r) => r.d), share: total > 0 ? Math.round((held / total) * 1000) / 1000 : null };
}

export async function simulatePolicy(
  input: SimulatePolicyInput,
  caller: Caller,
  now: number,
  deps: { enqueue?: Enqueue<SimulationTask>; policy?: CreditPolicy } = {},
): Promise<SimulatePolicyResult> {
  const current = deps.policy ?? (await loadPolicy(now));
  const fx = await loadFxTable(now, current);
  const candidate = resolveCandidate(current, input.policy, fx);
  const changes = changedPaths(current, candidate);
  const directMax = current.simulation.directMaxCustomers;
  const portfolio = await countCustomers();

  if (input.sampleSize !== undefined) {
    if (input.sampleSize > directMax)
      throw invalid(
        "sampleSize",
        `must be at most ${directMax} (simulation.directMaxCustomers); leave it out to run the whole portfolio as a job`,
      );
    const sample = await sampleOf(input.sampleSize, current, fx);
    const { files, unreadable } = await filesOf(sample.heads);
    const t = evaluateAll(files, unreadable, current, candidate, fx, now);
    logs.simulationProgress(null, "sample", t.evaluated, true);
    return {
      mode: "direct",
      simulationId: null,
      status: "done",
      portfolio,
      result: resultOf(t, now, current.baseCurrency, changes, {
        size: sample.heads.length,
        exposureShare: sample.share,
      }),
    };
  }

  const heads = portfolio <= directMax ? await allCustomerHeads(directMax) : null;
  if (heads) {
    const { files, unreadable } = await filesOf(heads);
    const t = evaluateAll(files, unreadable, current, candidate, fx, now);
    logs.simulationProgress(null, "direct", t.evaluated, true);
    return {
      mode: "direct",
      simulationId: null,
      status: "done",
      portfolio,
      result: resultOf(t, now, current.baseCurrency, changes, null),
    };
  }

  // A large portfolio: a job, started once per requestId.
  const key = idempotencyKey("simulatePolicy", caller.uid, input);
  const ref = simulationRefs.newSimulation();
  const chain = chains.system();
  const out = await firestore().runTransaction(async (tx) => {
    const [prior, head] = await Promise.all([priorResult<SimulatePolicyResult>(tx, key), tx.get(chain.headDoc)]);
    if (prior !== undefined) return prior;
    const doc: SimulationDoc = {
      status: "queued",
      requestedBy: caller.uid,
      requestedByRole: caller.role,
      createdAt: now,
      updatedAt: now,
      completedAt: null,
      asOf: now,
      currentPolicyJson: JSON.stringify(current),
      candidatePolicyJson: JSON.stringify(candidate),
      fxJson: JSON.stringify(fx),
      changes,
      part: 0,
      cursor: FIRST_PAGE,
      total: portfolio,
      evaluated: 0,
      progress: 0,
      tally: emptyTally() as unknown as Record<string, unknown>,
      result: null,
    };
    tx.create(ref, simulationToStored(doc));
    new AuditAppender(tx, chain, headOf(head.data()), now).append({
      action: "simulation.start",
      actor: caller,
      target: ref.path,
      before: null,
      after: { changes, portfolio },
      reason: null,
      requestId: input.requestId ?? null,
    });
    const started: SimulatePolicyResult = {
      mode: "queued",
      simulationId: ref.id,
      status: "queued",
      portfolio,
      result: null,
    };
    recordResult(tx, key, started, now);
    return started;
  });
  // A retry (same requestId) makes sure the job's next part is on the queue (the id makes it once).
  if (out.simulationId) await enqueueNextPart(out.simulationId, deps.enqueue);
  logs.simulationProgress(out.simulationId, "queued", 0, false);
  return out;
}

async function enqueueNextPart(simulationId: string, enqueue: Enqueue<SimulationTask> | undefined): Promise<void> {
  const sim = simulationFromStored((await simulationRefs.simulation(simulationId).get()).data());
  if (!sim || sim.status === "done" || sim.status === "failed") return;
  if (!enqueue) throw new Error("simulatePolicy: no task queue to run a large portfolio on");
  await enqueue({ simulationId, part: sim.part }, { id: simulationTaskId(simulationId, sim.part) });
}

export interface PartRun {
  outcome: "done" | "continued" | "stale" | "missing";
  evaluated: number;
}

/**
 * One part of a simulation job: pages of customers from the stored cursor until `deadline`,
 * then the tally, cursor and progress committed with the next part number (the commit happens
 * only if the document is still at this part: a second delivery of it changes nothing).
 */
export async function runSimulationPart(
  task: SimulationTask,
  opts: { enqueue: Enqueue<SimulationTask>; deadline?: number; clock?: () => number; pageSize?: number; now?: number },
): Promise<PartRun> {
  const clock = opts.clock ?? Date.now;
  const ref = simulationRefs.simulation(task.simulationId);
  const sim = simulationFromStored((await ref.get()).data());
  if (!sim) return { outcome: "missing", evaluated: 0 };
  if (sim.status === "done" || sim.status === "failed") return { outcome: "stale", evaluated: 0 };
  if (task.part !== sim.part) {
    // An older part delivered again: make sure the part due is queued, and do nothing else.
    if (task.part < sim.part)
      await opts.enqueue(
        { simulationId: task.simulationId, part: sim.part },
        { id: simulationTaskId(task.simulationId, sim.part) },
      );
    return { outcome: "stale", evaluated: 0 };
  }
  const current = creditPolicySchema.parse(JSON.parse(sim.currentPolicyJson));
  const candidate = creditPolicySchema.parse(JSON.parse(sim.candidatePolicyJson));
  const fx = JSON.parse(sim.fxJson) as FxTable;
  const pageSize = opts.pageSize ?? current.jobs.pageSize;
  let cursor = sim.cursor;
  let tally = emptyTally();
  let done = false;
  let pages = 0;
  while (!done && !(pages > 0 && opts.deadline !== undefined && clock() >= opts.deadline)) {
    const page = await customerPage(cursor, pageSize);
    const { files, unreadable } = await filesOf(page.docs);
    tally = evaluateAll(files, unreadable, current, candidate, fx, sim.asOf, tally);
    cursor = page.next;
    done = page.done;
    pages++;
  }
  const now = opts.now ?? clock();
  const chain = chains.system();
  const committed = await firestore().runTransaction(async (tx) => {
    const [snap, head] = await Promise.all([tx.get(ref), done ? tx.get(chain.headDoc) : Promise.resolve(null)]);
    const fresh = simulationFromStored(snap.data());
    if (!fresh || fresh.part !== task.part || fresh.status === "done") return null;
    const merged = mergeTallies(fresh.tally as unknown as Tally, tally, current.simulation.maxListed);
    const patch: Partial<SimulationDoc> = {
      status: done ? "done" : "running",
      part: task.part + 1,
      cursor,
      evaluated: merged.evaluated + merged.failed + merged.unconverted,
      progress: done
        ? 1
        : Math.min(
            1,
            fresh.total > 0
              ? Math.round(((merged.evaluated + merged.failed + merged.unconverted) / fresh.total) * 1000) / 1000
              : 0,
          ),
      tally: merged as unknown as Record<string, unknown>,
      updatedAt: now,
      ...(done
        ? {
            completedAt: now,
            result: resultOf(merged, sim.asOf, current.baseCurrency, sim.changes, null) as unknown as Record<
              string,
              unknown
            >,
          }
        : {}),
    };
    tx.update(ref, simulationToStored(patch));
    if (done && head) {
      new AuditAppender(tx, chain, headOf(head.data()), now).append({
        action: "simulation.done",
        actor: SIMULATION_ACTOR,
        target: ref.path,
        before: { status: fresh.status },
        after: { status: "done", evaluated: merged.evaluated, failed: merged.failed, parts: task.part + 1 },
        reason: null,
        requestId: null,
      });
    }
    return merged;
  });
  if (!committed) return { outcome: "stale", evaluated: 0 };
  logs.simulationProgress(task.simulationId, "job", committed.evaluated, done);
  if (!done)
    await opts.enqueue(
      { simulationId: task.simulationId, part: task.part + 1 },
      { id: simulationTaskId(task.simulationId, task.part + 1) },
    );
  return { outcome: done ? "done" : "continued", evaluated: tally.evaluated };
}
