/**
 * Money in more than one currency: the policy's figures are in its base currency and are
 * converted, at decision time, into the currency of the customer (or application, order,
 * group) they are compared with, through the FX table in force (config/fxRates). Pure.
 *
 * Rules, in the credit department's favour and exact:
 *  - Amounts are integer minor units of their currency (ISO 4217 exponent: JPY 0, KWD 3,
 *    most 2). A rate is "units of the currency for one unit of the table's base", read as the
 *    decimal it is written as (0.92 is 92/100, never its binary approximation).
 *  - A conversion is one exact rational computation (BigInt) followed by one explicit rounding:
 *    `down` (toward −∞), `up` (toward +∞) or `nearest` (halves away from zero).
 *  - Every money figure of the policy (authority, grade caps, starter cap, capacity without a
 *    statement, the auto-approve ceiling, the young-business request threshold, the balance
 *    tolerance) converts rounding down: a ceiling never grows in conversion, and a threshold
 *    compared with ≥ catches at least what its base figure does. The limit rounding unit
 *    converts to the nearest 1-2-5 step (1,000.00 USD stays 1,000.00 EUR; 150,000 … 200,000 JPY).
 *  - Report figures convert `nearest`, per currency sum, then add.
 */
import type { CreditPolicy } from "../schemas/policy.js";
import { CreditDeskError } from "./errors.js";

/** ISO 4217 minor-unit exponents that are not 2. */
const EXPONENTS: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
};

/** Digits after the decimal point of a currency's minor unit. */
export function minorDigits(currency: string): number {
  return Object.hasOwn(EXPONENTS, currency) ? EXPONENTS[currency]! : 2;
}

/** The FX table in force: rates against its base currency, and the day they are for. */
export interface FxTable {
  base: string;
  /** The day the rates are for (epoch ms, UTC midnight or the time given). */
  asOf: number;
  /** Units of the currency for one unit of `base` (the base itself is 1 and may be left out). */
  rates: Readonly<Record<string, number>>;
  source?: string | null;
}

export type Rounding = "down" | "up" | "nearest";

/** A rate (or any finite positive number) as the exact decimal it is written as: n / 10^k. */
export function decimalOf(x: number): { n: bigint; k: number } {
  if (!Number.isFinite(x)) throw new RangeError("not a finite number");
  const s = String(x);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(s);
  if (!m) throw new RangeError(`cannot read ${s} as a decimal`);
  const frac = m[3] ?? "";
  let n = BigInt(`${m[1]}${m[2]}${frac}`);
  let k = frac.length - Number(m[4] ?? 0);
  if (k < 0) {
    n *= 10n ** BigInt(-k);
    k = 0;
  }
  return { n, k };
}

function divRound(num: bigint, den: bigint, rounding: Rounding): bigint {
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const q = num / den; // truncates toward zero
  const r = num % den;
  if (r === 0n) return q;
  switch (rounding) {
    case "down":
      return num < 0n ? q - 1n : q;
    case "up":
      return num > 0n ? q + 1n : q;
    default: {
      const twice = (r < 0n ? -r : r) * 2n;
      if (twice < den) return q;
      return num < 0n ? q - 1n : q + 1n;
    }
  }
}

export function fxRateMissing(currency: string, table: FxTable): CreditDeskError {
  return new CreditDeskError(
    "failed-precondition",
    `no exchange rate for ${currency} in the FX table in force (config/fxRates, base ${table.base})`,
    {
      reason: "FX_RATE_MISSING",
      currency,
    },
  );
}

/** Units of `currency` for one unit of the table's base, or null when the table has none. */
export function rateOf(table: FxTable, currency: string): number | null {
  if (currency === table.base) return 1;
  return Object.hasOwn(table.rates, currency) ? table.rates[currency]! : null;
}

export function canConvert(table: FxTable, currency: string): boolean {
  return rateOf(table, currency) !== null;
}

/**
 * Convert an integer amount of minor units of `from` into minor units of `to`: exactly, then
 * rounded as asked. Results beyond safe integers are clamped to ±MAX_SAFE_INTEGER.
 */
export function convertMinor(amount: number, from: string, to: string, table: FxTable, rounding: Rounding): number {
  if (!Number.isInteger(amount)) throw new RangeError("amount must be an integer number of minor units");
  if (from === to) return amount;
  const rf = rateOf(table, from);
  if (rf === null) throw fxRateMissing(from, table);
  const rt = rateOf(table, to);
  if (rt === null) throw fxRateMissing(to, table);
  // amount / 10^ef [major from] × rt / rf [major to] × 10^et  =  amount × rt × 10^et / (rf × 10^ef)
  const a = decimalOf(rt);
  const b = decimalOf(rf);
  const ef = minorDigits(from);
  const et = minorDigits(to);
  const num = BigInt(amount) * a.n * 10n ** BigInt(et + b.k);
  const den = b.n * 10n ** BigInt(ef + a.k);
  const out = divRound(num, den, rounding);
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  return Number(out > max ? max : out < -max ? -max : out);
}

/** The 1-2-5 step nearest to x (on a log scale), at least 1. */
export function niceStep(x: number): number {
  if (!(x > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  let best = p;
  for (const m of [1, 2, 5, 10]) {
    const c = m * p;
    if (Math.abs(Math.log(c / x)) < Math.abs(Math.log(best / x))) best = c;
  }
  return Math.min(best, Number.MAX_SAFE_INTEGER);
}

/**
 * The policy with every money figure in `currency` instead of the base currency (see the rules
 * above). The base currency's own policy is returned as it is.
 */
export function policyInCurrency(policy: CreditPolicy, currency: string, table: FxTable): CreditPolicy {
  const base = policy.baseCurrency;
  if (currency === base) return policy;
  const down = (x: number) => Math.max(0, convertMinor(x, base, currency, table, "down"));
  const l = policy.limits;
  const caps = l.gradeCaps;
  return {
    ...policy,
    balanceTolerance: { ...policy.balanceTolerance, absolute: down(policy.balanceTolerance.absolute) },
    limits: {
      ...l,
      gradeCaps: { A: down(caps.A), B: down(caps.B), C: down(caps.C), D: down(caps.D), E: down(caps.E) },
      starterCap: down(l.starterCap),
      noStatementCapacity: down(l.noStatementCapacity),
      roundingUnit: niceStep(convertMinor(l.roundingUnit, base, currency, table, "nearest")),
    },
    authority: { analyst: down(policy.authority.analyst), manager: down(policy.authority.manager) },
    fraud: { ...policy.fraud, youngBusinessLargeRequest: down(policy.fraud.youngBusinessLargeRequest) },
    incentives: { ...policy.incentives, autoApproveUpTo: down(policy.incentives.autoApproveUpTo) },
  };
}

/** How an amount compared with a base-currency figure was converted: for the audit entry. */
export interface ConversionNote {
  currency: string;
  baseCurrency: string;
  /** Units of `currency` per unit of the base currency, from the table in force. */
  rate: number;
  fxAsOf: number;
}

export function conversionNote(policy: CreditPolicy, currency: string, table: FxTable): ConversionNote | null {
  if (currency === policy.baseCurrency) return null;
  const rc = rateOf(table, currency);
  const rb = rateOf(table, policy.baseCurrency);
  if (rc === null || rb === null) return null;
  return { currency, baseCurrency: policy.baseCurrency, rate: Number((rc / rb).toPrecision(12)), fxAsOf: table.asOf };
}
