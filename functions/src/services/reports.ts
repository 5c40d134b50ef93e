/**
 * The monthly snapshot of the portfolio report: a step of the monthly schedule (services/jobs.ts)
 * that writes `reports/{yyyy-mm}` for the month just closed — the stock figures as the run finds
 * them (it runs on the 1st, before that day's reviews are enqueued), the flows of the closed month
 * (decisions, their turnaround), the class migration of its reviews, and the CEI since the
 * snapshot before. getPortfolioReport reads the last 12 for its trends.
 *
 * Idempotent: the document id is the month, so re-running the month rewrites the same snapshot
 * (with the figures as they stand then). The class migration is counted from the review fields
 * on the customer heads, which the next month's reviews overwrite: a re-run after those began
 * keeps the migration already recorded when it counted more customers.
 */
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { firestore } from "../data/firebase.js";
import { readSnapshotIn, reportRefs, snapshotToStored } from "../data/reports.js";
import type { AuditActor } from "../domain/audit.js";
import { addMonths, closedMonth } from "../domain/reports.js";
import type { CreditPolicy } from "../schemas/policy.js";
import type { StoredSnapshot } from "../schemas/reports.js";
import { logs } from "../logs.js";
import { ceiSince, reportFigures, snapshotFigures } from "./portfolio.js";

export const SNAPSHOT_ACTOR: AuditActor = { uid: "system:monthly-snapshot", role: "system" };

export interface SnapshotRun {
  period: string;
  customers: number;
  /** Customers in the class migration recorded (the month's reviews). */
  reviewed: number;
  /** The migration already recorded was kept (a re-run after the next month's reviews began). */
  keptMigration: boolean;
}

/** Write `reports/{closed month}` as of `now` (audited in the system chain). */
export async function writeMonthlySnapshot(now: number, policy: CreditPolicy): Promise<SnapshotRun> {
  const period = closedMonth(now);
  const r = await reportFigures(now, false, period, policy, now);
  const ref = reportRefs.snapshot(period);
  const chain = chains.system();
  const run = await firestore().runTransaction(async (tx) => {
    const [previous, existing, head] = await Promise.all([
      readSnapshotIn(tx, addMonths(period, -1)),
      readSnapshotIn(tx, period),
      tx.get(chain.headDoc),
    ]);
    const s = r.sums;
    const cei = ceiSince(
      previous,
      now,
      { openInvoiceBalance: s.totals.openInvoiceBalance, volume12m: s.totals.volume12m, current: s.aging.current },
      policy.baseCurrency,
    );
    const figures = snapshotFigures(r, period, cei);
    // Only a migration the job itself counted is kept (never the demo history's).
    const keptMigration =
      existing !== null &&
      existing.source === "monthlyJob" &&
      existing.migration.period === period &&
      existing.migration.reviewed > figures.migration.reviewed;
    if (keptMigration) figures.migration = existing.migration;
    const snapshot: StoredSnapshot = {
      ...figures,
      takenAt: now,
      baseCurrency: policy.baseCurrency,
      source: "monthlyJob",
    };
    tx.set(ref, snapshotToStored(snapshot));
    new AuditAppender(tx, chain, headOf(head.data()), now).append({
      action: "report.snapshot",
      actor: SNAPSHOT_ACTOR,
      target: ref.path,
      before: existing ? { takenAt: new Date(existing.takenAt).toISOString(), source: existing.source } : null,
      after: {
        period,
        takenAt: new Date(now).toISOString(),
        customers: figures.totals.customers,
        reviewed: figures.migration.reviewed,
        keptMigration,
      },
      reason: null,
      requestId: null,
    });
    return { period, customers: figures.totals.customers, reviewed: figures.migration.reviewed, keptMigration };
  });
  logs.reportSnapshotWritten(run.period, run.customers, run.keptMigration);
  return run;
}
