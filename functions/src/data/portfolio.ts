/**
 * Portfolio figures straight from the customer aggregates with Firestore aggregation
 * queries (count/sum): the cost grows with the number of index entries scanned (one
 * billed read per 1,000), never with transaction history, and no customer document is
 * downloaded except the top exposures.
 *
 * Money of different currencies is never summed here: every sum is per currency (a filter on
 * `currency`), and the service converts each currency's sums into the base currency. A count
 * per accepted currency finds the currencies in use first, so a portfolio in three currencies
 * runs the detailed queries three times, not eleven. Credit groups: two counts and the ten largest
 * heads (ranked by `exposureInBase`, kept on each head by every claim update).
 */
import { AggregateField, Timestamp, type DocumentData, type Query, type ReadOptions } from "firebase-admin/firestore";
import { ALERT_TYPES } from "../domain/alerts.js";
import type { CreditGroup } from "../domain/groups.js";
import { fxDocFromStored } from "./fx.js";
import { groupFromSnapshot } from "./groups.js";
import { firestore } from "./firebase.js";
import { COLLECTIONS, paths } from "./paths.js";
import type { CreditStatus } from "../domain/customer.js";
import { CLASSES, emptyMatrix, monthStart, addMonths, type MigrationMatrix } from "../domain/reports.js";
import type { Grade, Tier } from "../schemas/policy.js";

export interface Slice {
  customers: number;
  exposure: number;
  creditLimit: number;
}

export interface Aging {
  current: number;
  d1_30: number;
  d31_60: number;
  d61_90: number;
  d90plus: number;
  /** Under an open dispute: out of the day buckets. */
  disputed: number;
}

export interface TopExposure {
  customerId: string;
  name: string;
  currency: string;
  exposure: number;
  creditLimit: number;
  tier: Tier;
  grade: Grade;
  status: CreditStatus;
}

/** One currency's figures, in minor units of that currency. */
export interface CurrencyFigures {
  currency: string;
  customers: number;
  /** Customers whose available credit is below zero, and by how much in all (a positive amount). */
  overLimit: { customers: number; amountOver: number };
  byTier: Record<string, Slice>;
  byGrade: Record<string, Slice>;
  aging: Aging;
  openInvoiceBalance: number;
  volume12m: number;
  topExposures: TopExposure[];
}

/** Credit groups: how many, how many over their limit, and the largest by exposure (heads as stored). */
export interface GroupFigures {
  count: number;
  overLimit: number;
  top: Array<{ groupId: string; group: CreditGroup }>;
}

/** What happened in one month: decisions of blocked orders and applications (aggregation queries). */
export interface FlowFigures {
  orderBlocks: {
    open: number;
    blocked: number;
    released: number;
    rejected: number;
    turnaroundSeconds: number;
    timedDecisions: number;
  };
  applications: {
    pending: number;
    submitted: number;
    approved: number;
    rejected: number;
    turnaroundSeconds: number;
    timedDecisions: number;
  };
}

export interface PortfolioFigures {
  byCurrency: CurrencyFigures[];
  /** Flows of the month asked (`period`), and the class migration of its reviews. */
  flows: FlowFigures;
  migration: MigrationMatrix;
  groups: GroupFigures;
  /** Customers whose currency is not one the policy accepts (counted, not summed). */
  otherCustomers: number;
  openAlerts: Record<string, number>;
  /** The FX table document as it was at the report's time (historical reports), else undefined. */
  fxDoc?: Record<string, unknown> | undefined;
}

type Reader = <T>(q: Query, spec: T) => Promise<Record<keyof T, number>>;

export const TIERS = ["premium", "standard", "risky"] as const;
export const GRADES = ["A", "B", "C", "D", "E"] as const;

/**
 * Everything the report reads, in one (point-in-time, when readTime is given) read:
 * per-currency sums, credit groups, open alerts, and the flows and class migration of `period`.
 */
export async function readPortfolio(
  readTime: number | null,
  currencies: readonly string[],
  period: string,
): Promise<PortfolioFigures> {
  const db = firestore();
  const customers = db.collection(COLLECTIONS.customers);
  const run = async (fn: (tx: FirebaseFirestore.Transaction | null) => Promise<PortfolioFigures>) => {
    if (readTime === null) return fn(null);
    const opts: ReadOptions & { readOnly: true; readTime: Timestamp } = {
      readOnly: true,
      readTime: Timestamp.fromMillis(readTime),
    };
    return db.runTransaction((tx) => fn(tx), opts);
  };
  return run(async (tx) => {
    const agg: Reader = async (q, spec) => {
      const aq = q.aggregate(spec as Record<string, AggregateField<number>>);
      const snap = tx ? await tx.get(aq) : await aq.get();
      const data = snap.data() as Record<string, number | null>;
      return Object.fromEntries(Object.keys(spec as object).map((k) => [k, Number(data[k] ?? 0)])) as Record<
        keyof typeof spec,
        number
      >;
    };
    const inCurrency = (c: string) => customers.where("currency", "==", c);
    const slice = async (c: string, field: string, value: string): Promise<Slice> => {
      const r = await agg(inCurrency(c).where(field, "==", value), {
        customers: AggregateField.count(),
        exposure: AggregateField.sum("exposure"),
        creditLimit: AggregateField.sum("creditLimit"),
      });
      return { customers: r.customers, exposure: r.exposure, creditLimit: r.creditLimit };
    };
    const figuresOf = async (c: string, count: number): Promise<CurrencyFigures> => {
      const [tierSlices, gradeSlices, aging, totals, top, over] = await Promise.all([
        Promise.all(TIERS.map((t) => slice(c, "tier", t))),
        Promise.all(GRADES.map((g) => slice(c, "grade", g))),
        agg(inCurrency(c), {
          current: AggregateField.sum("notYetDue"),
          d1_30: AggregateField.sum("pastDue1to30"),
          d31_60: AggregateField.sum("pastDue31to60"),
          d61_90: AggregateField.sum("pastDue61to90"),
          d90plus: AggregateField.sum("pastDue90plus"),
          disputed: AggregateField.sum("disputed"),
        }),
        agg(inCurrency(c), {
          openInvoiceBalance: AggregateField.sum("openInvoiceBalance"),
          volume12m: AggregateField.sum("volume12m"),
        }),
        (async () => {
          const q = inCurrency(c).orderBy("exposure", "desc").limit(10);
          return tx ? tx.get(q) : q.get();
        })(),
        agg(inCurrency(c).where("availableCredit", "<", 0), {
          customers: AggregateField.count(),
          available: AggregateField.sum("availableCredit"),
        }),
      ]);
      return {
        currency: c,
        customers: count,
        overLimit: { customers: over.customers, amountOver: -over.available },
        byTier: Object.fromEntries(TIERS.map((t, i) => [t, tierSlices[i]!])),
        byGrade: Object.fromEntries(GRADES.map((g, i) => [g, gradeSlices[i]!])),
        aging,
        openInvoiceBalance: totals.openInvoiceBalance,
        volume12m: totals.volume12m,
        topExposures: top.docs.map((d) => {
          const x = d.data();
          return {
            customerId: d.id,
            name: x.name,
            currency: c,
            exposure: x.exposure,
            creditLimit: x.creditLimit,
            tier: x.tier,
            grade: x.grade,
            status: x.status,
          };
        }),
      };
    };
    const fxRef = db.doc(paths.fxRates());
    const groupsRef = db.collection(COLLECTIONS.creditGroups);
    const topGroups = groupsRef.orderBy("exposureInBase", "desc").limit(10);
    const [counts, all, alerts, fxSnap, groupCount, groupsOver, groupTop, flows, migration] = await Promise.all([
      Promise.all(currencies.map(async (c) => (await agg(inCurrency(c), { n: AggregateField.count() })).n)),
      agg(customers, { n: AggregateField.count() }),
      Promise.all(
        ALERT_TYPES.map(
          async (type) =>
            [
              type,
              (
                await agg(db.collection(COLLECTIONS.alerts).where("status", "==", "open").where("type", "==", type), {
                  n: AggregateField.count(),
                })
              ).n,
            ] as const,
        ),
      ),
      tx ? tx.get(fxRef) : Promise.resolve(null),
      agg(groupsRef, { n: AggregateField.count() }),
      agg(groupsRef.where("availableCredit", "<", 0), { n: AggregateField.count() }),
      tx ? tx.get(topGroups) : topGroups.get(),
      readFlows(agg, period),
      readMigration(agg, period),
    ]);
    const inUse = currencies.map((c, i) => [c, counts[i]!] as const).filter(([, n]) => n > 0);
    const byCurrency = await Promise.all(inUse.map(([c, n]) => figuresOf(c, n)));
    const counted = inUse.reduce((s, [, n]) => s + n, 0);
    return {
      byCurrency,
      flows,
      migration,
      groups: {
        count: groupCount.n,
        overLimit: groupsOver.n,
        top: groupTop.docs.flatMap((d) => {
          const group = groupFromSnapshot(d);
          return group ? [{ groupId: d.id, group }] : [];
        }),
      },
      otherCustomers: Math.max(0, all.n - counted),
      openAlerts: Object.fromEntries(alerts.filter(([, n]) => n > 0)),
      fxDoc: fxSnap ? fxDocFromStored(fxSnap.data() as DocumentData | undefined) : undefined,
    };
  });
}

/** Head fields the monthly review writes for the class migration (services/reassessment.ts). */
export const REVIEW_CLASS_FIELDS = { period: "reviewPeriod", from: "reviewedFromTier", to: "reviewedTier" } as const;

/** The class migration of `period`, read now (outside a report's point-in-time read). */
export async function migrationOf(period: string): Promise<MigrationMatrix> {
  return readMigration(async (q, spec) => {
    const data = (await q.aggregate(spec as Record<string, AggregateField<number>>).get()).data() as Record<
      string,
      number | null
    >;
    return Object.fromEntries(Object.keys(spec as object).map((k) => [k, Number(data[k] ?? 0)])) as Record<
      keyof typeof spec,
      number
    >;
  }, period);
}

/** Customers reviewed in `period`, by class before and after: nine counts over the heads. */
export async function readMigration(agg: Reader, period: string): Promise<MigrationMatrix> {
  const customers = firestore().collection(COLLECTIONS.customers);
  const m = emptyMatrix();
  const cells = CLASSES.flatMap((from) => CLASSES.map((to) => [from, to] as const));
  const counts = await Promise.all(
    cells.map(([from, to]) =>
      agg(
        customers
          .where(REVIEW_CLASS_FIELDS.period, "==", period)
          .where(REVIEW_CLASS_FIELDS.from, "==", from)
          .where(REVIEW_CLASS_FIELDS.to, "==", to),
        { n: AggregateField.count() },
      ),
    ),
  );
  cells.forEach(([from, to], i) => (m[from][to] = counts[i]!.n));
  return m;
}

/**
 * A month's flows: blocked orders (open now, blocked in the month, decided in it with their
 * turnaround) and applications (pending now, submitted in the month, decided in it). Decisions
 * are counted by the `decidedMonth` and summed over the `turnaroundSeconds` a decision writes
 * (domain/reports.ts decisionTiming); decisions written before those fields are not counted.
 */
export async function readFlows(agg: Reader, period: string): Promise<FlowFigures> {
  const db = firestore();
  const blocks = db.collection(COLLECTIONS.orderBlocks);
  const apps = db.collection(COLLECTIONS.applications);
  const from = Timestamp.fromMillis(monthStart(period));
  const to = Timestamp.fromMillis(monthStart(addMonths(period, 1)));
  const decided = (q: Query, status: string) =>
    agg(q.where("decidedMonth", "==", period).where("status", "==", status), {
      n: AggregateField.count(),
      seconds: AggregateField.sum("turnaroundSeconds"),
    });
  const [open, blocked, released, blockRejected, pending, submitted, approved, appRejected] = await Promise.all([
    agg(blocks.where("status", "==", "open"), { n: AggregateField.count() }),
    agg(blocks.where("createdAt", ">=", from).where("createdAt", "<", to), { n: AggregateField.count() }),
    decided(blocks, "released"),
    decided(blocks, "rejected"),
    agg(apps.where("status", "in", ["submitted", "under_review"]), { n: AggregateField.count() }),
    agg(apps.where("submittedAt", ">=", from).where("submittedAt", "<", to), { n: AggregateField.count() }),
    decided(apps, "approved"),
    decided(apps, "rejected"),
  ]);
  return {
    orderBlocks: {
      open: open.n,
      blocked: blocked.n,
      released: released.n,
      rejected: blockRejected.n,
      turnaroundSeconds: released.seconds + blockRejected.seconds,
      timedDecisions: released.n + blockRejected.n,
    },
    applications: {
      pending: pending.n,
      submitted: submitted.n,
      approved: approved.n,
      rejected: appRejected.n,
      turnaroundSeconds: approved.seconds + appRejected.seconds,
      timedDecisions: approved.n + appRejected.n,
    },
  };
}
