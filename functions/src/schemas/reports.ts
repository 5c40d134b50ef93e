/**
 * The portfolio report's figures as stored in a monthly snapshot (`reports/{yyyy-mm}`) and as
 * answered by getPortfolioReport (its `history`, and the same blocks for the moment asked).
 * Formulas: domain/reports.ts and the README ("The portfolio report"). Pure zod.
 */
import { z } from "zod";

const minor = z.number().int().meta({ description: "integer minor units of the base currency" });
const count = z.number().int().nonnegative();
const days = z.number().nullable();
export const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be a month YYYY-MM");

export const sliceSchema = z.object({ customers: count, exposure: minor, creditLimit: minor });
export const agingSchema = z.object({
  current: minor,
  d1_30: minor,
  d31_60: minor,
  d61_90: minor,
  d90plus: minor,
  disputed: minor.meta({ description: "under an open dispute: out of the day buckets" }),
});

const classRow = z.object({ premium: count, standard: count, risky: count });
export const migrationSchema = z
  .object({
    period: monthSchema.meta({ description: "the month of the reviews" }),
    reviewed: count.meta({ description: "customers reviewed that month (the matrix's total)" }),
    matrix: z.object({ premium: classRow, standard: classRow, risky: classRow }).meta({
      description:
        "matrix[from][to]: customers by their class at the review before (from) and the class this review gave (to)",
    }),
  })
  .meta({ description: "class migration: the monthly reviews of one month" });

export const ceiSchema = z
  .object({
    value: z.number().nullable().meta({ description: "percent; null when nothing was collectable" }),
    from: z.string().meta({ description: "start of the period (ISO date-time): the snapshot whose receivables are B" }),
    to: z.string(),
    days: z.number(),
    beginning: minor,
    sales: minor.meta({ description: "credit sales in the period, estimated: 12-month volume × days ÷ 365" }),
    ending: minor,
    endingCurrent: minor,
  })
  .nullable()
  .meta({
    description:
      "collection effectiveness index over the period since the previous snapshot: (B + S − E) ÷ (B + S − C) × 100",
  });

/** The figures a snapshot keeps (and the live report answers for its own moment). */
export const reportFiguresShape = {
  period: monthSchema.meta({ description: "the month the flow figures (decisions, reviews) are of" }),
  totals: z.object({
    customers: count,
    exposure: minor,
    creditLimit: minor,
    openInvoiceBalance: minor,
    volume12m: minor,
  }),
  byTier: z.record(z.string(), sliceSchema),
  byGrade: z.record(z.string(), sliceSchema),
  byCurrency: z.array(
    z.object({ currency: z.string(), customers: count, exposure: z.number().int(), exposureInBase: minor.nullable() }),
  ),
  aging: agingSchema,
  dso: days,
  bestPossibleDso: days.meta({ description: "receivables not yet due ÷ average daily sales" }),
  averageDaysDelinquent: days.meta({ description: "DSO − best possible DSO" }),
  cei: ceiSchema,
  overLimit: z
    .object({
      customers: count,
      amountOver: minor.meta({ description: "exposure and reservations above the limits in force, summed" }),
    })
    .meta({ description: "customers whose available credit is below zero (as last written)" }),
  orderBlocks: z
    .object({
      open: count,
      blocked: count.meta({ description: "orders blocked at the order check in the month" }),
      released: count,
      rejected: count,
      averageReleaseHours: z
        .number()
        .nullable()
        .meta({ description: "mean hours from the block to a person's decision (release or reject) in the month" }),
      timedDecisions: count.meta({ description: "decisions the mean is over (those recorded with their turnaround)" }),
    })
    .meta({ description: "orders blocked at the order check and how fast a person decided them" }),
  applications: z
    .object({
      pending: count,
      submitted: count.meta({ description: "applications submitted in the month" }),
      approved: count,
      rejected: count,
      averageDecisionDays: z
        .number()
        .nullable()
        .meta({ description: "mean days from submission to decision, over the month's decisions" }),
      timedDecisions: count,
    })
    .meta({ description: "credit applications and their approval turnaround" }),
  migration: migrationSchema,
  groups: z.object({ count, overLimit: count }),
  unconvertedCustomers: count,
};

export const reportFiguresSchema = z.object(reportFiguresShape);
export type ReportFigures = z.infer<typeof reportFiguresSchema>;

export const SNAPSHOT_SOURCES = ["monthlyJob", "demo"] as const;

/** `reports/{yyyy-mm}` as the services read it back (times as epoch milliseconds). */
export const storedSnapshotSchema = reportFiguresSchema.extend({
  takenAt: z.number().int(),
  baseCurrency: z.string(),
  source: z.enum(SNAPSHOT_SOURCES),
});
export type StoredSnapshot = z.infer<typeof storedSnapshotSchema>;

/** A snapshot as a client receives it (getPortfolioReport's history). */
export const snapshotOutput = reportFiguresSchema.extend({
  takenAt: z.iso.datetime(),
  baseCurrency: z.string(),
  source: z
    .enum(SNAPSHOT_SOURCES)
    .meta({ description: "monthlyJob: written by the monthly job; demo: the demo seed's history (local stack only)" }),
});

// ---------------------------------------------------------------------------------------
// The policy what-if (simulatePolicy; simulations/{id}.result)

const tierEnum = z.enum(["premium", "standard", "risky"]);
const statusEnum = z.enum(["active", "on_hold", "suspended"]);
const limitActionEnum = z.enum(["none", "cut", "propose_cut", "propose_increase"]);

export const whatIfLineSchema = z.object({
  customerId: z.string(),
  name: z.string(),
  currency: z.string(),
  tier: z.object({ current: tierEnum, candidate: tierEnum }),
  limit: z.object({
    current: z
      .number()
      .int()
      .meta({ description: "the approved limit after a review under the policy in force (customer's currency)" }),
    candidate: z.number().int().meta({ description: "…under the candidate" }),
    change: z.number().int(),
    changeInBase: minor
      .nullable()
      .meta({ description: "the change in the base currency; null when the FX table has no rate" }),
    action: limitActionEnum.meta({
      description:
        "what the candidate's review does: cut (at once), propose_cut / propose_increase (for a person), none",
    }),
  }),
  status: z.object({ current: statusEnum, candidate: statusEnum }),
  overLimit: z.boolean().meta({ description: "over its limit under the candidate, not under the policy in force" }),
  blockedOrders: z.object({ orders: count, amount: z.number().int() }).meta({
    description:
      "orders of the last 30 days the candidate would have blocked and the policy in force did not (customer's currency)",
  }),
});

export const whatIfResultSchema = z.object({
  asOf: z.iso.datetime(),
  baseCurrency: z.string(),
  changes: z.array(z.string()).meta({ description: "the policy paths the candidate changes" }),
  evaluated: count,
  sample: z
    .object({
      size: count,
      exposureShare: z
        .number()
        .nullable()
        .meta({ description: "share of the portfolio's exposure (base currency) the sample holds, 0–1" }),
    })
    .nullable()
    .meta({ description: "with sampleSize: the largest exposures were evaluated, not the whole portfolio" }),
  unconverted: count,
  failed: count,
  migration: z
    .object({ premium: classRow, standard: classRow, risky: classRow })
    .meta({ description: "matrix[class under the policy in force][class under the candidate]" }),
  limits: z.object({
    rise: z.object({ customers: count, amount: minor }),
    fall: z.object({ customers: count, amount: minor }),
    unchanged: count,
  }),
  overLimit: z
    .object({ customers: count })
    .meta({ description: "customers over their limit under the candidate that are not under the policy in force" }),
  onHold: z
    .object({ customers: count, suspended: count })
    .meta({ description: "customers on hold or suspended under the candidate that are not under the policy in force" }),
  blockedOrders: z
    .object({ orders: count, amount: minor, customers: count, released: count, releasedAmount: minor })
    .meta({
      description:
        "orders of the last 30 days the candidate would have blocked and the policy in force approved (released: the reverse)",
    }),
  customers: z.array(whatIfLineSchema).meta({
    description:
      "customers treated differently, the largest limit change first (at most the policy's simulation.maxListed)",
  }),
});
export type WhatIfResult = z.infer<typeof whatIfResultSchema>;
