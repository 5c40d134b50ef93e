/**
 * getPortfolioReport: exposure and limits by class, grade, credit group and currency, aging with
 * disputed amounts apart, DSO, best possible DSO, average days delinquent, CEI, customers over
 * limit, blocked orders and their release turnaround, application approval turnaround, the class
 * migration of the month's reviews, top exposures, open alerts — in the policy's base currency,
 * with a breakdown per currency in its own minor units — and the last 12 monthly snapshots
 * (`reports/{yyyy-mm}`) for the trends. Everything is read with aggregation queries over
 * top-level fields, or from the snapshots: never a scan (formulas: domain/reports.ts).
 *
 * Each currency's sums are converted into the base currency at the FX table in force when the
 * report's moment was (a past `asOf` reads the table as it was then; if that one is not valid,
 * the one in force now), each sum rounded to the nearest minor unit (halves away from zero),
 * then added. Totals are the sums of the converted tier slices. Customers in a currency the
 * table has no rate for are counted in `unconvertedCustomers`, listed in `byCurrency` with
 * `inBase: null`, and left out of the base-currency figures. Credit groups: how many, how many over
 * their limit, and the ten largest, each recomputed from its members' claims (domain/groups.ts).
 */
import {
  migrationOf,
  readPortfolio,
  TIERS,
  type Aging,
  type CurrencyFigures,
  type FlowFigures,
  type Slice,
  type TopExposure,
} from "../data/portfolio.js";
import { readSnapshots } from "../data/reports.js";
import {
  addMonths,
  averageDaysDelinquent,
  averageTurnaround,
  bestPossibleDso,
  collectionEffectiveness,
  daysBetween,
  dso,
  matrixTotal,
  monthOf,
  salesOver,
  type MigrationMatrix,
} from "../domain/reports.js";
import type { ReportFigures, StoredSnapshot } from "../schemas/reports.js";
import { precondition } from "../domain/errors.js";
import { resolveFxTable } from "../domain/fxTable.js";
import { othersClaimed, type CreditGroup } from "../domain/groups.js";
import { canConvert, convertMinor, rateOf, type FxTable } from "../domain/money.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { loadFxTable } from "./fx.js";
import { loadPolicy } from "./policy.js";
import { DAY_MS } from "../domain/time.js";

export interface CurrencyBreakdown {
  currency: string;
  /** Units of this currency for one unit of the base currency (null: no rate in the table). */
  rate: number | null;
  customers: number;
  exposure: number;
  creditLimit: number;
  openInvoiceBalance: number;
  volume12m: number;
  aging: Aging;
  dso: number | null;
  /** The same figures in the base currency (null when the table has no rate). */
  inBase: { exposure: number; creditLimit: number; openInvoiceBalance: number; volume12m: number } | null;
}

export interface PortfolioReport {
  asOf: string;
  baseCurrency: string;
  /** The FX table the base-currency figures were converted with. */
  fx: { base: string; asOf: string; source: string | null };
  totals: { customers: number; exposure: number; creditLimit: number; openInvoiceBalance: number; volume12m: number };
  byTier: Record<string, Slice>;
  byGrade: Record<string, Slice>;
  aging: Aging;
  /** Days sales outstanding: open receivables ÷ (12-month sales ÷ 365); null without sales. */
  dso: number | null;
  byCurrency: CurrencyBreakdown[];
  unconvertedCustomers: number;
  topExposures: Array<TopExposure & { exposureInBase: number }>;
  groups: {
    count: number;
    /** Groups whose claims exceed their limit (as last written). */
    overLimit: number;
    /** The ten largest by exposure in the base currency, recomputed from their claims at the table in force. */
    top: Array<{
      groupId: string;
      name: string;
      currency: string;
      groupLimit: number;
      exposure: number;
      availableCredit: number;
      exposureInBase: number;
      members: number;
    }>;
  };
  openAlerts: Record<string, number>;
  /** The month of the flow figures (this month, to the report's moment). */
  period: string;
  bestPossibleDso: number | null;
  averageDaysDelinquent: number | null;
  cei: ReportFigures["cei"];
  overLimit: ReportFigures["overLimit"];
  orderBlocks: ReportFigures["orderBlocks"];
  applications: ReportFigures["applications"];
  migration: ReportFigures["migration"];
  /** The monthly snapshots of the last 12 closed months, oldest first. */
  history: Array<Omit<StoredSnapshot, "takenAt"> & { takenAt: string }>;
}

/** A group's figures from its claims, at the table in force (claims in a currency without a rate: as last written). */
function groupLine(groupId: string, g: CreditGroup, policy: CreditPolicy, table: FxTable) {
  let exposure = g.exposure;
  const convertible =
    canConvert(table, g.currency) && Object.values(g.claims).every((c) => canConvert(table, c.currency));
  if (convertible) exposure = othersClaimed(g, null, table);
  const exposureInBase =
    convertible && canConvert(table, policy.baseCurrency)
      ? convertMinor(exposure, g.currency, policy.baseCurrency, table, "nearest")
      : g.exposureInBase;
  return {
    groupId,
    name: g.name,
    currency: g.currency,
    groupLimit: g.groupLimit,
    exposure,
    availableCredit: g.groupLimit - exposure,
    exposureInBase,
    members: g.memberIds.length,
  };
}

export { dso };

const ZERO_AGING: Aging = { current: 0, d1_30: 0, d31_60: 0, d61_90: 0, d90plus: 0, disputed: 0 };
const emptySlices = (keys: readonly string[]) =>
  Object.fromEntries(keys.map((k) => [k, { customers: 0, exposure: 0, creditLimit: 0 }])) as Record<string, Slice>;

/** Sum the currencies' figures into the base currency. */
export function inBaseCurrency(byCurrency: CurrencyFigures[], others: number, policy: CreditPolicy, table: FxTable) {
  const base = policy.baseCurrency;
  const byTier = emptySlices(TIERS);
  const byGrade = emptySlices(["A", "B", "C", "D", "E"]);
  const aging: Aging = { ...ZERO_AGING };
  let openInvoiceBalance = 0;
  let volume12m = 0;
  const overLimit = { customers: 0, amountOver: 0 };
  let unconverted = others;
  const breakdown: CurrencyBreakdown[] = [];
  const top: Array<TopExposure & { exposureInBase: number }> = [];
  for (const f of byCurrency) {
    const own = Object.values(f.byTier).reduce(
      (t, s) => ({ exposure: t.exposure + s.exposure, creditLimit: t.creditLimit + s.creditLimit }),
      { exposure: 0, creditLimit: 0 },
    );
    const rb = rateOf(table, base);
    const rc = rateOf(table, f.currency);
    const convertible = rb !== null && rc !== null;
    const conv = (x: number) => convertMinor(x, f.currency, base, table, "nearest");
    breakdown.push({
      currency: f.currency,
      rate: convertible ? Number((rc / rb).toPrecision(12)) : null,
      customers: f.customers,
      exposure: own.exposure,
      creditLimit: own.creditLimit,
      openInvoiceBalance: f.openInvoiceBalance,
      volume12m: f.volume12m,
      aging: f.aging,
      dso: dso(f.openInvoiceBalance, f.volume12m),
      inBase: convertible
        ? {
            exposure: conv(own.exposure),
            creditLimit: conv(own.creditLimit),
            openInvoiceBalance: conv(f.openInvoiceBalance),
            volume12m: conv(f.volume12m),
          }
        : null,
    });
    if (!convertible) {
      unconverted += f.customers;
      continue;
    }
    const add = (into: Record<string, Slice>, from: Record<string, Slice>) => {
      for (const [k, s] of Object.entries(from)) {
        const t = (into[k] ??= { customers: 0, exposure: 0, creditLimit: 0 });
        t.customers += s.customers;
        t.exposure += conv(s.exposure);
        t.creditLimit += conv(s.creditLimit);
      }
    };
    add(byTier, f.byTier);
    add(byGrade, f.byGrade);
    for (const k of Object.keys(aging) as Array<keyof Aging>) aging[k] += conv(f.aging[k]);
    openInvoiceBalance += conv(f.openInvoiceBalance);
    volume12m += conv(f.volume12m);
    overLimit.customers += f.overLimit.customers;
    overLimit.amountOver += conv(f.overLimit.amountOver);
    for (const t of f.topExposures) top.push({ ...t, exposureInBase: conv(t.exposure) });
  }
  const totals = Object.values(byTier).reduce(
    (t, s) => ({
      customers: t.customers + s.customers,
      exposure: t.exposure + s.exposure,
      creditLimit: t.creditLimit + s.creditLimit,
    }),
    { customers: 0, exposure: 0, creditLimit: 0 },
  );
  top.sort((a, b) => b.exposureInBase - a.exposureInBase || (a.customerId < b.customerId ? -1 : 1));
  return {
    totals: { ...totals, openInvoiceBalance, volume12m },
    byTier,
    byGrade,
    aging,
    dso: dso(openInvoiceBalance, volume12m),
    overLimit,
    byCurrency: breakdown,
    unconvertedCustomers: unconverted,
    topExposures: top.slice(0, 10),
  };
}

/** The flow figures of a month in the report's words (means over the timed decisions). */
export function flowFigures(f: FlowFigures): Pick<ReportFigures, "orderBlocks" | "applications"> {
  const b = f.orderBlocks;
  const a = f.applications;
  return {
    orderBlocks: {
      open: b.open,
      blocked: b.blocked,
      released: b.released,
      rejected: b.rejected,
      averageReleaseHours: averageTurnaround(b.turnaroundSeconds, b.timedDecisions, "hours"),
      timedDecisions: b.timedDecisions,
    },
    applications: {
      pending: a.pending,
      submitted: a.submitted,
      approved: a.approved,
      rejected: a.rejected,
      averageDecisionDays: averageTurnaround(a.turnaroundSeconds, a.timedDecisions, "days"),
      timedDecisions: a.timedDecisions,
    },
  };
}

/** CEI from a snapshot (its receivables are B) to the figures at `at`. */
export function ceiSince(
  base: Pick<StoredSnapshot, "takenAt" | "totals" | "baseCurrency"> | null,
  at: number,
  now: { openInvoiceBalance: number; volume12m: number; current: number },
  baseCurrency: string,
): ReportFigures["cei"] {
  // Figures in another base currency (the policy's base changed) are not comparable.
  if (!base || base.takenAt >= at || base.baseCurrency !== baseCurrency) return null;
  const days = daysBetween(base.takenAt, at);
  const sales = salesOver(now.volume12m, days);
  const x = {
    beginning: base.totals.openInvoiceBalance,
    sales,
    ending: now.openInvoiceBalance,
    endingCurrent: now.current,
  };
  return {
    value: collectionEffectiveness(x),
    from: new Date(base.takenAt).toISOString(),
    to: new Date(at).toISOString(),
    days,
    ...x,
  };
}

export function migrationFigures(period: string, matrix: MigrationMatrix): ReportFigures["migration"] {
  return { period, reviewed: matrixTotal(matrix), matrix };
}

/** Everything the report and a snapshot share, read at `at` (historical: point-in-time) for the flows of `period`. */
export async function reportFigures(
  at: number,
  historical: boolean,
  period: string,
  policy: CreditPolicy,
  now: number,
) {
  const current = await loadFxTable(now, policy);
  const currencies = [...new Set([policy.baseCurrency, ...policy.currencies])];
  let figures;
  try {
    // A past asOf reads the database as it was (Firestore point-in-time reads: an hour back, or 7 days with PITR enabled).
    figures = await readPortfolio(historical ? Math.floor(at / 60_000) * 60_000 : null, currencies, period);
  } catch (err) {
    if (historical)
      throw precondition("the portfolio cannot be read as of that time (point-in-time recovery keeps 7 days)", {
        cause: String((err as Error).message).slice(0, 200),
      });
    throw err;
  }
  let table = current;
  if (historical && figures.fxDoc !== undefined) {
    const then = resolveFxTable(figures.fxDoc, policy, at);
    if (then.ok) table = then.table;
  }
  const sums = inBaseCurrency(figures.byCurrency, figures.otherCustomers, policy, table);
  const best = bestPossibleDso(sums.aging.current, sums.totals.volume12m);
  return {
    table,
    sums,
    figures,
    bestPossibleDso: best,
    averageDaysDelinquent: averageDaysDelinquent(sums.dso, best),
    ...flowFigures(figures.flows),
    migration: migrationFigures(period, figures.migration),
  };
}

/** The stored snapshot's figures from a report's (what reports/{yyyy-mm} keeps). */
export function snapshotFigures(
  r: Awaited<ReturnType<typeof reportFigures>>,
  period: string,
  cei: ReportFigures["cei"],
): ReportFigures {
  const s = r.sums;
  return {
    period,
    totals: s.totals,
    byTier: s.byTier,
    byGrade: s.byGrade,
    byCurrency: s.byCurrency.map((c) => ({
      currency: c.currency,
      customers: c.customers,
      exposure: c.exposure,
      exposureInBase: c.inBase?.exposure ?? null,
    })),
    aging: s.aging,
    dso: s.dso,
    bestPossibleDso: r.bestPossibleDso,
    averageDaysDelinquent: r.averageDaysDelinquent,
    cei,
    overLimit: s.overLimit,
    orderBlocks: r.orderBlocks,
    applications: r.applications,
    migration: r.migration,
    groups: { count: r.figures.groups.count, overLimit: r.figures.groups.overLimit },
    unconvertedCustomers: s.unconvertedCustomers,
  };
}

export async function portfolioReport(
  input: { asOf?: number | undefined },
  now: number,
  givenPolicy?: CreditPolicy,
): Promise<PortfolioReport> {
  const historical = input.asOf !== undefined && input.asOf < now - 60_000;
  if (input.asOf !== undefined && input.asOf > now + 60_000) throw precondition("asOf is in the future");
  const policy = givenPolicy ?? (await loadPolicy(now));
  const at = historical ? input.asOf! : now;
  const period = monthOf(at);
  const [r, history] = await Promise.all([
    reportFigures(at, historical, period, policy, now),
    readSnapshots(addMonths(period, -1), 12),
  ]);
  const { table, sums, figures } = r;
  // The month's reviews may not have run yet: then the class migration of the month before.
  let migration = r.migration;
  if (migration.reviewed === 0 && !historical) {
    const before = addMonths(period, -1);
    migration = migrationFigures(before, await migrationOf(before));
    if (migration.reviewed === 0) migration = r.migration;
  }
  // CEI over the period since the newest snapshot taken at least a day before.
  const base = history.snapshots.find((h) => h.takenAt <= at - DAY_MS) ?? null;
  const cei = ceiSince(
    base,
    at,
    {
      openInvoiceBalance: sums.totals.openInvoiceBalance,
      volume12m: sums.totals.volume12m,
      current: sums.aging.current,
    },
    policy.baseCurrency,
  );
  return {
    asOf: new Date(at).toISOString(),
    baseCurrency: policy.baseCurrency,
    fx: { base: table.base, asOf: new Date(table.asOf).toISOString().slice(0, 10), source: table.source ?? null },
    ...sums,
    groups: {
      count: figures.groups.count,
      overLimit: figures.groups.overLimit,
      top: figures.groups.top
        .map((t) => groupLine(t.groupId, t.group, policy, table))
        .sort((a, b) => b.exposureInBase - a.exposureInBase),
    },
    openAlerts: figures.openAlerts,
    period,
    bestPossibleDso: r.bestPossibleDso,
    averageDaysDelinquent: r.averageDaysDelinquent,
    cei,
    orderBlocks: r.orderBlocks,
    applications: r.applications,
    migration,
    history: history.snapshots
      .slice()
      .reverse()
      .map((h) => ({ ...h, takenAt: new Date(h.takenAt).toISOString() })),
  };
}
