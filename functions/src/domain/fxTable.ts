/**
 * Validating the FX table (config/fxRates) against the policy in force, and the built-in
 * reference table. Pure: the document comes in as plain data (a timestamp as a Date).
 *
 * A table is valid when it parses (schemas/fx.ts), is not dated in the future, gives its own
 * base no rate other than 1, and has a rate for the policy's base currency and for every
 * currency the policy accepts. An invalid table is never used: the last valid one stays in
 * force (services/fx.ts), the alert `fx_rates_invalid` names the paths at fault. A table older
 * than the policy's `fx.maxAgeDays` is still used, and raises `fx_rates_stale`.
 */
import { fxTableDocSchema } from "../schemas/fx.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { rateOf, type FxTable } from "./money.js";
import { DAY_MS } from "./time.js";

/**
 * Reference rates in code, for a database that has no config/fxRates yet (tests, the first
 * start of the local stack). Dated: once older than the policy's days they raise
 * `fx_rates_stale` like any other table — load the day's rates into config/fxRates.
 */
export const DEFAULT_FX_TABLE: FxTable = {
  base: "USD",
  asOf: Date.UTC(2026, 10, 27),
  rates: {
    EUR: 0.8612,
    GBP: 0.7541,
    CHF: 0.8034,
    CAD: 1.3987,
    AUD: 1.5312,
    SGD: 1.2968,
    HKD: 7.7815,
    TWD: 31.42,
    CNY: 7.0834,
    JPY: 156.12,
  },
  source: "built-in reference rates (demo and tests; load the day's rates into config/fxRates)",
};

export type FxResolution =
  | { ok: true; table: FxTable }
  | { ok: false; issues: Array<{ path: string; message: string }>; usable: FxTable | null };

function asOfMillis(v: string | Date): number {
  if (v instanceof Date) return v.getTime();
  return Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
}

/**
 * Resolve a stored document into a table, or say why it is invalid. `usable` is set when the
 * document parses and covers the policy's base currency but misses some accepted currency: the
 * best table available when no fully valid one exists (a currency the policy just added).
 */
export function resolveFxTable(doc: unknown, policy: CreditPolicy, now: number): FxResolution {
  const parsed = fxTableDocSchema.safeParse(doc);
  if (!parsed.success) {
    return {
      ok: false,
      usable: null,
      issues: parsed.error.issues.map((i) => ({
        path: [...i.path, ...(i.code === "unrecognized_keys" ? [i.keys.join(",")] : [])].map(String).join("."),
        message: i.message,
      })),
    };
  }
  const d = parsed.data;
  const issues: Array<{ path: string; message: string }> = [];
  const asOf = asOfMillis(d.asOf);
  if (!Number.isFinite(asOf)) issues.push({ path: "asOf", message: "must be a real date" });
  else if (asOf > now + DAY_MS) issues.push({ path: "asOf", message: "is in the future" });
  if (Object.hasOwn(d.rates, d.base) && d.rates[d.base] !== 1)
    issues.push({ path: `rates.${d.base}`, message: "the base currency's own rate must be 1 (or left out)" });
  const table: FxTable = { base: d.base, asOf, rates: d.rates, source: d.source ?? null };
  if (issues.length) return { ok: false, usable: null, issues };
  if (rateOf(table, policy.baseCurrency) === null) {
    return {
      ok: false,
      usable: null,
      issues: [{ path: `rates.${policy.baseCurrency}`, message: "no rate for the policy's base currency" }],
    };
  }
  const missing = missingCurrencies(table, policy);
  if (missing.length)
    return {
      ok: false,
      usable: table,
      issues: missing.map((c) => ({ path: `rates.${c}`, message: "no rate for a currency the policy accepts" })),
    };
  return { ok: true, table };
}

/** Currencies the policy accepts (or its base) that the table has no rate for. */
export function missingCurrencies(table: FxTable, policy: CreditPolicy): string[] {
  return [...new Set([policy.baseCurrency, ...policy.currencies])].filter((c) => rateOf(table, c) === null);
}

/** Whole days since the table's rates were set (0 on the day itself). */
export function fxAgeDays(table: FxTable, now: number): number {
  return Math.max(0, Math.floor((now - table.asOf) / DAY_MS));
}

export function isStale(table: FxTable, now: number, policy: CreditPolicy): boolean {
  return fxAgeDays(table, now) > policy.fx.maxAgeDays;
}
