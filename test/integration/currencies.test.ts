/**
 * A base currency: the policy's authority, caps, ceilings and thresholds are in it (USD by
 * default) and converted at decision time into the customer's currency through the FX table in
 * force (config/fxRates), which is validated and audited like the policy: the last valid table
 * stays in force, an invalid edit raises `fx_rates_invalid`, a table older than the policy's
 * days raises `fx_rates_stale`.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DocumentData } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { chains } from "../../functions/src/data/audit.js";
import { firestore } from "../../functions/src/data/firebase.js";
import { DEFAULT_FX_TABLE } from "../../functions/src/domain/fxTable.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { verifyChain } from "../../functions/src/services/auditTrail.js";
import { checkFxRates, loadFxTable } from "../../functions/src/services/fx.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { fxRatesWritten } from "../../functions/src/triggers/fxRatesWritten.js";
import { captureLogs, type LogCapture } from "../support/arbitraries.js";
import { call, callError, databaseSnapshot, fft, firestoreServer, users } from "../support/callables.js";
import { application, statement } from "../support/fixtures.js";

const db = () => firestore();
const DAY = 86_400_000;
const FX = "config/fxRates";
const INVALID_ALERT = "alerts/system_fxRates_fx_rates_invalid";
const STALE_ALERT = "alerts/system_fxRates_fx_rates_stale";
const today = () => new Date().toISOString().slice(0, 10);
const table = (rates: Record<string, number>, asOf = today()) => ({
  base: "USD",
  asOf,
  rates: { ...DEFAULT_FX_TABLE.rates, ...rates },
  source: "test",
});

let seq = 0;
/** An application in `currency`, reviewed, for someone to decide. */
async function reviewed(
  currency: string,
  requestedLimit: number,
): Promise<{ applicationId: string; recommendedLimit: number }> {
  seq++;
  const { applicationId } = await call(
    fns.submitCreditApplication,
    application({
      currency,
      requestedLimit,
      financials: { ...statement, currency },
      company: { ...application().company, registrationNo: `REG-FX${seq}` },
      contacts: [{ name: "P", email: `fx${seq}@x.example`, phone: `+1 555 ${2000 + seq}` }],
    }),
    { uid: `u-applicant-fx${seq}`, role: null }, // one applicant per application (the policy bounds open applications per applicant)
  );
  const r = await call(fns.reviewCreditApplication, { applicationId }, users.analyst);
  return { applicationId, recommendedLimit: r.recommendedLimit };
}

async function analystMayApprove(currency: string, limit: number): Promise<boolean> {
  const { applicationId } = await reviewed(currency, limit);
  try {
    await call(
      fns.decideCreditApplication,
      { applicationId, decision: "approve", approvedLimit: limit, note: "ok" },
      users.analyst,
    );
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "permission-denied") return false;
    throw err;
  }
}

async function editFx(data: DocumentData | null) {
  await db().doc(FX).delete();
  if (data !== null) await db().doc(FX).set(data);
  clearPolicyCache();
}

const alert = async (path: string) => (await db().doc(path).get()).data();
const systemActions = async () =>
  (await db().collection("audit/system/entries").orderBy("seq").get()).docs.map((d) => d.data().action as string);

let logs: LogCapture;
beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
  logs = await captureLogs(false);
});
afterEach(() => logs.restore());

describe("authority, caps and thresholds in the base currency, converted at decision time", () => {
  it("an analyst's 50,000.00 USD is 43,060.00 EUR and 7,806,000 JPY at the table in force, not 50,000 of anything", async () => {
    expect(await analystMayApprove("EUR", 43_060_00)).toBe(true);
    expect(await analystMayApprove("EUR", 43_060_01)).toBe(false);
    expect(await analystMayApprove("EUR", 45_000_00)).toBe(false); // nominally below 50,000: refused
    expect(await analystMayApprove("JPY", 6_000_000)).toBe(true); // nominally above 5,000,000 minor units: within authority
    expect(await analystMayApprove("JPY", 7_806_001)).toBe(false);
    expect(await analystMayApprove("USD", 50_000_00)).toBe(true);
    // the decision records the rate it relied on
    const { applicationId } = await reviewed("EUR", 40_000_00);
    await call(
      fns.decideCreditApplication,
      { applicationId, decision: "approve", approvedLimit: 40_000_00, note: "ok" },
      users.analyst,
    );
    const entries = (await db().collection(`audit/application_${applicationId}/entries`).orderBy("seq").get()).docs.map(
      (d) => d.data(),
    );
    expect(entries.at(-1)).toMatchObject({
      action: "application.decide",
      after: { fx: { currency: "EUR", baseCurrency: "USD", rate: 0.8612, fxAsOf: "2026-11-27" } },
    });
  });

  it("the refusal says the authority was converted; a limit increase and a blocked order are judged the same way", async () => {
    const { applicationId } = await reviewed("EUR", 45_000_00);
    const e = await callError(
      fns.decideCreditApplication,
      { applicationId, decision: "approve", approvedLimit: 45_000_00, note: "ok" },
      users.analyst,
    );
    expect(e.message).toContain("USD authority converted into EUR");
    const { customerId } = await call(
      fns.decideCreditApplication,
      { applicationId, decision: "approve", approvedLimit: 40_000_00, note: "ok", ownerUid: users.sales.uid },
      users.manager,
    );
    const up = await call(fns.requestLimitChange, { customerId, newLimit: 44_000_00, reason: "growth" }, users.sales);
    const before = databaseSnapshot();
    expect(
      (
        await callError(
          fns.decideLimitChange,
          { limitRequestId: up.limitRequestId, decision: "approve", note: "ok" },
          users.analyst,
        )
      ).code,
    ).toBe("permission-denied");
    expect(databaseSnapshot()).toBe(before);
    await call(
      fns.decideLimitChange,
      { limitRequestId: up.limitRequestId, decision: "approve", note: "ok" },
      users.manager,
    );
    const blocked = await call(
      fns.checkOrder,
      { customerId, orderAmount: 50_000_00, reserve: true, orderRef: "PO-FX" },
      users.sales,
    );
    expect(
      (
        await callError(
          fns.releaseOrderBlock,
          { blockId: blocked.blockId, decision: "release", note: "ok" },
          users.analyst,
        )
      ).code,
    ).toBe("permission-denied");
    expect(
      (await call(fns.releaseOrderBlock, { blockId: blocked.blockId, decision: "release", note: "ok" }, users.manager))
        .status,
    ).toBe("released");
  });

  it("grade caps and the starter cap bound a JPY recommendation in yen, rounded to a yen step", async () => {
    const { recommendedLimit } = await reviewed("JPY", 900_000_000);
    const starterCapJpy = Math.floor((100_000_00 * 156.12) / 100); // 100,000.00 USD
    expect(recommendedLimit).toBeLessThanOrEqual(starterCapJpy);
    expect(recommendedLimit).toBeGreaterThan(100_000_00); // not the nominal 10,000,000 minor-unit cap: the yen equivalent
    expect(recommendedLimit % 200_000).toBe(0);
  });

  it("a currency the policy accepts but the table has no rate for is refused at the door, naming the field", async () => {
    await db()
      .doc("config/creditPolicy")
      .set({ currencies: [...DEFAULT_POLICY.currencies, "NZD"] });
    clearPolicyCache();
    const before = databaseSnapshot();
    const e = await callError(
      fns.submitCreditApplication,
      application({ currency: "NZD", financials: { ...statement, currency: "NZD" } }),
      users.applicant,
    );
    expect(e.code).toBe("invalid-argument");
    expect(e.message).toMatch(/^currency: NZD has no exchange rate/);
    // (loading the table saw it miss NZD: an invalid table raises its alert; nothing else was written)
    expect(await alert(INVALID_ALERT)).toMatchObject({ status: "open", details: { paths: "rates.NZD" } });
    expect((await db().collection("applications").get()).size).toBe(0);
    const again = databaseSnapshot();
    expect(
      (
        await callError(
          fns.submitCreditApplication,
          application({ currency: "NZD", financials: { ...statement, currency: "NZD" } }),
          users.applicant,
        )
      ).code,
    ).toBe("invalid-argument");
    expect(databaseSnapshot()).toBe(again);
    expect(before).not.toBe(again); // the first load raised the alert: that is all it wrote
  });
});

describe("the FX table: validated and audited like the policy", () => {
  it("a valid table is in force; an invalid edit is never used (the last valid one stays), raises an audited alert; fixing it resolves the alert", async () => {
    await editFx(table({ EUR: 0.5 }));
    expect(await analystMayApprove("EUR", 25_000_00)).toBe(true); // 50,000 USD = 25,000 EUR now
    expect(await analystMayApprove("EUR", 25_000_01)).toBe(false);

    await editFx(table({ EUR: -1, GBP: 0 }));
    expect(await analystMayApprove("EUR", 25_000_01)).toBe(false); // still 0.5: the last valid table
    expect(await analystMayApprove("EUR", 25_000_00)).toBe(true);
    const open = await alert(INVALID_ALERT);
    expect(open).toMatchObject({
      type: "fx_rates_invalid",
      status: "open",
      code: "FX_RATES_INVALID",
      severity: "critical",
    });
    expect(String(open?.details.paths).split(",")).toEqual(["rates.EUR", "rates.GBP"]);
    expect(logs.entries.some((e) => e.includes("fx_rates_invalid") && e.includes("rates.EUR"))).toBe(true);

    await editFx(table({ EUR: 0.8 }));
    expect(await analystMayApprove("EUR", 40_000_00)).toBe(true);
    expect(await alert(INVALID_ALERT)).toMatchObject({ status: "resolved", resolution: "condition_cleared" });
    expect(await systemActions()).toEqual(["alert.raise", "alert.auto_resolve"]);
  });

  it("without any valid table the reference rates in code stay in force", async () => {
    await editFx({ base: "USD", rates: { EUR: 0.5 } });
    const t = await loadFxTable(Date.now(), DEFAULT_POLICY);
    expect(t).toEqual(DEFAULT_FX_TABLE);
    expect((await alert(INVALID_ALERT))?.details.paths).toBe("asOf");
  });

  it("a stale table still converts, and raises fx_rates_stale; fresh rates resolve it (daily check)", async () => {
    const now = Date.now();
    await editFx(table({ EUR: 0.9 }, new Date(now - 10 * DAY).toISOString().slice(0, 10)));
    expect(await checkFxRates(now, DEFAULT_POLICY)).toMatchObject({
      ageDays: 10,
      maxAgeDays: 7,
      stale: true,
      base: "USD",
    });
    expect(await alert(STALE_ALERT)).toMatchObject({
      type: "fx_rates_stale",
      status: "open",
      severity: "warning",
      details: { ageDays: 10, maxAgeDays: 7 },
    });
    expect(await analystMayApprove("EUR", 45_000_00)).toBe(true); // 0.9 in force: 45,000 EUR
    await checkFxRates(now, DEFAULT_POLICY);
    expect((await alert(STALE_ALERT))?.occurrences).toBe(1);
    await editFx(table({ EUR: 0.9 }));
    expect(await checkFxRates(now, DEFAULT_POLICY)).toMatchObject({ ageDays: 0, stale: false });
    expect(await alert(STALE_ALERT)).toMatchObject({ status: "resolved" });
  });
});

describe("fxRatesWritten trigger", () => {
  const event = (id: string, before: DocumentData | null, after: DocumentData | null, updateTime?: string) => ({
    id,
    params: {},
    data: fft.makeChange(
      fft.firestore.makeDocumentSnapshot(before ?? {}, FX),
      fft.firestore.makeDocumentSnapshot(after ?? {}, FX, updateTime ? { updateTime } : undefined),
    ),
  });
  const fire = (e: ReturnType<typeof event>) =>
    (fft.wrap(fxRatesWritten) as unknown as (e: unknown) => Promise<void>)(e);

  it("audits every edit, raises and resolves the alerts at once, keeps the last valid table; a redelivery changes nothing", async () => {
    const bad = table({ EUR: -1 });
    await editFx(bad);
    await fire(event("fx-1", null, bad));
    expect(await alert(INVALID_ALERT)).toMatchObject({ status: "open", details: { paths: "rates.EUR" } });
    expect(await systemActions()).toEqual(["fx.edit", "alert.raise"]);
    const editEntry = (await db().collection("audit/system/entries").orderBy("seq").get()).docs[0]!.data();
    expect(editEntry).toMatchObject({
      action: "fx.edit",
      target: FX,
      reason: "FX_RATES_INVALID",
      actor: { uid: "console" },
      after: { rates: { EUR: -1 } },
    });
    const snapshot = databaseSnapshot();
    await fire(event("fx-1", null, bad));
    expect(databaseSnapshot()).toBe(snapshot);

    // a valid but old table: the invalid alert resolves, the stale one opens
    const old = table({ EUR: 0.9 }, new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10));
    await editFx(old);
    await fire(event("fx-2", bad, old, new Date().toISOString()));
    expect(await alert(INVALID_ALERT)).toMatchObject({ status: "resolved" });
    expect(await alert(STALE_ALERT)).toMatchObject({ status: "open", code: "FX_RATES_STALE" });
    expect((await db().doc("config/fxRatesLastGood").get()).data()?.table).toMatchObject({ rates: { EUR: 0.9 } });

    const fresh = table({ EUR: 0.88 });
    await editFx(fresh);
    await fire(event("fx-3", old, fresh, new Date(Date.now() + 1000).toISOString()));
    expect(await alert(STALE_ALERT)).toMatchObject({ status: "resolved" });
    expect(await systemActions()).toEqual([
      "fx.edit",
      "alert.raise",
      "fx.edit",
      "alert.auto_resolve",
      "alert.raise",
      "fx.edit",
      "alert.auto_resolve",
    ]);
    expect(await verifyChain("system", chains.system().headDoc)).toEqual({ ok: true, checked: 7 });
  });
});
