/**
 * The FX table in force. Read from `config/fxRates` (an admin edits it in the console),
 * validated against the policy (domain/fxTable.ts), cached per instance for a short time so hot
 * paths cost no extra read. An invalid document is never used: the last valid table (kept at
 * config/fxRatesLastGood) or the reference table in code stays in force, the paths at fault are
 * logged and an `fx_rates_invalid` alert is raised. A table older than the policy's
 * `fx.maxAgeDays` stays in force and raises `fx_rates_stale` (checkFxRates, daily, and every
 * edit).
 */
import { canonicalJson } from "../domain/audit.js";
import { DEFAULT_FX_TABLE, fxAgeDays, isStale, missingCurrencies, resolveFxTable } from "../domain/fxTable.js";
import { canConvert, policyInCurrency, type FxTable } from "../domain/money.js";
import { invalid } from "../domain/errors.js";
import { readFxTableDocument, readLastGoodFxTable, writeLastGoodFxTable } from "../data/fx.js";
import type { CreditPolicy } from "../schemas/policy.js";
import { logs } from "../logs.js";
import { raiseAlert, resolveAlertCondition } from "./alerts.js";

const TTL_MS = 60_000;
let cached: { table: FxTable; loadedAt: number; policyKey: string } | null = null;

export const FX_ALERT_SUBJECT = { kind: "system", id: "fxRates" } as const;

export function clearFxCache(): void {
  cached = null;
}

/** What of the policy the table's validity depends on. */
function policyKey(policy: CreditPolicy): string {
  return canonicalJson({ base: policy.baseCurrency, currencies: policy.currencies, maxAgeDays: policy.fx.maxAgeDays });
}

async function raiseInvalid(issues: Array<{ path: string }>, now: number): Promise<void> {
  logs.fxRatesInvalid(issues);
  await raiseAlert(
    {
      type: "fx_rates_invalid",
      subject: FX_ALERT_SUBJECT,
      code: "FX_RATES_INVALID",
      details: {
        paths: issues
          .map((i) => i.path)
          .slice(0, 10)
          .join(","),
      },
    },
    now,
  );
}

/** A load in flight: concurrent callers (a job's parallel customers) share it instead of each reading and validating the table. */
let loading: { promise: Promise<FxTable>; policyKey: string } | null = null;

export async function loadFxTable(now: number, policy: CreditPolicy): Promise<FxTable> {
  const key = policyKey(policy);
  if (cached && now - cached.loadedAt < TTL_MS && cached.policyKey === key) return cached.table;
  if (loading?.policyKey === key) return loading.promise;
  const promise = loadFxTableNow(now, policy, key);
  loading = { promise, policyKey: key };
  try {
    return await promise;
  } finally {
    if (loading?.promise === promise) loading = null;
  }
}

async function loadFxTableNow(now: number, policy: CreditPolicy, key: string): Promise<FxTable> {
  const stored = await readFxTableDocument();
  let table: FxTable;
  if (stored.doc === undefined) {
    // No table loaded yet: the reference rates in code, which must cover the policy too.
    table = DEFAULT_FX_TABLE;
    const missing = missingCurrencies(table, policy);
    if (missing.length)
      await raiseInvalid(
        missing.map((c) => ({ path: `rates.${c}` })),
        now,
      );
    else await resolveAlertCondition({ type: "fx_rates_invalid", subject: FX_ALERT_SUBJECT }, "FX_RATES_DEFAULTS", now);
  } else {
    const r = resolveFxTable(stored.doc, policy, now);
    if (r.ok) {
      table = r.table;
      const lastGood = await readLastGoodFxTable();
      if (canonicalJson(lastGood.doc ?? null) !== canonicalJson(stored.doc))
        await writeLastGoodFxTable(stored.doc, stored.updateTime);
      await resolveAlertCondition({ type: "fx_rates_invalid", subject: FX_ALERT_SUBJECT }, "FX_RATES_VALID_AGAIN", now);
    } else {
      await raiseInvalid(r.issues, now);
      const last = resolveFxTable((await readLastGoodFxTable()).doc, policy, now);
      table = last.ok ? last.table : (last.usable ?? r.usable ?? DEFAULT_FX_TABLE);
    }
  }
  cached = { table, loadedAt: now, policyKey: key };
  return table;
}

/** The policy in a currency, converted with the table in force (loaded unless given). */
export async function policyFor(
  currency: string,
  now: number,
  policy: CreditPolicy,
  fx?: FxTable,
): Promise<{ policy: CreditPolicy; fx: FxTable }> {
  const table = fx ?? (await loadFxTable(now, policy));
  return { policy: policyInCurrency(policy, currency, table), fx: table };
}

/** A new application's currency must be accepted by the policy and convertible to its base. */
export function assertConvertible(field: string, currency: string, table: FxTable): void {
  if (!canConvert(table, currency))
    throw invalid(field, `${currency} has no exchange rate in the FX table in force (config/fxRates)`);
}

export interface FxCheck {
  ageDays: number;
  maxAgeDays: number;
  stale: boolean;
  base: string;
}

/** The daily look at the table in force: raise `fx_rates_stale` when it is older than the policy allows, resolve it when fresh. */
export async function checkFxRates(now: number, policy: CreditPolicy): Promise<FxCheck> {
  const table = await loadFxTable(now, policy);
  const ageDays = fxAgeDays(table, now);
  const stale = isStale(table, now, policy);
  if (stale) {
    await raiseAlert(
      {
        type: "fx_rates_stale",
        subject: FX_ALERT_SUBJECT,
        code: "FX_RATES_STALE",
        details: { ageDays, maxAgeDays: policy.fx.maxAgeDays },
      },
      now,
    );
  } else {
    await resolveAlertCondition({ type: "fx_rates_stale", subject: FX_ALERT_SUBJECT }, "FX_RATES_FRESH", now);
  }
  logs.fxRatesChecked(ageDays, stale);
  return { ageDays, maxAgeDays: policy.fx.maxAgeDays, stale, base: table.base };
}
