import { z } from "zod";
import { isIndustryCode, parseIndustry } from "../domain/industry.js";

/**
 * The credit policy: every threshold, weight, band, cap and authority amount.
 * Defaults live in domain/policy.ts; an admin may override any part in the
 * `config/creditPolicy` document. A document that does not parse is never used.
 * Money is integer minor units (cents).
 */

const money = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** A piecewise-linear curve: points [x, score 0..100], x strictly increasing. */
const curve = z
  .array(z.tuple([z.number().finite(), z.number().min(0).max(100)]))
  .min(2)
  .max(20)
  .refine((pts) => pts.every((p, i) => i === 0 || p[0] > pts[i - 1]![0]), {
    message: "curve x values must be strictly increasing",
  });

/** Curves whose direction is fixed by meaning: more of a good thing never scores lower. */
const risingCurve = curve.refine((pts) => pts.every((p, i) => i === 0 || p[1] >= pts[i - 1]![1]), {
  message: "curve must be non-decreasing",
});
const fallingCurve = curve.refine((pts) => pts.every((p, i) => i === 0 || p[1] <= pts[i - 1]![1]), {
  message: "curve must be non-increasing",
});

const weight = z.number().min(0).max(100);

/** The industry table: ISIC Rev. 4 codes as keys; the old free-text keys are refused naming their code. */
const industryTable = z.record(z.string().max(60), z.number().min(0).max(100)).superRefine((table, ctx) => {
  for (const k of Object.keys(table)) {
    if (isIndustryCode(k)) continue;
    const p = parseIndustry(k);
    ctx.addIssue({
      code: "custom",
      path: [k],
      message: p.ok ? `"${k}" is no longer a key: use its ISIC Rev. 4 code ${p.code}` : p.message,
    });
  }
});
export const gradeSchema = z.enum(["A", "B", "C", "D", "E"]);
export const tierSchema = z.enum(["premium", "standard", "risky"]);

export const creditPolicySchema = z
  .object({
    version: z.number().int().nonnegative(),
    currencies: z
      .array(z.string().regex(/^[A-Z]{3}$/))
      .min(1)
      .max(50),
    /**
     * The currency every money figure of this policy is in (authority, caps, ceilings,
     * thresholds); converted at decision time into the customer's currency through the FX
     * table in force (config/fxRates, domain/money.ts).
     */
    baseCurrency: z.string().regex(/^[A-Z]{3}$/),
    fx: z.object({
      /** A table whose rates are older than this many days raises `fx_rates_stale`. */
      maxAgeDays: z.number().int().min(1).max(90),
    }),
    groupWeights: z.object({
      payment: weight,
      financial: weight,
      trading: weight,
      profile: weight,
    }),
    factorWeights: z.object({
      payment: z.object({
        onTimeRatio: weight,
        daysBeyondTerms: weight,
        oldestDaysPastDue: weight,
        dishonoured: weight,
        disputes: weight,
      }),
      financial: z.object({ currentRatio: weight, debtToEquity: weight, netMargin: weight, altmanZ: weight }),
      trading: z.object({ tenureMonths: weight, volumeToLimit: weight, orderFrequency: weight }),
      profile: z.object({ yearsInBusiness: weight, industry: weight, country: weight }),
    }),
    curves: z.object({
      onTimeRatio: risingCurve,
      daysBeyondTerms: fallingCurve,
      oldestDaysPastDue: fallingCurve,
      dishonoured: fallingCurve,
      /** Disputes the customer lost in 12 months (a partial outcome counts half). */
      disputesLost: fallingCurve,
      currentRatio: risingCurve,
      debtToEquity: fallingCurve,
      netMargin: risingCurve,
      altmanZ: risingCurve,
      tenureMonths: risingCurve,
      volumeToLimit: curve,
      orderFrequency: risingCurve,
      yearsInBusiness: risingCurve,
    }),
    /** Industry risk by ISIC Rev. 4 code: a section (A–U) or a division (G47); a division's entry wins over its section's. */
    industryScores: industryTable,
    defaultIndustryScore: z.number().min(0).max(100),
    countryScores: z.record(z.string().regex(/^[A-Z]{2}$/), z.number().min(0).max(100)),
    defaultCountryScore: z.number().min(0).max(100),
    /** Minimum score for each grade; E is everything below D. */
    gradeBands: z
      .object({ A: z.number(), B: z.number(), C: z.number(), D: z.number() })
      .refine((b) => b.A > b.B && b.B > b.C && b.C > b.D && b.D > 0 && b.A <= 100, {
        message: "grade bands must satisfy 100 >= A > B > C > D > 0",
      }),
    tierByGrade: z.object({ A: tierSchema, B: tierSchema, C: tierSchema, D: tierSchema, E: tierSchema }),
    /**
     * The score of each payment factor while a trading customer has paid nothing yet (behaviour
     * unknown): neither full marks nor evidence. What went wrong meanwhile scores at most this.
     */
    unknownPaymentScore: z.number().min(0).max(100),
    /** Assessments below this confidence cannot be premium (thin files). */
    minConfidenceForPremium: z.number().min(0).max(1),
    /** Statement balance check: |assets − (liabilities + equity)| ≤ max(abs, rel × assets). */
    balanceTolerance: z.object({ absolute: money, relative: z.number().min(0).max(0.2) }),
    reasonCodes: z.object({ max: z.number().int().min(1).max(10), belowFactorScore: z.number().min(0).max(100) }),
    limits: z.object({
      gradeCaps: z.object({ A: money, B: money, C: money, D: money, E: money }),
      starterCap: money,
      noStatementCapacity: money,
      equityShare: z.number().min(0).max(1),
      revenueShare: z.number().min(0).max(1),
      /** Trading need = monthly purchases × (terms + buffer days) / 30. */
      needBufferDays: z.number().int().min(0).max(180),
      roundingUnit: money.min(1),
    }),
    paymentTerms: z.object({
      defaultDays: z.number().int().min(0).max(365),
      maxDays: z.number().int().min(0).max(365),
    }),
    /** Highest amount (minor units) each role may approve; admin has no ceiling. */
    authority: z.object({ analyst: money, manager: money }),
    fraud: z.object({
      weights: z.object({
        IDENTITY_COLLISION_REGISTRATION: weight,
        IDENTITY_COLLISION_EMAIL: weight,
        IDENTITY_COLLISION_PHONE: weight,
        IDENTITY_COLLISION_BANK_ACCOUNT: weight,
        STATEMENT_UNBALANCED: weight,
        YOUNG_BUSINESS_LARGE_REQUEST: weight,
        ORDER_VELOCITY_SPIKE: weight,
        LARGE_FIRST_ORDER: weight,
        ORDER_AFTER_BANK_CHANGE: weight,
      }),
      holdThreshold: z.number().min(1).max(1000),
      youngBusinessLargeRequest: money,
      /** A collision with another applicant's pending application weighs this share of its signal. */
      pendingApplicationShare: z.number().min(0).max(1),
      /** Open applications one applicant may have at once. */
      maxOpenApplications: z.number().int().min(1).max(100),
    }),
    monitoring: z.object({
      utilizationAlert: z.number().min(0).max(2),
      scoreDropAlert: z.number().min(1).max(100),
      temporaryLimitWarningDays: z.number().int().min(0).max(90),
      statementStaleMonths: z.number().int().min(1).max(60),
      reviewOverdueDays: z.number().int().min(0).max(365),
      /** A customer with nothing that can change is visited again after this many days at the latest (domain/monitorSchedule.ts). */
      maxIdleDays: z.number().int().min(36).max(3650),
    }),
    penalties: z
      .object({
        /** Oldest invoice past due more than this many days: no limit increases, tier at most standard. */
        noIncreaseAfterDays: z.number().int().min(1).max(365),
        /** …more than this: automatic credit hold and a proposed limit cut. */
        autoHoldAfterDays: z.number().int().min(1).max(365),
        /** …more than this, or a dishonoured payment: suspension. */
        suspendAfterDays: z.number().int().min(1).max(365),
        suspendOnDishonoured: z.boolean(),
        /** Proposed limit after a cut, as a share of the current limit. */
        limitCutTo: z.number().min(0).max(1),
        /**
         * A dishonoured payment replaced by later cash no longer suspends: for this many days
         * after the dishonour the file stays at "no limit increase" (tier at most standard).
         */
        dishonouredDecayDays: z.number().int().min(0).max(365),
        /**
         * The cure of an automatic hold or suspension for overdue invoices: the oldest invoice at
         * most this many days past due (and every dishonoured payment replaced). Until then the
         * penalty stays, and no person can lift it.
         */
        cureDaysPastDue: z.number().int().min(0).max(365),
      })
      .refine((p) => p.noIncreaseAfterDays < p.autoHoldAfterDays && p.autoHoldAfterDays < p.suspendAfterDays, {
        message: "penalty thresholds must increase: noIncrease < autoHold < suspend",
      })
      .refine((p) => p.cureDaysPastDue <= p.autoHoldAfterDays, {
        message: "cureDaysPastDue must be at most autoHoldAfterDays",
        path: ["cureDaysPastDue"],
      }),
    incentives: z.object({
      /** Consecutive calendar months with every settled amount on time. */
      onTimeMonths: z.number().int().min(1).max(24),
      /** Utilization (exposure / limit) at or above which an increase is proposed. */
      minUtilization: z.number().min(0).max(2),
      /** Proposed increase as a share of the current limit. */
      increaseShare: z.number().min(0).max(5),
      /** Increases up to this amount are approved automatically. */
      autoApproveUpTo: money,
      /** The longest extension of payment terms an eligible customer may be given (days on top of its terms). */
      extendedTermsDays: z.number().int().min(0).max(120),
      /** Tiers eligible for extended terms (with the on-time streak and no penalty). */
      extendedTermsTiers: z.array(tierSchema).max(3),
    }),
    /**
     * The classes of the template (seed 二): premium = good record, large volume, pays on time;
     * standard = ordinary record, medium volume, may pay slightly late; risky = poor record, small
     * volume, seriously late. The grade gives a tier (tierByGrade); these rules lower it.
     */
    classification: z.object({
      /** Premium needs evidence: every one of these, or the class is at most standard. */
      premium: z.object({
        minHistoryMonths: z.number().min(0).max(120),
        /** Payments received in 12 months (a payment settles one or more invoices). */
        minPayments12m: z.number().int().min(0).max(1000),
        /** Invoices in 12 months: trades regularly. */
        minInvoices12m: z.number().int().min(0).max(1000),
        /** 12-month volume (annualised when younger than a year) at least this many times the limit. */
        minVolumeToLimit: z.number().min(0).max(100),
        minOnTimeRatio: z.number().min(0).max(1),
        maxAvgDaysBeyondTerms: z.number().min(0).max(365),
        maxDaysPastDue: z.number().int().min(0).max(365),
        maxDishonoured12m: z.number().int().min(0).max(100),
        maxDisputesLost12m: z.number().min(0).max(100),
        /** The financial strength group's score (0–100), when there is a usable statement. */
        minFinancialScore: z.number().min(0).max(100),
      }),
      /** Any one of these makes the class risky. */
      risky: z.object({
        daysPastDueOver: z.number().int().min(1).max(365),
        avgDaysBeyondTermsOver: z.number().min(1).max(365),
        disputesLost12m: z.number().min(1).max(100),
      }),
      /** A manager's class override lasts at most this many days (then the class is reviewed again). */
      overrideMaxDays: z.number().int().min(1).max(730),
    }),
    disputes: z.object({
      /** A dispute open longer than this raises `dispute_open_too_long`. */
      alertAfterDays: z.number().int().min(1).max(365),
      /** Open disputes per customer, at most (the credit file keeps them at constant cost). */
      maxOpenPerCustomer: z.number().int().min(1).max(500),
    }),
    /** What a reassessment does to the limit in force when the judgement changes. */
    limitReview: z.object({
      /** A recommended limit below the approved one by more than this share is a cut (any lower grade is one too). */
      cutMargin: z.number().min(0).max(1),
      /** Cuts up to this share of the approved limit are applied at once; deeper ones are proposals for a person. */
      autoCutMaxShare: z.number().min(0).max(1),
      /** A recommended limit above the approved one by more than this share is proposed as an increase. */
      increaseMargin: z.number().min(0).max(10),
    }),
    velocity: z.object({
      multiple: z.number().min(1).max(100),
      limitShare: z.number().min(0).max(10),
      newCustomerDays: z.number().int().min(1).max(365),
      largeFirstOrderShare: z.number().min(0).max(10),
      bankChangeWindowDays: z.number().int().min(1).max(365),
    }),
    jobs: z.object({
      pageSize: z.number().int().min(1).max(500),
      batchSize: z.number().int().min(1).max(1000),
      timeBudgetSeconds: z.number().int().min(10).max(3600),
    }),
    backup: z.object({
      retentionDays: z.number().int().min(1).max(3650),
      /** A managed export is started when the last one started this many days ago (the daily job asks every day). */
      exportEveryDays: z.number().int().min(1).max(90),
    }),
    creditGroups: z.object({
      /** Members of one credit group, at most (setCreditGroup reads them all). */
      maxMembers: z.number().int().min(1).max(500),
      /** A member's claim on its group is lowered once its committed exposure fell this share of the group limit below it… */
      claimReleaseShare: z.number().min(0).max(1),
      /** …and the claim has not changed for this many hours (a high-water mark of about a day). */
      claimHoldHours: z
        .number()
        .min(0)
        .max(24 * 31),
    }),
    confidentiality: z.object({
      /** The confidentiality policy's version: raising it asks every staff member to acknowledge again. */
      version: z.number().int().min(1),
      /** How long an acknowledgement lasts. */
      validityDays: z.number().int().min(1).max(3650),
      /** Acknowledgements expiring within this many days raise an alert (monthly job). */
      expiryWarningDays: z.number().int().min(1).max(365),
    }),
    ledger: z.object({
      /** The largest single record accepted (minor units): keeps every running sum far inside safe integers. */
      maxAmount: money.min(1).max(1_000_000_000_000),
      /** A record may be dated at most this many days ahead (issue and payment dates). */
      maxFutureDays: z.number().int().min(0).max(366),
      /** …and at most this many days back. */
      maxPastDays: z.number().int().min(30).max(36_500),
      /** A record is refused if the customer's summary could not be computed this many days on (no time bombs). */
      horizonDays: z.number().int().min(0).max(36_500),
      /** Records written straight to Firestore are applied per customer once per this many seconds (group commit). */
      groupCommitSeconds: z.number().int().min(1).max(60),
      /** …at most this many records in one transaction (more continue in the next period). */
      groupCommitMaxRecords: z.number().int().min(1).max(500),
    }),
    /** The policy what-if (simulatePolicy). */
    simulation: z.object({
      /** Portfolios up to this many customers are answered at once; larger ones run as a task-queue job (simulations/{id}). */
      directMaxCustomers: z.number().int().min(1).max(5000),
      /** Customers the answer lists by name (the largest changes first); the counts cover everyone. */
      maxListed: z.number().int().min(1).max(500),
    }),
    orderCheck: z.object({
      /** Orders that would push utilisation above this share of the limit go to review. */
      reviewUtilization: z.number().min(0).max(2),
      /** How long a reservation made at the order check holds credit before it lapses. */
      reservationHours: z
        .number()
        .int()
        .min(1)
        .max(24 * 90),
      /** Live reservations and open blocked orders per customer, each at most this many. */
      maxOpenOrders: z.number().int().min(1).max(1000),
    }),
  })
  .strict()
  .refine((p) => p.currencies.includes(p.baseCurrency), {
    message: "the base currency must be one of the accepted currencies",
    path: ["baseCurrency"],
  });

export type CreditPolicy = z.infer<typeof creditPolicySchema>;
export type Grade = z.infer<typeof gradeSchema>;
export type Tier = z.infer<typeof tierSchema>;
