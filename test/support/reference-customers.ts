/**
 * The reference customers of docs/scoring.md: each is a credit file as the monthly review sees
 * it (aggregates from the ledger, the latest statement, the dispute record), with the class the
 * users' template (seed 二) implies and why. test/unit/classification.test.ts asserts each.
 */
import { EMPTY_AGGREGATES, type CustomerAggregates, type CustomerFile } from "../../functions/src/domain/customer.js";
import {
  bookWithOpened,
  bookWithResolved,
  type DisputeBook,
  type DisputeOutcome,
} from "../../functions/src/domain/disputes.js";
import type { FinancialStatement } from "../../functions/src/domain/financials.js";
import type { Tier } from "../../functions/src/schemas/policy.js";

export const NOW = Date.UTC(2026, 5, 15, 3); // a monthly review, 15 June 2026
const DAY = 86_400_000;
const MONTH = 30.436875 * DAY;

/** Statements: sound (current ratio 2+, low leverage, 10 % margin, Z'' ≈ 6), and distressed. */
export const SOUND: FinancialStatement = {
  periodEnd: Date.UTC(2025, 11, 31),
  currency: "USD",
  totalAssets: 5_000_000_00,
  currentAssets: 2_500_000_00,
  totalLiabilities: 1_500_000_00,
  currentLiabilities: 1_000_000_00,
  equity: 3_500_000_00,
  retainedEarnings: 2_000_000_00,
  revenue: 8_000_000_00,
  ebit: 1_000_000_00,
  netIncome: 800_000_00,
};
export const DISTRESSED: FinancialStatement = {
  periodEnd: Date.UTC(2025, 11, 31),
  currency: "USD",
  totalAssets: 2_000_000_00,
  currentAssets: 600_000_00,
  totalLiabilities: 1_900_000_00,
  currentLiabilities: 900_000_00,
  equity: 100_000_00,
  retainedEarnings: -400_000_00,
  revenue: 3_000_000_00,
  ebit: -150_000_00,
  netIncome: -200_000_00,
};

export interface ReferenceCustomer {
  name: string;
  /** The class the template implies. */
  expected: Tier;
  /** Why, in the template's words. */
  why: string;
  /** A class reason the answer must carry ([] : none required). */
  reasons: string[];
  file: CustomerFile;
  statement: FinancialStatement | null;
}

interface Spec {
  months?: number; // since first activity
  limit?: number;
  volume12m?: number;
  invoices12m?: number;
  orders12m?: number;
  payments12m?: number;
  onTime?: number | null;
  avgLate?: number | null;
  oldest?: number;
  dishonoured?: number;
  unreplaced?: number;
  lastDishonouredDaysAgo?: number;
  disputes?: Array<DisputeOutcome | "open">;
  fraudHold?: boolean;
  industry?: string;
  country?: string;
  foundedYear?: number;
}

function disputeBook(list: Array<DisputeOutcome | "open">): DisputeBook | null {
  let book: DisputeBook | null = null;
  list.forEach((o, i) => {
    const at = NOW - (i + 1) * 20 * DAY;
    book = bookWithOpened(book, `d${i}`, { invoiceExternalId: `INV-${i}`, amount: 1_000_00, openedAt: at }, at);
    if (o !== "open") book = bookWithResolved(book, `d${i}`, o, o === "customer_right" ? 0 : 1_000_00, at + 10 * DAY);
  });
  return book;
}

export function fileOf(s: Spec): CustomerFile {
  const traded = (s.months ?? 0) > 0;
  const aggregates: CustomerAggregates = traded
    ? {
        ...EMPTY_AGGREGATES,
        firstActivityAt: Math.floor((NOW - (s.months ?? 0) * MONTH) / DAY) * DAY,
        lastActivityAt: NOW - DAY,
        volume12m: s.volume12m ?? 0,
        invoiceCount12m: s.invoices12m ?? 0,
        orderCount12m: s.orders12m ?? 0,
        payments12m: s.payments12m ?? 0,
        onTimeRatio12m: s.onTime ?? null,
        avgDaysBeyondTerms12m: s.avgLate ?? null,
        oldestDaysPastDue: s.oldest ?? 0,
        dishonouredPayments: s.dishonoured ?? 0,
        dishonouredUnreplaced: s.unreplaced ?? 0,
        lastDishonouredAt: s.dishonoured ? NOW - (s.lastDishonouredDaysAgo ?? 30) * DAY : null,
      }
    : EMPTY_AGGREGATES;
  return {
    name: "Reference",
    registrationNo: "REF",
    country: s.country ?? "US",
    industry: s.industry ?? "wholesale",
    foundedYear: s.foundedYear ?? 2005,
    address: "1 Main St",
    currency: "USD",
    status: "active",
    statusReason: null,
    statusKind: null,
    ownerUid: null,
    score: 0,
    confidence: 0,
    financialScores: null,
    grade: "C",
    tier: "standard",
    creditLimit: s.limit ?? 100_000_00,
    temporaryLimit: null,
    paymentTermsDays: 30,
    aggregates,
    exposure: 0,
    oldestDaysPastDue: aggregates.oldestDaysPastDue,
    availableCredit: s.limit ?? 100_000_00,
    applicationId: null,
    flags: { fraudHold: s.fraudHold ?? false, noLimitIncrease: false, extendedTermsEligible: false },
    createdAt: NOW - (s.months ?? 0) * MONTH,
    updatedAt: NOW,
    assessedAt: NOW,
    lastReviewedAt: NOW - 30 * DAY,
    nextReviewAt: NOW,
    nextAgingAt: NOW,
    disputes: disputeBook(s.disputes ?? []),
  };
}

/** A good payer's 12 months: on time, every month, many invoices. */
const GOOD = { months: 48, payments12m: 24, invoices12m: 24, orders12m: 24, onTime: 1, avgLate: 0, oldest: 0 };

const ref = (
  name: string,
  expected: Tier,
  why: string,
  reasons: string[],
  spec: Spec,
  statement: FinancialStatement | null = SOUND,
): ReferenceCustomer => ({
  name,
  expected,
  why,
  reasons,
  file: fileOf(spec),
  statement,
});

export const REFERENCE_CUSTOMERS: ReferenceCustomer[] = [
  ref(
    "Thin file: no statement, no history",
    "standard",
    "nothing known but the profile: not proven good (premium), nothing bad known (risky)",
    ["PREMIUM_NEEDS_CONFIDENCE"],
    { foundedYear: 1990, industry: "healthcare", country: "CH" },
    null,
  ),
  ref(
    "One invoice not yet due, nothing paid",
    "standard",
    "payment behaviour unknown: premium needs payments and history",
    ["PREMIUM_NEEDS_HISTORY", "PREMIUM_NEEDS_PAYMENTS"],
    { months: 0.03, volume12m: 10_000_00, invoices12m: 1, limit: 40_000_00 },
  ),
  ref(
    "New customer with strong statements, no trading yet",
    "standard",
    "sound finances are not a track record: premium needs evidence of paying",
    ["PREMIUM_NEEDS_HISTORY"],
    {},
  ),
  ref(
    "Large volume, always on time, sound statements",
    "premium",
    "good reputation, large volume, pays on time: the template's premium",
    [],
    { ...GOOD, volume12m: 1_200_000_00 },
  ),
  ref(
    "Large volume, always on time, no statement",
    "premium",
    "four years of on-time payment and large volume are evidence enough",
    [],
    { ...GOOD, volume12m: 1_200_000_00 },
    null,
  ),
  ref(
    "Medium volume, slightly late",
    "standard",
    "ordinary record, medium volume, may pay slightly late: the template's standard",
    ["PAYS_LATE_SOMETIMES", "PAYS_LATE"],
    { ...GOOD, volume12m: 300_000_00, onTime: 0.7, avgLate: 8, oldest: 10 },
  ),
  ref(
    "On average 20 days late, oldest invoice 25 days past due",
    "standard",
    "slightly-to-clearly late, not seriously: standard, never premium",
    ["PAYS_LATE", "PAST_DUE"],
    { ...GOOD, volume12m: 600_000_00, onTime: 0.2, avgLate: 20, oldest: 25 },
  ),
  ref(
    "Small volume, seriously late",
    "risky",
    "poor record, small volume, serious delays: the template's risky",
    ["PAYS_SERIOUSLY_LATE", "SERIOUSLY_PAST_DUE"],
    { ...GOOD, volume12m: 20_000_00, invoices12m: 4, payments12m: 3, onTime: 0.1, avgLate: 45, oldest: 75 },
  ),
  ref(
    "Tiny volume: 1.00 a year, one order",
    "standard",
    "pays on time but hardly trades: premium needs regular trade and volume",
    ["PREMIUM_NEEDS_REGULAR_TRADE", "PREMIUM_NEEDS_VOLUME"],
    { ...GOOD, volume12m: 1_00, invoices12m: 1, orders12m: 1, payments12m: 1 },
  ),
  ref(
    "Young customer: 2 months, buys 20,000 a month on time",
    "standard",
    "a good start, not yet a record: premium needs 6 months of history",
    ["PREMIUM_NEEDS_HISTORY"],
    {
      months: 2,
      volume12m: 40_000_00,
      invoices12m: 8,
      orders12m: 8,
      payments12m: 6,
      onTime: 1,
      avgLate: 0,
      limit: 50_000_00,
    },
  ),
  ref(
    "Dishonoured payment, not replaced",
    "risky",
    "a bounced payment not made good is a serious breach",
    ["DISHONOURED_NOT_REPLACED"],
    { ...GOOD, volume12m: 800_000_00, dishonoured: 1, unreplaced: 20_000_00, lastDishonouredDaysAgo: 10 },
  ),
  ref(
    "Dishonoured, then replaced",
    "standard",
    "made good, but a bounce in the last 12 months is not a premium record",
    ["DISHONOURED_RECENTLY"],
    { ...GOOD, volume12m: 800_000_00, dishonoured: 1, unreplaced: 0, lastDishonouredDaysAgo: 60 },
  ),
  ref(
    "Distressed statements, perfect payment",
    "standard",
    "pays perfectly today, but the statements say distress: not premium, watch it",
    ["FINANCIALS_WEAK"],
    { ...GOOD, volume12m: 900_000_00 },
    DISTRESSED,
  ),
  ref(
    "Many disputes lost",
    "risky",
    "three disputes lost in 12 months: a poor record with the company (seed 三.1)",
    ["DISPUTES_LOST_MANY"],
    { ...GOOD, volume12m: 900_000_00, disputes: ["customer_wrong", "customer_wrong", "customer_wrong"] },
  ),
  ref("One dispute lost", "standard", "a dispute lost is a blemish on the record: not premium", ["DISPUTES_LOST"], {
    ...GOOD,
    volume12m: 900_000_00,
    disputes: ["customer_wrong"],
  }),
  ref(
    "Disputes the customer was right about",
    "premium",
    "the company's own errors are not the customer's record",
    [],
    { ...GOOD, volume12m: 900_000_00, disputes: ["customer_right", "customer_right"] },
  ),
  ref(
    "Overdue more than 60 days",
    "risky",
    "an invoice past the hold threshold is a serious delay",
    ["SERIOUSLY_PAST_DUE"],
    { ...GOOD, volume12m: 900_000_00, onTime: 0.9, avgLate: 4, oldest: 65 },
  ),
  ref("Fraud hold", "risky", "signals of fraud hold the file for a person: risky until cleared", ["FRAUD_HOLD"], {
    ...GOOD,
    volume12m: 900_000_00,
    fraudHold: true,
  }),
  ref(
    "Sound, on time, weak profile (young business, risky industry)",
    "premium",
    "its own record decides: on time, large volume, sound statements",
    [],
    { ...GOOD, volume12m: 900_000_00, foundedYear: 2021, industry: "construction", country: "CN" },
  ),
];
