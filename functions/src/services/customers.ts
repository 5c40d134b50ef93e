/**
 * Use-cases on an existing credit file: new financial statements and an analyst's
 * reassessment (the order check is in services/orders.ts).
 */
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { toStored } from "../data/convert.js";
import { customerRefs, plain, readCustomer, writeCustomer } from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import { idempotencyKey, priorResult, recordResult } from "../data/requests.js";
import { changedFields } from "../domain/audit.js";
import { availableCredit, nextMonth, withAggregates, type CustomerFile } from "../domain/customer.js";
import { limitRequestRefs } from "../data/limits.js";
import { emptyLedger, summarize, type LedgerState } from "../domain/ledger.js";
import { denied, invalid, notFound } from "../domain/errors.js";
import { checkStatement, computeRatios, type FinancialStatement } from "../domain/financials.js";
import { judgeCustomer, recommendationSummary } from "../domain/reassessment.js";
import { policyInCurrency, type FxTable } from "../domain/money.js";
import type { Caller } from "../domain/roles.js";
import type { StatementInput } from "../schemas/callables.js";
import type { CreditPolicy, Grade, Tier } from "../schemas/policy.js";
import { logs } from "../logs.js";
import { loadFxTable } from "./fx.js";
import { writeLimitFollowUp } from "./reassessment.js";

/** Sales see and act on their own customers only. */
export function assertInScope(customer: Pick<CustomerFile, "ownerUid">, caller: Caller, customerId: string): void {
  if (caller.role === "sales" && customer.ownerUid !== caller.uid)
    throw denied(`customer ${customerId} is not one of your customers`);
}

interface FinancialsDoc {
  statements: FinancialStatement[];
  latest: FinancialStatement | null;
}

const MAX_STATEMENTS_KEPT = 12;

export interface ScoreResult {
  score: number;
  grade: Grade;
  tier: Tier;
  confidence: number;
  recommendedLimit: number;
  reasons: string[];
  classReasons: string[];
  /** What the reassessment did to the limit: a cut applied, or a proposal for a person (limitRequests/{limitRequestId}). */
  limitAction?: {
    action: "none" | "cut" | "propose_cut" | "propose_increase";
    limitRequestId: string | null;
    newLimit: number | null;
  };
}

/**
 * Reassess one customer inside a transaction: reads customer + financials, writes the
 * customer head, the assessment document, a review record and the audit entry.
 */
async function reassessWith(
  customerId: string,
  caller: Caller,
  now: number,
  basePolicy: CreditPolicy,
  opts: {
    newStatement?: FinancialStatement;
    input: { requestId?: string | undefined };
    callable: string;
    action: string;
    fx?: FxTable | undefined;
  },
): Promise<ScoreResult> {
  const db = firestore();
  const ref = customerRefs.customer(customerId);
  const finRef = customerRefs.financials(customerId);
  const key = idempotencyKey(opts.callable, caller.uid, opts.input);
  const table = opts.fx ?? (await loadFxTable(now, basePolicy));
  return db.runTransaction(async (tx) => {
    const [prior, read, finSnap] = await Promise.all([
      priorResult<ScoreResult>(tx, key),
      readCustomer(tx, customerId),
      tx.get(finRef),
    ]);
    if (prior !== undefined) return prior;
    const stored = read.file;
    if (!stored) throw notFound("customer", customerId);
    assertInScope(stored, caller, customerId);
    // The file as of now: receivables re-aged from the ledger state.
    const customer = withAggregates(
      stored,
      summarize((stored.ledger as LedgerState | undefined) ?? emptyLedger(), now),
    );
    // Caps, capacity and tolerance in the customer's currency, at today's rate.
    const policy = policyInCurrency(basePolicy, customer.currency, table);
    const fin = plain<FinancialsDoc>(finSnap);
    let statement = fin?.latest ?? null;
    if (opts.newStatement) {
      if (opts.newStatement.currency !== customer.currency)
        throw invalid("statement.currency", `must be the customer's currency ${customer.currency}`);
      statement = opts.newStatement;
      const statements = [
        opts.newStatement,
        ...(fin?.statements ?? []).filter((s) => s.periodEnd !== opts.newStatement!.periodEnd),
      ]
        .sort((a, b) => b.periodEnd - a.periodEnd)
        .slice(0, MAX_STATEMENTS_KEPT);
      statement = statements[0]!;
      tx.set(
        finRef,
        toStored({
          statements,
          latest: statement,
          ratios: computeRatios(statement),
          check: checkStatement(statement, policy.balanceTolerance),
          updatedAt: now,
        }) as FirebaseFirestore.DocumentData,
      );
    }
    const { assessment, limit, cls, limitAction } = judgeCustomer(customer, statement, now, policy);
    const followUp = writeLimitFollowUp(
      tx,
      customerId,
      customer,
      limitAction,
      limitRequestRefs.newRequest(),
      caller,
      now,
    );
    const before = {
      score: customer.score,
      grade: customer.grade,
      tier: customer.tier,
      confidence: customer.confidence,
    };
    const after = {
      score: assessment.score,
      grade: assessment.grade,
      tier: cls.tier,
      confidence: assessment.confidence,
    };
    const patch = {
      ...after,
      financialScores: assessment.financialScores,
      classReasons: cls.classReasons,
      aggregates: customer.aggregates,
      ...followUp.patch,
      lastReviewScore: assessment.score,
      lastReviewTier: cls.tier,
      lastReviewGrade: assessment.grade,
      latestStatementAt: statement?.periodEnd ?? null,
      latestStatement: statement,
      assessedAt: now,
      lastReviewedAt: now,
      nextReviewAt: nextMonth(now),
      updatedAt: now,
      availableCredit: availableCredit(followUp.file, now),
    };
    writeCustomer(tx, customerId, patch, read);
    const assessmentDoc = {
      score: assessment.score,
      confidence: assessment.confidence,
      grade: assessment.grade,
      tier: cls.tier,
      scoredTier: assessment.tier,
      classReasons: cls.classReasons,
      classOverride: customer.classOverride ?? null,
      factors: assessment.factors,
      reasons: assessment.reasons,
      flags: assessment.flags,
      ratios: assessment.ratios,
      recommendedLimit: limit.recommendedLimit,
      limitBounds: limit.bounds,
      source: opts.action,
      updatedAt: now,
    };
    tx.set(customerRefs.assessment(customerId), toStored(assessmentDoc) as FirebaseFirestore.DocumentData, {
      merge: true,
    });
    tx.set(
      customerRefs.newReview(customerId),
      toStored({
        ...assessmentDoc,
        previous: before,
        reviewedBy: caller.uid,
        reviewedAt: now,
      }) as FirebaseFirestore.DocumentData,
    );
    const diff = changedFields(before, after);
    const audit = new AuditAppender(tx, chains.customer(customerId), headOf(read.head.data()), now);
    followUp.appendAudit(audit);
    audit.append({
      action: opts.action,
      actor: caller,
      target: ref.path,
      before: opts.newStatement ? { ...diff.before, statementPeriodEnd: fin?.latest?.periodEnd ?? null } : diff.before,
      after: opts.newStatement ? { ...diff.after, statementPeriodEnd: opts.newStatement.periodEnd } : diff.after,
      reason: null,
      requestId: opts.input.requestId ?? null,
    });
    const out: ScoreResult = {
      ...recommendationSummary(assessment, limit),
      tier: cls.tier,
      classReasons: cls.classReasons,
      limitAction: followUp.result,
    };
    recordResult(tx, key, out, now);
    logs.customerReassessed(customerId, out.grade, out.tier);
    return out;
  });
}

export async function updateFinancials(
  input: { customerId: string; statement: StatementInput; requestId?: string | undefined },
  caller: Caller,
  now: number,
  policy: CreditPolicy,
) {
  // A statement ending in the future would stay "latest" until then, whatever is filed later.
  if (input.statement.periodEnd > now)
    throw invalid("statement.periodEnd", "must not be in the future: a statement covers a period that has ended");
  return reassessWith(input.customerId, caller, now, policy, {
    newStatement: input.statement,
    input,
    callable: "updateFinancials",
    action: "customer.financials_update",
  }).then(({ score, grade, tier, confidence, classReasons }) => ({ score, grade, tier, confidence, classReasons }));
}

export function reassessCustomer(
  input: { customerId: string; requestId?: string | undefined },
  caller: Caller,
  now: number,
  policy: CreditPolicy,
) {
  return reassessWith(input.customerId, caller, now, policy, {
    input,
    callable: "reassessCustomer",
    action: "customer.reassess",
  });
}
