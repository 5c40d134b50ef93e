import { describe, expect, it } from "vitest";
import {
  addRecentOrder,
  applicationSignals,
  fraudScore,
  normaliseIdentity,
  orderSignals,
  shouldHold,
} from "../../functions/src/domain/fraud.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";

const P = DEFAULT_POLICY;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 28, 12);
const balanced = {
  periodEnd: NOW,
  currency: "USD",
  totalAssets: 1_000_00,
  currentAssets: 500_00,
  totalLiabilities: 400_00,
  currentLiabilities: 200_00,
  equity: 600_00,
  retainedEarnings: 100_00,
  revenue: 2_000_00,
  ebit: 100_00,
  netIncome: 50_00,
};

describe("application fraud signals", () => {
  const base = { foundedYear: 2010, requestedLimit: 10_000_00, statement: balanced, collisions: [], asOf: NOW };
  it("a clean application raises none", () => {
    expect(applicationSignals(base, P.fraud, P.balanceTolerance)).toEqual([]);
  });
  it("identity collisions name the other subjects, one signal per kind", () => {
    const s = applicationSignals(
      {
        ...base,
        collisions: [
          { kind: "registration", other: "customer:c1" },
          { kind: "email", other: "application:a2" },
          { kind: "email", other: "application:a2" },
        ],
      },
      P.fraud,
      P.balanceTolerance,
    );
    expect(s.map((x) => x.code).sort()).toEqual(["IDENTITY_COLLISION_EMAIL", "IDENTITY_COLLISION_REGISTRATION"]);
    expect(s.find((x) => x.code === "IDENTITY_COLLISION_EMAIL")?.related).toEqual(["application:a2"]);
    expect(shouldHold(s, P.fraud)).toBe(true);
  });
  it("an unbalanced balance sheet and a young business asking for a large limit", () => {
    const s = applicationSignals(
      { ...base, foundedYear: 2026, requestedLimit: 60_000_00, statement: { ...balanced, equity: 1 } },
      P.fraud,
      P.balanceTolerance,
    );
    expect(s.map((x) => x.code).sort()).toEqual(["STATEMENT_UNBALANCED", "YOUNG_BUSINESS_LARGE_REQUEST"]);
    expect(fraudScore(s)).toBe(P.fraud.weights.STATEMENT_UNBALANCED + P.fraud.weights.YOUNG_BUSINESS_LARGE_REQUEST);
  });
  it("identity values are normalised so trivial variations collide", () => {
    expect(normaliseIdentity("phone", "+1 (555) 010-0")).toBe(normaliseIdentity("phone", "+155501 00"));
    expect(normaliseIdentity("registration", "ab-12 34")).toBe(normaliseIdentity("registration", "AB1234"));
    expect(normaliseIdentity("email", " Pat@Acme.Example ")).toBe("pat@acme.example");
  });
});

describe("order fraud signals", () => {
  const steady: Record<string, number> = {};
  for (let d = 8; d < 91; d += 7) steady[String(Math.floor((NOW - d * DAY) / DAY))] = 1_000_00;
  const base = {
    orderAmount: 1_000_00,
    orderIssuedAt: NOW,
    asOf: NOW,
    recentOrders: addRecentOrder(steady, NOW, 1_000_00, NOW),
    creditLimit: 50_000_00,
    customerSince: NOW - 400 * DAY,
    priorOrders: 12,
    bankAccountChangedAt: null,
  };
  it("a steady customer raises none", () => {
    expect(orderSignals(base, P.velocity, P.fraud.weights)).toEqual([]);
  });
  it("a 7-day spike over 3x the weekly average and over half the limit", () => {
    const spike = addRecentOrder(steady, NOW, 30_000_00, NOW);
    expect(
      orderSignals({ ...base, orderAmount: 30_000_00, recentOrders: spike }, P.velocity, P.fraud.weights).map(
        (s) => s.code,
      ),
    ).toContain("ORDER_VELOCITY_SPIKE");
    // over 3x the average but small against the limit: no signal
    const small = addRecentOrder(steady, NOW, 4_000_00, NOW);
    expect(orderSignals({ ...base, orderAmount: 4_000_00, recentOrders: small }, P.velocity, P.fraud.weights)).toEqual(
      [],
    );
  });
  it("a new customer's single large first order", () => {
    const s = orderSignals(
      {
        ...base,
        orderAmount: 30_000_00,
        recentOrders: addRecentOrder({}, NOW, 30_000_00, NOW),
        customerSince: NOW - 10 * DAY,
        priorOrders: 0,
      },
      P.velocity,
      P.fraud.weights,
    );
    expect(s.map((x) => x.code)).toEqual(["LARGE_FIRST_ORDER"]);
    expect(
      orderSignals(
        { ...base, orderAmount: 30_000_00, customerSince: NOW - 100 * DAY, priorOrders: 0, recentOrders: {} },
        P.velocity,
        P.fraud.weights,
      ).map((x) => x.code),
    ).not.toContain("LARGE_FIRST_ORDER");
  });
  it("a large order within 30 days of a bank-detail change", () => {
    expect(
      orderSignals(
        { ...base, orderAmount: 30_000_00, bankAccountChangedAt: NOW - 5 * DAY, recentOrders: steady },
        P.velocity,
        P.fraud.weights,
      ).map((x) => x.code),
    ).toContain("ORDER_AFTER_BANK_CHANGE");
    expect(
      orderSignals(
        { ...base, orderAmount: 30_000_00, bankAccountChangedAt: NOW - 45 * DAY, recentOrders: steady },
        P.velocity,
        P.fraud.weights,
      ).map((x) => x.code),
    ).not.toContain("ORDER_AFTER_BANK_CHANGE");
  });
  it("recent orders keep 91 days only", () => {
    const r = addRecentOrder({ [String(Math.floor((NOW - 200 * DAY) / DAY))]: 5 }, NOW, 7, NOW);
    expect(Object.values(r)).toEqual([7]);
  });
});
