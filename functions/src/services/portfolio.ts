/** getPortfolioReport: exposure by tier and grade, aging, DSO, top exposures, open alerts. */
import { readPortfolio } from "../data/portfolio.js";
import { precondition } from "../domain/errors.js";

export interface PortfolioReport {
  asOf: string;
  totals: { customers: number; exposure: number; creditLimit: number; openInvoiceBalance: number; volume12m: number };
  byTier: Awaited<ReturnType<typeof readPortfolio>>["byTier"];
  byGrade: Awaited<ReturnType<typeof readPortfolio>>["byGrade"];
  aging: Awaited<ReturnType<typeof readPortfolio>>["aging"];
  /** Days sales outstanding: open receivables ÷ (12-month sales ÷ 365); null without sales. */
  dso: number | null;
  topExposures: Awaited<ReturnType<typeof readPortfolio>>["topExposures"];
  openAlerts: Record<string, number>;
}

/** Days sales outstanding, to one decimal. */
export function dso(openInvoiceBalance: number, volume12m: number): number | null {
  if (volume12m <= 0) return null;
  return Math.round((openInvoiceBalance / (volume12m / 365)) * 10) / 10;
}

export async function portfolioReport(input: { asOf?: number | undefined }, now: number): Promise<PortfolioReport> {
  const historical = input.asOf !== undefined && input.asOf < now - 60_000;
  if (input.asOf !== undefined && input.asOf > now + 60_000) throw precondition("asOf is in the future");
  let figures;
  try {
    // A past asOf reads the database as it was (Firestore point-in-time reads: an hour back, or 7 days with PITR enabled).
    figures = await readPortfolio(historical ? Math.floor(input.asOf! / 60_000) * 60_000 : null);
  } catch (err) {
    if (historical) throw precondition("the portfolio cannot be read as of that time (point-in-time recovery keeps 7 days)", { cause: String((err as Error).message).slice(0, 200) });
    throw err;
  }
  const totals = Object.values(figures.byTier).reduce(
    (t, s) => ({ customers: t.customers + s.customers, exposure: t.exposure + s.exposure, creditLimit: t.creditLimit + s.creditLimit }),
    { customers: 0, exposure: 0, creditLimit: 0 },
  );
  return {
    asOf: new Date(historical ? input.asOf! : now).toISOString(),
    totals: { ...totals, openInvoiceBalance: figures.openInvoiceBalance, volume12m: figures.volume12m },
    byTier: figures.byTier,
    byGrade: figures.byGrade,
    aging: figures.aging,
    dso: dso(figures.openInvoiceBalance, figures.volume12m),
    topExposures: figures.topExposures,
    openAlerts: figures.openAlerts,
  };
}
