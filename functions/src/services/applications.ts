/**
 * Credit applications: submit → review → decide. Each use-case is one Firestore
 * transaction (all reads first, then writes) that also writes its audit entries and,
 * when the client sent a `requestId`, the idempotency record.
 */
import { decisionTiming } from "../domain/reports.js";
import { Timestamp } from "firebase-admin/firestore";
import { applicationFromSnapshot, applicationRefs, applicationToStored } from "../data/applications.js";
import { marked } from "../data/serviceWrites.js";
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { createCustomer, customerRefs } from "../data/customers.js";
import { firestore } from "../data/firebase.js";
import {
  collisionsOf,
  collisionStandings,
  contactIdentityKeys,
  identityKey,
  readIdentityOwners,
  registerIdentities,
  uniqueKeys,
  unregisterIdentities,
  type IdentityKey,
} from "../data/identities.js";
import { paths } from "../data/paths.js";
import { idempotencyKey, priorResult, recordResult } from "../data/requests.js";
import { toStored } from "../data/convert.js";
import { canDecide, canReview, type ApplicationReview, type CreditApplication } from "../domain/application.js";
import { EMPTY_AGGREGATES, nextDay, nextMonth, reportFields, type CustomerFile } from "../domain/customer.js";
import { personMemo } from "../domain/decisions.js";
import { CreditDeskError, invalid, notFound, precondition } from "../domain/errors.js";
import { computeRatios, checkStatement, type FinancialStatement } from "../domain/financials.js";
import { applicationSignals, shouldHold } from "../domain/fraud.js";
import { recommendLimit } from "../domain/limits.js";
import { recommendationSummary } from "../domain/reassessment.js";
import { policyInCurrency, type FxTable } from "../domain/money.js";
import { withinAuthority, type Caller } from "../domain/roles.js";
import { assertConvertible, loadFxTable } from "./fx.js";
import { authorityNote, conversionOf } from "./money.js";
import { assess } from "../domain/scoring.js";
import type { DecideCreditApplicationInput, SubmitCreditApplicationInput } from "../schemas/callables.js";
import type { CreditPolicy, Grade, Tier } from "../schemas/policy.js";
import { logs } from "../logs.js";

function identityKeysOf(input: Pick<CreditApplication, "company" | "contacts">): IdentityKey[] {
  const keys = [
    identityKey("registration", `${input.company.country}:${input.company.registrationNo}`),
    ...contactIdentityKeys(input.contacts),
  ];
  if (input.company.bankAccount) keys.push(identityKey("bank_account", input.company.bankAccount));
  return uniqueKeys(keys);
}

function financialScoresOf(factors: ApplicationReview["factors"]) {
  const fin = factors.filter((f) => f.group === "financial");
  return fin.length ? Object.fromEntries(fin.map((f) => [f.factor, f.score])) : null;
}

export interface SubmitResult {
  applicationId: string;
  status: "submitted";
}

export async function submitApplication(
  input: SubmitCreditApplicationInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
  fx?: FxTable,
): Promise<SubmitResult> {
  if (!policy.currencies.includes(input.currency))
    throw invalid("currency", `${input.currency} is not a currency the policy accepts`);
  if (input.financials && input.financials.periodEnd > now)
    throw invalid("financials.periodEnd", "must not be in the future: a statement covers a period that has ended");
  // Every figure the application will be judged by is converted from the base currency: it needs a rate.
  assertConvertible("currency", input.currency, fx ?? (await loadFxTable(now, policy)));
  if (input.financials && input.financials.currency !== input.currency) {
    throw invalid("financials.currency", "must be the application's currency");
  }
  if (input.paymentTermsDays > policy.paymentTerms.maxDays) {
    throw invalid("paymentTermsDays", `must be at most ${policy.paymentTerms.maxDays} days`);
  }
  const db = firestore();
  const ref = applicationRefs.newApplication();
  const key = idempotencyKey("submitCreditApplication", caller.uid, input);
  const application: CreditApplication = {
    applicantUid: caller.uid,
    status: "submitted",
    company: input.company,
    contacts: input.contacts,
    requestedLimit: input.requestedLimit,
    currency: input.currency,
    paymentTermsDays: input.paymentTermsDays,
    financials: input.financials ?? null,
    tradeReferences: input.tradeReferences ?? [],
    submittedAt: now,
    updatedAt: now,
    reviewedAt: null,
    reviewedBy: null,
    decidedAt: null,
    decidedBy: null,
    decision: null,
    approvedLimit: null,
    customerId: null,
  };
  const keys = identityKeysOf(application);
  const self = `application:${ref.id}`;
  const result = await db.runTransaction(async (tx) => {
    const applicantRef = firestore().doc(paths.applicant(caller.uid));
    const [prior, applicantSnap] = await Promise.all([priorResult<SubmitResult>(tx, key), tx.get(applicantRef)]);
    if (prior !== undefined) return prior;
    // One applicant cannot flood the queue (or the identity index) with applications.
    const open = (applicantSnap.get("open") as number | undefined) ?? 0;
    if (open >= policy.fraud.maxOpenApplications) {
      throw precondition(
        `an applicant may have at most ${policy.fraud.maxOpenApplications} open applications: wait for a decision on one`,
        { reason: "TOO_MANY_OPEN_APPLICATIONS" },
      );
    }
    const owners = await readIdentityOwners(tx, keys);
    const collisions = collisionsOf(keys, owners, self);
    tx.set(ref, marked(ref, applicationToStored(application)));
    const review: ApplicationReview = {
      identityCollisions: collisions,
      score: null,
      confidence: null,
      grade: null,
      tier: null,
      recommendedLimit: null,
      limitBounds: [],
      reasons: [],
      factors: [],
      flags: [],
      fraudSignals: [],
      fraudHold: false,
      reviewedAt: null,
      reviewedBy: null,
    };
    tx.set(applicationRefs.assessment(ref.id), toStored(review) as FirebaseFirestore.DocumentData);
    registerIdentities(tx, keys, owners, self);
    tx.set(applicantRef, { open: open + 1, updatedAt: Timestamp.fromMillis(now) });
    new AuditAppender(tx, chains.application(ref.id), headOf(undefined), now).append({
      action: "application.submit",
      actor: caller,
      target: ref.path,
      before: null,
      after: {
        status: "submitted",
        requestedLimit: input.requestedLimit,
        currency: input.currency,
        paymentTermsDays: input.paymentTermsDays,
      },
      reason: null,
      requestId: input.requestId ?? null,
    });
    const out: SubmitResult = { applicationId: ref.id, status: "submitted" };
    recordResult(tx, key, out, now);
    return out;
  });
  logs.applicationSubmitted(result.applicationId);
  return result;
}

export interface ApplicationReviewResult {
  score: number;
  grade: Grade;
  tier: Tier;
  confidence: number;
  recommendedLimit: number;
  reasons: string[];
  fraudSignals: string[];
  status: "under_review";
}

/** Score a prospect from what it submitted: profile and statement (no history yet). */
export function evaluateApplication(
  app: CreditApplication,
  collisions: ApplicationReview["identityCollisions"],
  now: number,
  policy: CreditPolicy,
) {
  const statement: FinancialStatement | null = app.financials;
  const fraudSignals = applicationSignals(
    { foundedYear: app.company.foundedYear, requestedLimit: app.requestedLimit, statement, collisions, asOf: now },
    policy.fraud,
    policy.balanceTolerance,
  );
  const fraudHold = shouldHold(fraudSignals, policy.fraud);
  const assessment = assess(
    {
      asOf: now,
      profile: { industry: app.company.industry, country: app.company.country, foundedYear: app.company.foundedYear },
      statement,
      behaviour: null,
      trading: null,
      overrides: { fraudHold },
    },
    policy,
  );
  const usableStatement = statement && checkStatement(statement, policy.balanceTolerance).balanced ? statement : null;
  const limit = recommendLimit(
    {
      grade: assessment.grade,
      statement: usableStatement,
      paymentTermsDays: app.paymentTermsDays,
      volume12m: 0,
      isNew: true,
      requestedLimit: app.requestedLimit,
    },
    policy,
  );
  return { assessment, limit, fraudSignals, fraudHold };
}

export async function reviewApplication(
  input: { applicationId: string; requestId?: string | undefined },
  caller: Caller,
  now: number,
  policy: CreditPolicy,
  fx?: FxTable,
): Promise<ApplicationReviewResult> {
  const table = fx ?? (await loadFxTable(now, policy));
  const db = firestore();
  const ref = applicationRefs.application(input.applicationId);
  const privRef = applicationRefs.assessment(input.applicationId);
  const key = idempotencyKey("reviewCreditApplication", caller.uid, input);
  const result = await db.runTransaction(async (tx) => {
    const [prior, snap, privSnap] = await Promise.all([
      priorResult<ApplicationReviewResult>(tx, key),
      tx.get(ref),
      tx.get(privRef),
    ]);
    if (prior !== undefined) return prior;
    const app = applicationFromSnapshot<CreditApplication>(snap);
    if (!app) throw notFound("application", input.applicationId);
    if (!canReview(app.status))
      throw precondition(`application is ${app.status}; only submitted or under-review applications can be reviewed`);
    const stored = applicationFromSnapshot<ApplicationReview>(privSnap);
    // Each collision weighs by the other side's standing now: a customer, a pending application, or gone.
    const collisions = await collisionStandings(tx, stored?.identityCollisions ?? []);
    // Grade caps, the starter cap and the young-business threshold in the application's currency, at today's rate.
    const { assessment, limit, fraudSignals, fraudHold } = evaluateApplication(
      app,
      collisions,
      now,
      policyInCurrency(policy, app.currency, table),
    );
    const review: ApplicationReview = {
      identityCollisions: collisions,
      score: assessment.score,
      confidence: assessment.confidence,
      grade: assessment.grade,
      tier: assessment.tier,
      recommendedLimit: limit.recommendedLimit,
      limitBounds: limit.bounds,
      reasons: assessment.reasons,
      factors: assessment.factors,
      flags: assessment.flags,
      fraudSignals,
      fraudHold,
      reviewedAt: now,
      reviewedBy: caller.uid,
    };
    tx.set(privRef, toStored(review) as FirebaseFirestore.DocumentData);
    tx.update(
      ref,
      marked(
        ref,
        applicationToStored({ status: "under_review", reviewedAt: now, reviewedBy: caller.uid, updatedAt: now }),
      ),
    );
    new AuditAppender(tx, chains.application(input.applicationId), headOf(snap.data()), now).append({
      action: "application.review",
      actor: caller,
      target: ref.path,
      before: { status: app.status },
      after: {
        status: "under_review",
        score: assessment.score,
        grade: assessment.grade,
        tier: assessment.tier,
        recommendedLimit: limit.recommendedLimit,
        fraudHold,
        ...conversionOf(policy, app.currency, table),
      },
      reason: null,
      requestId: input.requestId ?? null,
    });
    const out: ApplicationReviewResult = {
      ...recommendationSummary(assessment, limit),
      fraudSignals: fraudSignals.map((s) => s.code),
      status: "under_review",
    };
    recordResult(tx, key, out, now);
    return out;
  });
  logs.applicationReviewed(input.applicationId, result.grade);
  return result;
}

export interface DecideResult {
  status: "approved" | "rejected";
  customerId?: string;
  creditLimit?: number;
}

export async function decideApplication(
  input: DecideCreditApplicationInput,
  caller: Caller,
  now: number,
  policy: CreditPolicy,
  fx?: FxTable,
): Promise<DecideResult> {
  const table = fx ?? (await loadFxTable(now, policy));
  const db = firestore();
  const ref = applicationRefs.application(input.applicationId);
  const privRef = applicationRefs.assessment(input.applicationId);
  const key = idempotencyKey("decideCreditApplication", caller.uid, input);
  const customerRef = customerRefs.newCustomer();
  const result = await db.runTransaction(async (tx) => {
    const [prior, snap, privSnap] = await Promise.all([
      priorResult<DecideResult>(tx, key),
      tx.get(ref),
      tx.get(privRef),
    ]);
    if (prior !== undefined) return prior;
    const app = applicationFromSnapshot<CreditApplication>(snap);
    if (!app) throw notFound("application", input.applicationId);
    if (app.applicantUid === caller.uid)
      throw precondition("four-eyes rule: the submitter of an application cannot decide it");
    if (!canDecide(app.status)) {
      throw precondition(
        app.status === "submitted"
          ? "application must be reviewed before it is decided"
          : `application is already ${app.status}`,
      );
    }
    const review = applicationFromSnapshot<ApplicationReview>(privSnap);
    if (!review || review.score === null || review.grade === null || review.tier === null)
      throw precondition("application has no review");
    // A decided application is no longer open for its applicant; a rejected one leaves the identity index.
    const applicantRef = firestore().doc(paths.applicant(app.applicantUid));
    const keys = identityKeysOf(app);
    const [applicantSnap, owners] = await Promise.all([
      tx.get(applicantRef),
      input.decision === "reject" ? readIdentityOwners(tx, keys) : Promise.resolve(null),
    ]);
    const open = (applicantSnap.get("open") as number | undefined) ?? 0;
    tx.set(applicantRef, { open: Math.max(0, open - 1), updatedAt: Timestamp.fromMillis(now) });
    const appChain = new AuditAppender(tx, chains.application(input.applicationId), headOf(snap.data()), now);

    if (input.decision === "reject") {
      const memo = personMemo(caller, now, input.note, input.reasonCodes, ["APPLICATION_REJECTED"]);
      if (owners) unregisterIdentities(tx, keys, owners, `application:${input.applicationId}`);
      tx.update(
        ref,
        marked(
          ref,
          applicationToStored({
            status: "rejected",
            decision: "reject",
            decidedAt: now,
            ...decisionTiming(app.submittedAt, now),
            decidedBy: caller.uid,
            decidedByRole: caller.role,
            updatedAt: now,
          }),
        ),
      );
      tx.update(privRef, applicationToStored(memo));
      appChain.append({
        action: "application.decide",
        actor: caller,
        target: ref.path,
        before: { status: app.status },
        after: { status: "rejected", reasonCodes: memo.reasonCodes },
        reason: input.note,
        requestId: input.requestId ?? null,
      });
      const out: DecideResult = { status: "rejected" };
      recordResult(tx, key, out, now);
      return out;
    }

    const limit = input.approvedLimit ?? review.recommendedLimit ?? 0;
    // Authority is in the base currency, converted into the application's at decision time.
    const local = policyInCurrency(policy, app.currency, table);
    if (!withinAuthority(caller.role, limit, local.authority)) {
      throw new CreditDeskError(
        "permission-denied",
        `a limit of ${limit} minor units of ${app.currency} is above the ${caller.role ?? "applicant"} approval authority${authorityNote(policy, app.currency)}`,
        {
          field: "approvedLimit",
        },
      );
    }
    const terms = input.paymentTermsDays ?? app.paymentTermsDays;
    if (terms > policy.paymentTerms.maxDays)
      throw invalid("paymentTermsDays", `must be at most ${policy.paymentTerms.maxDays} days`);
    const statement = app.financials;
    const customer: CustomerFile = {
      name: app.company.name,
      registrationNo: app.company.registrationNo,
      country: app.company.country,
      industry: app.company.industry,
      foundedYear: app.company.foundedYear,
      address: app.company.address,
      bankAccount: app.company.bankAccount ?? null,
      currency: app.currency,
      status: review.fraudHold ? "on_hold" : "active",
      statusReason: review.fraudHold ? "FRAUD_SIGNALS" : null,
      statusKind: review.fraudHold ? "manual" : null,
      statusParts: {
        manual: review.fraudHold ? { status: "on_hold", reason: "FRAUD_SIGNALS" } : null,
        automatic: null,
      },
      ownerUid: input.ownerUid ?? null,
      groupId: null,
      score: review.score,
      confidence: review.confidence ?? 0,
      financialScores: financialScoresOf(review.factors),
      grade: review.grade,
      tier: review.tier,
      creditLimit: limit,
      temporaryLimit: null,
      paymentTermsDays: terms,
      aggregates: EMPTY_AGGREGATES,
      ...reportFields(EMPTY_AGGREGATES),
      availableCredit: limit,
      applicationId: input.applicationId,
      flags: { fraudHold: review.fraudHold, noLimitIncrease: false, extendedTermsEligible: false },
      createdAt: now,
      updatedAt: now,
      assessedAt: review.reviewedAt ?? now,
      lastReviewedAt: review.reviewedAt ?? now,
      nextReviewAt: nextMonth(now),
      nextAgingAt: nextDay(now),
      lastReviewScore: review.score,
      lastReviewTier: review.tier,
      lastReviewGrade: review.grade,
      latestStatementAt: statement?.periodEnd ?? null,
      latestStatement: statement,
    };
    createCustomer(tx, customerRef, customer);
    if (statement) {
      tx.set(
        customerRefs.financials(customerRef.id),
        toStored({
          statements: [statement],
          latest: statement,
          ratios: computeRatios(statement),
          check: checkStatement(statement, policy.balanceTolerance),
          updatedAt: now,
        }) as FirebaseFirestore.DocumentData,
      );
    }
    tx.set(
      customerRefs.assessment(customerRef.id),
      toStored({
        ...review,
        source: "application",
        applicationId: input.applicationId,
        updatedAt: now,
      }) as FirebaseFirestore.DocumentData,
    );
    tx.set(
      customerRefs.contacts(customerRef.id),
      toStored({ contacts: app.contacts, updatedAt: now }) as FirebaseFirestore.DocumentData,
    );
    const implied = [
      "APPLICATION_APPROVED",
      ...(review.recommendedLimit !== null && limit > review.recommendedLimit ? ["ABOVE_RECOMMENDED_LIMIT"] : []),
      ...(review.fraudHold ? ["FRAUD_HOLD"] : []),
    ];
    const memo = personMemo(caller, now, input.note, input.reasonCodes, implied);
    tx.update(
      ref,
      marked(
        ref,
        applicationToStored({
          status: "approved",
          decision: "approve",
          approvedLimit: limit,
          decidedAt: now,
          ...decisionTiming(app.submittedAt, now),
          decidedBy: caller.uid,
          decidedByRole: caller.role,
          customerId: customerRef.id,
          updatedAt: now,
        }),
      ),
    );
    tx.update(privRef, applicationToStored(memo));
    appChain.append({
      action: "application.decide",
      actor: caller,
      target: ref.path,
      before: { status: app.status },
      after: {
        status: "approved",
        approvedLimit: limit,
        paymentTermsDays: terms,
        customerId: customerRef.id,
        reasonCodes: memo.reasonCodes,
        ...conversionOf(policy, app.currency, table),
      },
      reason: input.note,
      requestId: input.requestId ?? null,
    });
    new AuditAppender(tx, chains.customer(customerRef.id), headOf(undefined), now).append({
      action: "customer.create",
      actor: caller,
      target: customerRef.path,
      before: null,
      after: {
        status: customer.status,
        creditLimit: limit,
        paymentTermsDays: terms,
        tier: customer.tier,
        grade: customer.grade,
        ownerUid: customer.ownerUid,
        applicationId: input.applicationId,
      },
      reason: input.note,
      requestId: input.requestId ?? null,
    });
    const out: DecideResult = { status: "approved", customerId: customerRef.id, creditLimit: limit };
    recordResult(tx, key, out, now);
    return out;
  });
  logs.applicationDecided(input.applicationId, result.status, result.customerId ?? null);
  return result;
}
