/**
 * The demo's history: twelve monthly snapshots (`reports/{yyyy-mm}`, source "demo") before the
 * month the demo is seeded in, so that `npm run report` on a fresh `npm start` has trends to
 * show. They are made up — a demo portfolio created today has no past — but follow one story
 * from today's real figures backwards: the book grew from a few customers to today's, the
 * credit limits with it; the risky class appeared four months ago and grew; receivables aged in
 * the last quarter (DSO up, CEI down); a handful of orders was blocked and applications decided
 * each month, each at its turnaround. Every figure is derived with the report's own formulas
 * (functions/lib/domain/reports.js) and each snapshot is checked against the stored snapshot
 * schema before it is written. A snapshot the monthly job wrote (source "monthlyJob") is never
 * overwritten.
 */
import { initializeApp, deleteApp } from "firebase-admin/app";
import { getFirestore, Timestamp } from "firebase-admin/firestore";

const MONTHS = 12;
const CLASSES = ["premium", "standard", "risky"];

/** Deterministic wiggle in [-1, 1] for month k (no randomness: the demo is the same every time). */
const wiggle = (k, salt) => Math.sin(k * 1.7 + salt * 2.3);

/**
 * @param {any} report a getPortfolioReport answer (today's figures)
 * @param {{ formulas: any, months?: number }} opts formulas: functions/lib/domain/reports.js
 * @returns {any[]} snapshots, oldest first (takenAt in epoch ms)
 */
export function demoHistory(report, { formulas, months = MONTHS }) {
  const f = formulas;
  const out = [];
  const t = report.totals;
  const volumeNow = t.volume12m > 0 ? t.volume12m : Math.max(t.exposure * 8, 1_000_000_00);
  const customersNow = Math.max(t.customers, 3);
  let previous = null;
  for (let k = months; k >= 1; k--) {
    const period = f.addMonths(report.period, -k);
    const takenAt = f.monthStart(f.addMonths(period, 1)) + 3 * 3_600_000;
    const growth = 1 - 0.04 * k + 0.02 * wiggle(k, 1);
    const limitGrowth = 1 - 0.025 * k;
    // Today's classes, going back: the risky customers were standard until four months ago, and
    // one standard customer was premium until then; the book had fewer customers further back.
    const today = Object.fromEntries(
      CLASSES.map((c) => [c, { ...(report.byTier?.[c] ?? { customers: 0, exposure: 0, creditLimit: 0 }) }]),
    );
    const byTier = structuredClone(today);
    if (k > 4) {
      for (const key of ["customers", "exposure", "creditLimit"]) {
        byTier.standard[key] += byTier.risky[key];
        byTier.risky[key] = 0;
      }
      if (byTier.standard.customers > 1) {
        const share = 1 / byTier.standard.customers;
        byTier.premium.customers += 1;
        byTier.standard.customers -= 1;
        for (const key of ["exposure", "creditLimit"]) {
          const moved = Math.round(byTier.standard[key] * share);
          byTier.premium[key] += moved;
          byTier.standard[key] -= moved;
        }
      }
    }
    const customers = Math.max(2, customersNow - Math.floor(k / 5));
    for (let extra = CLASSES.reduce((n, c) => n + byTier[c].customers, 0) - customers; extra > 0; extra--) {
      const largest = CLASSES.reduce((a, c) => (byTier[c].customers > byTier[a].customers ? c : a), "standard");
      byTier[largest].customers--;
    }
    for (const c of CLASSES) {
      byTier[c].exposure = Math.round(byTier[c].exposure * growth);
      byTier[c].creditLimit = Math.round(byTier[c].creditLimit * limitGrowth);
    }
    const exposure = CLASSES.reduce((n, c) => n + byTier[c].exposure, 0);
    const limits = CLASSES.reduce((n, c) => n + byTier[c].creditLimit, 0);
    const byGrade = {
      A: { ...byTier.premium },
      B: { customers: 0, exposure: 0, creditLimit: 0 },
      C: { ...byTier.standard },
      D: { ...byTier.risky },
      E: { customers: 0, exposure: 0, creditLimit: 0 },
    };
    // receivables age more in the last quarter
    const receivables = Math.round(exposure * 0.8);
    const pastDue = k <= 3 ? 0.28 - 0.05 * (k - 1) : 0.12 + 0.02 * wiggle(k, 2);
    const disputed = k <= 2 ? Math.round(receivables * 0.03) : 0;
    const due = receivables - disputed;
    const aging = {
      current: Math.round(due * (1 - pastDue)),
      d1_30: Math.round(due * pastDue * 0.6),
      d31_60: Math.round(due * pastDue * (k <= 3 ? 0.25 : 0.3)),
      d61_90: Math.round(due * pastDue * (k <= 3 ? 0.1 : 0.1)),
      d90plus: 0,
      disputed,
    };
    aging.d90plus = Math.max(0, due - aging.current - aging.d1_30 - aging.d31_60 - aging.d61_90);
    aging.current = due - aging.d1_30 - aging.d31_60 - aging.d61_90 - aging.d90plus;
    const volume12m = Math.round(volumeNow * (1 - 0.035 * k));
    const dso = f.dso(receivables, volume12m);
    const bestPossibleDso = f.bestPossibleDso(aging.current, volume12m);
    let cei = null;
    if (previous) {
      const daysBetween = f.daysBetween(previous.takenAt, takenAt);
      const x = {
        beginning: previous.totals.openInvoiceBalance,
        sales: f.salesOver(volume12m, daysBetween),
        ending: receivables,
        endingCurrent: aging.current,
      };
      cei = {
        value: f.collectionEffectiveness(x),
        from: new Date(previous.takenAt).toISOString(),
        to: new Date(takenAt).toISOString(),
        days: daysBetween,
        ...x,
      };
    }
    // reviews: mostly unchanged; a few moves that tell the story
    const matrix = {
      premium: { premium: 0, standard: 0, risky: 0 },
      standard: { premium: 0, standard: 0, risky: 0 },
      risky: { premium: 0, standard: 0, risky: 0 },
    };
    // The reviews of each month: everyone keeps the class of the month before, except in the
    // month the story turns (four months ago), when the premium customer became standard and
    // the risky ones became risky.
    const before = previous ?? { byTier };
    for (const c of CLASSES) matrix[c][c] = Math.min(before.byTier[c].customers, byTier[c].customers);
    if (k === 4) {
      const turned = today.risky.customers;
      matrix.standard.risky += turned;
      matrix.standard.standard = Math.max(0, byTier.standard.customers - 1);
      if (before.byTier.premium.customers > byTier.premium.customers) {
        matrix.premium.standard += 1;
        matrix.premium.premium = byTier.premium.customers;
      }
    }
    const reviewed = CLASSES.reduce((s, a) => s + CLASSES.reduce((u, b) => u + matrix[a][b], 0), 0);
    const blocked = 1 + ((k * 7) % 4);
    const released = Math.max(0, blocked - 1 - (k % 2));
    const rejected = blocked - released;
    const submitted = 1 + (k % 3);
    const snapshot = {
      period,
      takenAt,
      source: "demo",
      baseCurrency: report.baseCurrency,
      totals: { customers, exposure, creditLimit: limits, openInvoiceBalance: receivables, volume12m },
      byTier,
      byGrade,
      byCurrency: [{ currency: report.baseCurrency, customers, exposure, exposureInBase: exposure }],
      aging,
      dso,
      bestPossibleDso,
      averageDaysDelinquent: f.averageDaysDelinquent(dso, bestPossibleDso),
      cei,
      overLimit: { customers: k <= 2 ? 1 : 0, amountOver: k <= 2 ? Math.round(exposure * 0.02) : 0 },
      orderBlocks: {
        open: k === 1 ? 1 : 0,
        blocked,
        released,
        rejected,
        averageReleaseHours: Math.round((3 + (k % 5) * 2.5) * 10) / 10,
        timedDecisions: released + rejected,
      },
      applications: {
        pending: 0,
        submitted,
        approved: submitted - (k % 4 === 0 ? 1 : 0),
        rejected: k % 4 === 0 ? 1 : 0,
        averageDecisionDays: Math.round((1.5 + (k % 4) * 0.5) * 10) / 10,
        timedDecisions: submitted,
      },
      migration: { period, reviewed, matrix },
      groups: { count: report.groups?.count ?? 0, overLimit: 0 },
      unconvertedCustomers: 0,
    };
    out.push(snapshot);
    previous = snapshot;
  }
  return out;
}

/**
 * Write the demo history into the local stack's Firestore with the Admin SDK (as an import by
 * an admin would), leaving alone any month the monthly job has written.
 * @param {{ projectId: string, firestoreHost?: string | null, report: any, log?: (line: string) => void }} opts
 * @returns {Promise<{ written: number, kept: number }>}
 */
export async function writeDemoHistory({ projectId, firestoreHost, report, log = () => {} }) {
  if (!firestoreHost) {
    log("  · no Firestore host given: no demo history for the report's trends");
    return { written: 0, kept: 0 };
  }
  const formulas = await import("../../functions/lib/domain/reports.js");
  const { storedSnapshotSchema } = await import("../../functions/lib/schemas/reports.js");
  const snapshots = demoHistory(report, { formulas });
  for (const s of snapshots) storedSnapshotSchema.parse(s);
  const app = initializeApp({ projectId }, `credit-desk-history-${process.pid}-${Date.now()}`);
  let written = 0;
  let kept = 0;
  try {
    const db = getFirestore(app);
    db.settings({ host: firestoreHost, ssl: false });
    for (const s of snapshots) {
      const ref = db.doc(`reports/${s.period}`);
      const existing = await ref.get();
      if (existing.exists && existing.get("source") !== "demo") {
        kept++;
        continue;
      }
      await ref.set({ ...s, takenAt: Timestamp.fromMillis(s.takenAt) });
      written++;
    }
  } finally {
    await deleteApp(app).catch(() => {});
  }
  log(
    `  ✓ demo history: ${written} monthly snapshots (reports/${snapshots[0].period} … ${snapshots.at(-1).period}, source "demo")${kept ? `, ${kept} written by the monthly job kept` : ""}`,
  );
  return { written, kept };
}
