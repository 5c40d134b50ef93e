/** How a decision shows the base-currency conversion it relied on (audit entries, error messages). */
import { conversionNote, type FxTable } from "../domain/money.js";
import type { CreditPolicy } from "../schemas/policy.js";

/** `{fx: {currency, baseCurrency, rate, fxAsOf}}` for an audit entry's after, when a conversion was made. */
export function conversionOf(
  policy: CreditPolicy,
  currency: string,
  table: FxTable,
): { fx?: { currency: string; baseCurrency: string; rate: number; fxAsOf: string } } {
  const n = conversionNote(policy, currency, table);
  return n ? { fx: { ...n, fxAsOf: new Date(n.fxAsOf).toISOString().slice(0, 10) } } : {};
}

/** What a refusal for authority compared with, when the amount is not in the base currency. */
export function authorityNote(policy: CreditPolicy, currency: string): string {
  if (currency === policy.baseCurrency) return "";
  return ` (the ${policy.baseCurrency} authority converted into ${currency} at the FX table in force)`;
}
