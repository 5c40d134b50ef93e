/**
 * Financial statement analysis: ratios and the Altman Z'' score (the private,
 * non-manufacturing variant: Z'' = 6.56·X1 + 3.26·X2 + 6.72·X3 + 1.05·X4), plus the
 * balance check. Pure; amounts are integer minor units, ratios are plain numbers.
 */
export interface FinancialStatement {
  /** Epoch milliseconds. */
  periodEnd: number;
  currency: string;
  totalAssets: number;
  currentAssets: number;
  totalLiabilities: number;
  currentLiabilities: number;
  equity: number;
  retainedEarnings: number;
  revenue: number;
  ebit: number;
  netIncome: number;
}

export interface FinancialRatios {
  currentRatio: number | null;
  debtToEquity: number | null;
  netMargin: number | null;
  altmanZ: number | null;
  workingCapital: number;
}

export interface StatementCheck {
  balanced: boolean;
  /** assets − (liabilities + equity), minor units */
  difference: number;
}

/** Ratios are stored and shown: keep them finite (±999 means "off the scale"). */
const RATIO_CAP = 999;
function capped(x: number): number {
  return Math.max(-RATIO_CAP, Math.min(RATIO_CAP, x));
}

function ratio(numerator: number, denominator: number): number | null {
  if (denominator === 0 || !Number.isFinite(numerator) || !Number.isFinite(denominator)) return null;
  const r = numerator / denominator;
  return Number.isFinite(r) ? capped(r) : null;
}

export function checkStatement(
  s: FinancialStatement,
  tolerance: { absolute: number; relative: number },
): StatementCheck {
  const difference = s.totalAssets - (s.totalLiabilities + s.equity);
  const allowed = Math.max(tolerance.absolute, Math.abs(s.totalAssets) * tolerance.relative);
  return { balanced: Math.abs(difference) <= allowed, difference };
}

export function computeRatios(s: FinancialStatement): FinancialRatios {
  const workingCapital = s.currentAssets - s.currentLiabilities;
  // Negative equity means debt exceeds everything the owners hold: treat D/E as very high.
  const debtToEquity =
    s.equity <= 0 ? (s.totalLiabilities > 0 ? RATIO_CAP : null) : capped(s.totalLiabilities / s.equity);
  let altmanZ: number | null = null;
  if (s.totalAssets > 0) {
    const x1 = workingCapital / s.totalAssets;
    const x2 = s.retainedEarnings / s.totalAssets;
    const x3 = s.ebit / s.totalAssets;
    const x4 = s.totalLiabilities > 0 ? s.equity / s.totalLiabilities : 10;
    altmanZ = 6.56 * x1 + 3.26 * x2 + 6.72 * x3 + 1.05 * x4;
    altmanZ = Number.isFinite(altmanZ) ? capped(altmanZ) : null;
  }
  return {
    currentRatio: ratio(s.currentAssets, s.currentLiabilities) ?? (s.currentAssets > 0 ? RATIO_CAP : null),
    debtToEquity,
    netMargin: ratio(s.netIncome, s.revenue),
    altmanZ,
    workingCapital,
  };
}
