/**
 * Results of every callable, as clients receive them (docs/API.md). Written from what the
 * services return; `callable()` in api/common.ts checks at compile time that each service's
 * result fits its schema, and test/integration/contract.test.ts parses real results with
 * them. Objects are not strict: adding a field is a compatible change, and a client that
 * parses a result keeps working when one appears.
 */
import { z } from "zod";
import { ALERT_TYPES } from "../domain/alerts.js";
import { DISPUTE_OUTCOMES } from "../domain/disputes.js";
import { ROLES } from "../domain/roles.js";
import { JOBS, PROFILE_FIELDS } from "./callables.js";
import { gradeSchema, tierSchema } from "./policy.js";
import { ceiSchema, migrationSchema, reportFiguresShape, snapshotOutput, whatIfResultSchema } from "./reports.js";

const minor = z.number().int().meta({ description: "integer minor units (cents)" });
const count = z.number().int().nonnegative();
const isoDateTime = z.iso.datetime().meta({ description: "ISO-8601 date-time (UTC)" });
const score = z.number().min(0).max(100).meta({ description: "0–100" });
const confidence = z.number().min(0).max(1).meta({ description: "share of the score's weight backed by data, 0–1" });
const reasonCodes = z.array(z.string()).meta({ description: "reason codes: the factors that moved the answer" });
const creditStatus = z.enum(["active", "on_hold", "suspended"]);

export const submitCreditApplicationOutput = z.object({
  applicationId: z.string(),
  status: z.literal("submitted"),
});

const classReasons = z.array(z.string()).meta({
  description:
    "why the class is below what the grade gives (e.g. PREMIUM_NEEDS_HISTORY, PAYS_LATE, SERIOUSLY_PAST_DUE), or CLASS_OVERRIDDEN_TO_<TIER>; [] when the grade decides",
});

/** The answer of a review: application review and customer reassessment share it. */
const recommendation = {
  score,
  grade: gradeSchema,
  tier: tierSchema,
  confidence,
  recommendedLimit: minor,
  reasons: reasonCodes,
  classReasons: classReasons.optional(),
};

export const reviewCreditApplicationOutput = z.object({
  ...recommendation,
  fraudSignals: z
    .array(z.string())
    .meta({ description: "fraud signal codes; enough weight holds the file for a person" }),
  status: z.literal("under_review"),
});

export const decideCreditApplicationOutput = z.object({
  status: z.enum(["approved", "rejected"]),
  customerId: z.string().optional().meta({ description: "the new customer's id (approved only)" }),
  creditLimit: minor.optional().meta({ description: "the approved limit (approved only)" }),
});

export const checkOrderOutput = z.object({
  decision: z.enum(["approve", "review", "reject"]),
  availableCredit: minor.meta({
    description:
      "limit in force − exposure − live reservations (after this order's reservation, with reserve); negative when over the limit",
  }),
  reasons: z.array(z.string()).meta({
    description:
      "e.g. WITHIN_AVAILABLE_CREDIT, EXCEEDS_AVAILABLE_CREDIT, EXCEEDS_GROUP_AVAILABLE_CREDIT, CREDIT_ON_HOLD, INVOICES_PAST_DUE, TOO_MANY_OPEN_RESERVATIONS",
  }),
  reservationId: z
    .string()
    .optional()
    .meta({ description: "with reserve and approve: the reservation holding the order's credit" }),
  expiresAt: isoDateTime
    .optional()
    .meta({ description: "with reserve and approve: when the reservation lapses unless the order is recorded" }),
  blockId: z.string().optional().meta({
    description: "with reserve and review/reject: the blocked order (orderBlocks/{blockId}) waiting for a person",
  }),
  group: z
    .object({
      groupId: z.string(),
      availableCredit: minor.meta({
        description:
          "the group's credit available to this customer, in the customer's currency (after this order's reservation, with reserve); negative when over",
      }),
      groupAvailableCredit: minor.meta({ description: "the same in the group's currency" }),
      currency: z.string().meta({ description: "the group's currency" }),
    })
    .optional()
    .meta({
      description:
        "members of a credit group: the group's side of the answer (EXCEEDS_GROUP_AVAILABLE_CREDIT among the reasons when the order does not fit)",
    }),
});

export const cancelReservationOutput = z.object({
  released: z.boolean().meta({ description: "a live reservation stopped holding credit" }),
  blockCancelled: z.boolean().meta({ description: "an open block of the order was closed" }),
});

export const releaseOrderBlockOutput = z.object({
  status: z.enum(["released", "rejected"]),
  blockId: z.string(),
  reservationId: z
    .string()
    .optional()
    .meta({ description: "released: the reservation now holding the order's credit" }),
  expiresAt: isoDateTime.optional(),
});

export const recordTransactionsOutput = z.object({
  recorded: count.meta({ description: "records applied by this call" }),
  duplicates: count.meta({ description: "records already applied (same externalId and content)" }),
  rejected: z
    .array(z.object({ externalId: z.string(), code: z.string(), field: z.string(), message: z.string() }))
    .meta({ description: "records refused, each with a reason code and the field at fault; the rest are applied" }),
  exposure: minor,
  availableCredit: minor,
});

export const updateFinancialsOutput = z.object({
  score,
  grade: gradeSchema,
  tier: tierSchema,
  confidence,
  classReasons: classReasons.optional(),
});

export const reassessCustomerOutput = z.object({
  ...recommendation,
  limitAction: z
    .object({
      action: z.enum(["none", "cut", "propose_cut", "propose_increase"]),
      limitRequestId: z
        .string()
        .nullable()
        .meta({ description: "the limit request recording the cut, or the proposal for a person" }),
      newLimit: minor.nullable(),
    })
    .optional()
    .meta({ description: "what the reassessment did to the approved limit (policy limitReview)" }),
});

export const requestLimitChangeOutput = z.object({
  limitRequestId: z.string().meta({ description: "the limit request's id (limitRequests/{id})" }),
  requestId: z.string().meta({
    description: "deprecated: the limit request's id under its old name, for one release; use limitRequestId",
  }),
  status: z.enum(["pending", "approved"]),
  creditLimit: minor.meta({ description: "the customer's approved limit after this call" }),
});

export const decideLimitChangeOutput = z.object({
  status: z.enum(["approved", "rejected"]),
  creditLimit: minor,
  temporaryLimit: z
    .object({
      limit: minor.meta({ description: "the total limit in force until expiresAt" }),
      amount: minor.meta({ description: "how far it is above the approved limit" }),
      expiresAt: isoDateTime,
    })
    .nullable(),
});

export const setCreditStatusOutput = z.object({
  status: creditStatus,
  statusKind: z.enum(["manual", "automatic"]).nullable().meta({
    description:
      "which part of the status is in force: manual (a person's: only a person lifts it) or automatic (a penalty's: lifts with its cure); the harsher is in force",
  }),
  statusChangeId: z.string().meta({
    description:
      "the status change (customers/{customerId}/statusChanges/{id}) keeping the decision memo: note, reasonCodes, decidedBy, decidedByRole, decidedAt",
  }),
});

export const updateCustomerProfileOutput = z.object({
  changed: z
    .array(z.enum(PROFILE_FIELDS))
    .meta({ description: "the fields that changed (a field given with its current value is left out)" }),
  fraudSignals: z.array(z.string()).meta({
    description:
      "identity collisions of the new registration or bank details (IDENTITY_COLLISION_*); enough weight holds the file for a person",
  }),
  status: creditStatus.meta({
    description: "the credit status after the change (on_hold when the new details collide with another file)",
  }),
});

export const setCreditGroupOutput = z.object({
  groupId: z.string(),
  currency: z.string().meta({ description: "the currency of the group limit and of exposure and availableCredit" }),
  groupLimit: minor,
  memberIds: z.array(z.string()),
  added: z.array(z.string()).meta({ description: "customers that joined with this call" }),
  removed: z.array(z.string()).meta({ description: "customers that left with this call" }),
  exposure: minor.meta({
    description:
      "the members' committed exposure now (open invoices, open orders, live reservations), in the group currency",
  }),
  availableCredit: minor.meta({ description: "groupLimit − exposure; negative when over" }),
});

export const resolveAlertOutput = z.object({ status: z.literal("resolved"), alertId: z.string() });

export const updateContactsOutput = z.object({
  contacts: z.array(z.object({ name: z.string(), email: z.string(), phone: z.string() })),
  identityCollisions: count.meta({
    description: "contacts' e-mails or phones that another customer or applicant also uses",
  }),
});

export const acknowledgeConfidentialityOutput = z.object({
  version: z.number().int().meta({ description: "the confidentiality policy version acknowledged" }),
  acknowledgedUntil: isoDateTime.meta({
    description: "until when; refresh the ID token (getIdToken(true)) to use the acknowledgement",
  }),
});

export const recordTrainingOutput = z.object({ recorded: z.literal(true), trainingId: z.string() });

export const setUserRoleOutput = z.object({ uid: z.string(), role: z.enum(ROLES).nullable() });

export const verifyAuditTrailOutput = z.object({
  ok: z.boolean(),
  checked: count.meta({ description: "entries checked" }),
  chainId: z.string(),
  firstBrokenEntry: z
    .object({
      seq: z.number().int(),
      problem: z.enum([
        "altered",
        "missing",
        "out_of_order",
        "head_mismatch",
        "unexpected",
        "truncated",
        "seal_mismatch",
        "subject_deleted",
        "legacy_unsealed",
        "unknown_key",
        "seal_invalid",
      ]),
      upTo: z.number().int().nullable().optional().meta({ description: "truncated: the seq the latest seal recorded" }),
    })
    .optional()
    .meta({ description: "the first entry altered, removed, inserted, reordered or cut off (when ok is false)" }),
  sealed: z
    .object({ seq: z.number().int(), hash: z.string(), systemSeq: z.number().int(), upTo: z.number().int().nullable() })
    .optional()
    .meta({
      description:
        "the latest daily seal the chain was checked against (its head then, and the seal's entry in the system chain)",
    }),
});

export const runJobNowOutput = z.object({
  started: z.boolean(),
  job: z.enum(JOBS),
  action: z.enum(["run", "pause", "resume"]),
  mode: z.enum(["cloud-scheduler", "local"]),
  summary: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ description: "local runs: what the job did (counts only)" }),
});

const slice = z.object({ customers: count, exposure: minor, creditLimit: minor });
const aging = z.object({
  current: minor,
  d1_30: minor,
  d31_60: minor,
  d61_90: minor,
  d90plus: minor,
  disputed: minor.meta({ description: "under an open dispute: out of the day buckets" }),
});

export const getPortfolioReportOutput = z.object({
  asOf: isoDateTime,
  baseCurrency: z
    .string()
    .meta({ description: "the policy's base currency: every figure below except byCurrency is in its minor units" }),
  fx: z.object({ base: z.string(), asOf: z.string(), source: z.string().nullable() }).meta({
    description:
      "the FX table the figures were converted with (each currency's sums to the nearest minor unit, then added)",
  }),
  totals: z
    .object({ customers: count, exposure: minor, creditLimit: minor, openInvoiceBalance: minor, volume12m: minor })
    .meta({ description: "in the base currency" }),
  byTier: z.record(z.string(), slice).meta({ description: "by tier: premium, standard, risky (base currency)" }),
  byGrade: z.record(z.string(), slice).meta({ description: "by grade: A to E (base currency)" }),
  aging: aging.meta({
    description: "open receivables by days past due, disputed amounts in their own bucket (base currency)",
  }),
  dso: z
    .number()
    .nullable()
    .meta({ description: "days sales outstanding over the whole portfolio; null without sales in the last 12 months" }),
  byCurrency: z
    .array(
      z.object({
        currency: z.string(),
        rate: z.number().nullable().meta({
          description: "units of this currency for one unit of the base currency; null: no rate in the table",
        }),
        customers: count,
        exposure: minor,
        creditLimit: minor,
        openInvoiceBalance: minor,
        volume12m: minor,
        aging,
        dso: z.number().nullable(),
        inBase: z
          .object({ exposure: minor, creditLimit: minor, openInvoiceBalance: minor, volume12m: minor })
          .nullable(),
      }),
    )
    .meta({ description: "per currency in use, in that currency's minor units, and converted (inBase)" }),
  unconvertedCustomers: count.meta({
    description: "customers in a currency the FX table has no rate for: left out of the base-currency figures",
  }),
  topExposures: z
    .array(
      z.object({
        customerId: z.string(),
        name: z.string(),
        currency: z.string(),
        exposure: minor.meta({ description: "in the customer's currency" }),
        exposureInBase: minor,
        creditLimit: minor,
        tier: tierSchema,
        grade: gradeSchema,
        status: creditStatus,
      }),
    )
    .max(10)
    .meta({ description: "the ten largest exposures, ranked in the base currency" }),
  groups: z
    .object({
      count: count,
      overLimit: count.meta({ description: "groups whose members' claims exceed the group limit" }),
      top: z
        .array(
          z.object({
            groupId: z.string(),
            name: z.string(),
            currency: z.string(),
            groupLimit: minor,
            exposure: minor.meta({
              description: "the members' claims (each at least its committed exposure), in the group currency",
            }),
            availableCredit: minor,
            exposureInBase: minor,
            members: count,
          }),
        )
        .max(10),
    })
    .meta({ description: "credit groups: the ten largest by exposure in the base currency" }),
  openAlerts: z
    .partialRecord(z.enum(ALERT_TYPES), count)
    .meta({ description: "open alerts by type (types with none are left out)" }),
  period: reportFiguresShape.period.meta({
    description: "the month of the flow figures below: this month, to the report's moment",
  }),
  bestPossibleDso: reportFiguresShape.bestPossibleDso,
  averageDaysDelinquent: reportFiguresShape.averageDaysDelinquent,
  cei: ceiSchema.meta({
    description:
      "collection effectiveness since the newest snapshot taken at least a day before: (B + S − E) ÷ (B + S − C) × 100",
  }),
  overLimit: reportFiguresShape.overLimit,
  orderBlocks: reportFiguresShape.orderBlocks,
  applications: reportFiguresShape.applications,
  migration: migrationSchema.meta({
    description: "class migration of this month's reviews (of last month's until this month's have run)",
  }),
  history: z.array(snapshotOutput).max(12).meta({
    description: "the monthly snapshots (reports/{yyyy-mm}) of the last 12 closed months, oldest first: the trends",
  }),
});

export const simulatePolicyOutput = z.object({
  mode: z.enum(["direct", "queued"]).meta({
    description: "direct: answered now; queued: a large portfolio, run as a job writing simulations/{simulationId}",
  }),
  simulationId: z
    .string()
    .nullable()
    .meta({ description: "queued: the job's document, with its progress and, when done, its result" }),
  status: z.enum(["done", "queued", "running"]),
  portfolio: count.meta({ description: "customers in the portfolio" }),
  result: whatIfResultSchema.nullable().meta({ description: "the what-if (null while a job runs)" }),
});

// ---------------------------------------------------------------------------------------
// Credit judgement

export const openDisputeOutput = z.object({
  disputeId: z.string().meta({ description: "the dispute (disputes/{disputeId})" }),
  status: z.literal("open"),
  disputed: minor.meta({
    description: "the customer's amounts under open dispute after this one: in exposure, out of penalty aging",
  }),
});

export const resolveDisputeOutput = z.object({
  disputeId: z.string(),
  status: z.literal("resolved"),
  outcome: z.enum(DISPUTE_OUTCOMES),
  creditedAmount: minor.meta({ description: "what the resolution credited (0 when the customer was wrong)" }),
  creditNoteExternalId: z
    .string()
    .nullable()
    .meta({ description: "the credit note recorded in the ledger (DSP-<disputeId>), null when nothing was credited" }),
  oldestDaysPastDue: z.number().int().meta({
    description:
      "the customer's oldest invoice after the resolution: what is not credited ages again from its original due date",
  }),
});

export const overrideClassificationOutput = z.object({
  overrideId: z.string().meta({ description: "the override (classOverrides/{overrideId}) with its reason" }),
  tier: tierSchema,
  computedTier: tierSchema.meta({ description: "the class the rules give now" }),
  expiresAt: isoDateTime.meta({ description: "then the class is the computed one again" }),
});

export const clearFraudHoldOutput = z.object({
  status: creditStatus,
  statusKind: z.enum(["manual", "automatic"]).nullable(),
  tier: tierSchema,
});

export const requestTermsChangeOutput = z.object({
  termsChangeId: z.string().meta({ description: "the request (termsChanges/{termsChangeId})" }),
  status: z.enum(["pending", "approved"]).meta({
    description: "approved: shorter terms, in force at once; pending: longer terms, waiting for a second person",
  }),
  paymentTermsDays: z.number().int().meta({ description: "the customer's payment terms after this call" }),
});

export const decideTermsChangeOutput = z.object({
  termsChangeId: z.string(),
  status: z.enum(["approved", "rejected"]),
  paymentTermsDays: z.number().int(),
});
