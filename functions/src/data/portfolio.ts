/**
 * Portfolio figures straight from the customer aggregates with Firestore aggregation
 * queries (count/sum): the cost grows with the number of index entries scanned (one
 * billed read per 1,000), never with transaction history, and no customer document is
 * downloaded except the top exposures.
 */
import { AggregateField, Timestamp, type Query, type ReadOptions } from "firebase-admin/firestore";
import { ALERT_TYPES } from "../domain/alerts.js";
import { firestore } from "./firebase.js";
import { COLLECTIONS } from "./paths.js";
import type { CreditStatus } from "../domain/customer.js";
import type { Grade, Tier } from "../schemas/policy.js";

export interface Slice {
  customers: number;
  exposure: number;
  creditLimit: number;
}

export interface PortfolioFigures {
  byTier: Record<string, Slice>;
  byGrade: Record<string, Slice>;
  aging: { current: number; d1_30: number; d31_60: number; d61_90: number; d90plus: number; disputed: number };
  openInvoiceBalance: number;
  volume12m: number;
  topExposures: Array<{ customerId: string; name: string; exposure: number; creditLimit: number; tier: Tier; grade: Grade; status: CreditStatus }>;
  openAlerts: Record<string, number>;
}

type Reader = <T>(q: Query, spec: T) => Promise<Record<keyof T, number>>;

export async function readPortfolio(readTime: number | null): Promise<PortfolioFigures> {
  const db = firestore();
  const customers = db.collection(COLLECTIONS.customers);
  const run = async (fn: (tx: FirebaseFirestore.Transaction | null) => Promise<PortfolioFigures>) => {
    if (readTime === null) return fn(null);
    const opts: ReadOptions & { readOnly: true; readTime: Timestamp } = { readOnly: true, readTime: Timestamp.fromMillis(readTime) };
    return db.runTransaction((tx) => fn(tx), opts);
  };
  return run(async (tx) => {
    const agg: Reader = async (q, spec) => {
      const aq = q.aggregate(spec as Record<string, AggregateField<number>>);
      const snap = tx ? await tx.get(aq) : await aq.get();
      const data = snap.data() as Record<string, number | null>;
      return Object.fromEntries(Object.keys(spec as object).map((k) => [k, Number(data[k] ?? 0)])) as Record<keyof typeof spec, number>;
    };
    const slice = async (field: string, value: string): Promise<Slice> => {
      const r = await agg(customers.where(field, "==", value), {
        customers: AggregateField.count(),
        exposure: AggregateField.sum("exposure"),
        creditLimit: AggregateField.sum("creditLimit"),
      });
      return { customers: r.customers, exposure: r.exposure, creditLimit: r.creditLimit };
    };
    const tiers = ["premium", "standard", "risky"];
    const grades = ["A", "B", "C", "D", "E"];
    const [tierSlices, gradeSlices, aging, totals, top, alerts] = await Promise.all([
      Promise.all(tiers.map((t) => slice("tier", t))),
      Promise.all(grades.map((g) => slice("grade", g))),
      agg(customers, {
        current: AggregateField.sum("notYetDue"),
        d1_30: AggregateField.sum("pastDue1to30"),
        d31_60: AggregateField.sum("pastDue31to60"),
        d61_90: AggregateField.sum("pastDue61to90"),
        d90plus: AggregateField.sum("pastDue90plus"),
        disputed: AggregateField.sum("disputed"),
      }),
      agg(customers, { openInvoiceBalance: AggregateField.sum("openInvoiceBalance"), volume12m: AggregateField.sum("volume12m") }),
      (async () => {
        const q = customers.orderBy("exposure", "desc").limit(10);
        return tx ? tx.get(q) : q.get();
      })(),
      Promise.all(
        ALERT_TYPES.map(async (type) => [type, (await agg(db.collection(COLLECTIONS.alerts).where("status", "==", "open").where("type", "==", type), { n: AggregateField.count() })).n] as const),
      ),
    ]);
    return {
      byTier: Object.fromEntries(tiers.map((t, i) => [t, tierSlices[i]!])),
      byGrade: Object.fromEntries(grades.map((g, i) => [g, gradeSlices[i]!])),
      aging,
      openInvoiceBalance: totals.openInvoiceBalance,
      volume12m: totals.volume12m,
      topExposures: top.docs.map((d) => {
        const c = d.data();
        return { customerId: d.id, name: c.name, exposure: c.exposure, creditLimit: c.creditLimit, tier: c.tier, grade: c.grade, status: c.status };
      }),
      openAlerts: Object.fromEntries(alerts.filter(([, n]) => n > 0)),
    };
  });
}
