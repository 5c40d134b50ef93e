/**
 * getPortfolioReport: exposure by tier and grade, aging, DSO, top exposures, open alerts —
 * in the policy's base currency, with a breakdown per currency in its own minor units.
 *
 * Each currency's sums are converted into the base currency at the FX table in force when the
 * report's moment was (a past `asOf` reads the table as it was then; if that one is not valid,
 * the one in force now), each sum rounded to the nearest minor unit (halves away from zero),
 * then added. Totals are the sums of the converted tier slices. Customers in a currency the
 * table has no rate for are counted in `unconvertedCustomers`, listed in `byCurrency` with
 * `inBase: null`, and left out of the base-currency figures. Credit groups: how many, how many over
 * their limit, and the ten largest, each recomputed from its members' claims (domain/groups.ts).
 */
import { readPortfolio, TIERS, type Aging, type CurrencyFigures, type Slice, type TopExposure } from "../data/portfolio.js";
import { precondition } from "../domain/errors.js";
import { resolveFxTable } from "../domain/fxTable.js";
import { othersClaimed, type CreditGroup } from "../domain/groups.js";
import { canConvert, convertMinor, rateOf, type FxTable } from "../domain/money.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { loadFxTable } from "./fx.js";
import { loadPolicy } from "./policy.js";

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
    top: Array<{ groupId: string; name: string; currency: string; groupLimit: number; exposure: number; availableCredit: number; exposureInBase: number; members: number }>;
  };
  openAlerts: Record<string, number>;
}

/** A group's figures from its claims, at the table in force (claims in a currency without a rate: as last written). */
function groupLine(groupId: string, g: CreditGroup, policy: CreditPolicy, table: FxTable) {
  let exposure = g.exposure;
  const convertible = canConvert(table, g.currency) && Object.values(g.claims).every((c) => canConvert(table, c.currency));
  if (convertible) exposure = othersClaimed(g, null, table);
  const exposureInBase = convertible && canConvert(table, policy.baseCurrency) ? convertMinor(exposure, g.currency, policy.baseCurrency, table, "nearest") : g.exposureInBase;
  return { groupId, name: g.name, currency: g.currency, groupLimit: g.groupLimit, exposure, availableCredit: g.groupLimit - exposure, exposureInBase, members: g.memberIds.length };
}

/** Days sales outstanding, to one decimal. */
export function dso(openInvoiceBalance: number, volume12m: number): number | null {
  if (volume12m <= 0) return null;
  return Math.round((openInvoiceBalance / (volume12m / 365)) * 10) / 10;
}

const ZERO_AGING: Aging = { current: 0, d1_30: 0, d31_60: 0, d61_90: 0, d90plus: 0, disputed: 0 };
const emptySlices = (keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, { customers: 0, exposure: 0, creditLimit: 0 }])) as Record<string, Slice>;

/** Sum the currencies' figures into the base currency. */
export function inBaseCurrency(byCurrency: CurrencyFigures[], others: number, policy: CreditPolicy, table: FxTable) {
  const base = policy.baseCurrency;
  const byTier = emptySlices(TIERS);
  const byGrade = emptySlices(["A", "B", "C", "D", "E"]);
  const aging: Aging = { ...ZERO_AGING };
  let openInvoiceBalance = 0;
  let volume12m = 0;
  let unconverted = others;
  const breakdown: CurrencyBreakdown[] = [];
  const top: Array<TopExposure & { exposureInBase: number }> = [];
  for (const f of byCurrency) {
    const own = Object.values(f.byTier).reduce((t, s) => ({ exposure: t.exposure + s.exposure, creditLimit: t.creditLimit + s.creditLimit }), { exposure: 0, creditLimit: 0 });
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
      inBase: convertible ? { exposure: conv(own.exposure), creditLimit: conv(own.creditLimit), openInvoiceBalance: conv(f.openInvoiceBalance), volume12m: conv(f.volume12m) } : null,
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
    for (const t of f.topExposures) top.push({ ...t, exposureInBase: conv(t.exposure) });
  }
  const totals = Object.values(byTier).reduce(
    (t, s) => ({ customers: t.customers + s.customers, exposure: t.exposure + s.exposure, creditLimit: t.creditLimit + s.creditLimit }),
    { customers: 0, exposure: 0, creditLimit: 0 },
  );
  top.sort((a, b) => b.exposureInBase - a.exposureInBase || (a.customerId < b.customerId ? -1 : 1));
  return {
    totals: { ...totals, openInvoiceBalance, volume12m },
    byTier,
    byGrade,
    aging,
    dso: dso(openInvoiceBalance, volume12m),
    byCurrency: breakdown,
    unconvertedCustomers: unconverted,
    topExposures: top.slice(0, 10),
  };
}

export async function portfolioReport(input: { asOf?: number | undefined }, now: number, givenPolicy?: CreditPolicy): Promise<PortfolioReport> {
  const historical = input.asOf !== undefined && input.asOf < now - 60_000;
  if (input.asOf !== undefined && input.asOf > now + 60_000) throw precondition("asOf is in the future");
  const policy = givenPolicy ?? (await loadPolicy(now));
  const current = await loadFxTable(now, policy);
  const currencies = [...new Set([policy.baseCurrency, ...policy.currencies])];
  let figures;
  try {
    // A past asOf reads the database as it was (Firestore point-in-time reads: an hour back, or 7 days with PITR enabled).
    figures = await readPortfolio(historical ? Math.floor(input.asOf! / 60_000) * 60_000 : null, currencies);
  } catch (err) {
    if (historical) throw precondition("the portfolio cannot be read as of that time (point-in-time recovery keeps 7 days)", { cause: String((err as Error).message).slice(0, 200) });
    throw err;
  }
  let table = current;
  if (historical && figures.fxDoc !== undefined) {
    const then = resolveFxTable(figures.fxDoc, policy, input.asOf!);
    if (then.ok) table = then.table;
  }
  const sums = inBaseCurrency(figures.byCurrency, figures.otherCustomers, policy, table);
  return {
    asOf: new Date(historical ? input.asOf! : now).toISOString(),
    baseCurrency: policy.baseCurrency,
    fx: { base: table.base, asOf: new Date(table.asOf).toISOString().slice(0, 10), source: table.source ?? null },
    ...sums,
    groups: {
      count: figures.groups.count,
      overLimit: figures.groups.overLimit,
      top: figures.groups.top.map((t) => groupLine(t.groupId, t.group, policy, table)).sort((a, b) => b.exposureInBase - a.exposureInBase),
    },
    openAlerts: figures.openAlerts,
  };
}
