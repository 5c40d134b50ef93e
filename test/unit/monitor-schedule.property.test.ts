/**
 * The due-date work queue against its oracle: visiting a customer only on the day
 * domain/monitorSchedule.ts names (nextAgingAt) gives the same alerts, statuses, proposals and
 * credit files, day after day, as visiting every customer every day — over random files (open,
 * overdue and paid invoices, dishonoured payments, orders, temporary limits, reservations,
 * class overrides, disputes, stale statements, reviews falling due) and 150 days.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { CustomerFile } from "../../functions/src/domain/customer.js";
import {
  applyRecord,
  emptyLedger,
  referencedEntryId,
  summarize,
  type AppliedEntry,
  type LedgerRecord,
  type LedgerState,
} from "../../functions/src/domain/ledger.js";
import { fileAfterMonitoring, type MonitoredCustomer } from "../../functions/src/domain/monitoring.js";
import { DAILY_LOOKAHEAD_DAYS, monitorAt, nextMonitorVisit } from "../../functions/src/domain/monitorSchedule.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { rescoreFromFile } from "../../functions/src/domain/reassessment.js";
import type { CreditPolicy } from "../../functions/src/schemas/policy.js";

const P: CreditPolicy = DEFAULT_POLICY;
const DAY = 86_400_000;
/** The daily job's time: 01:00 UTC. */
const T0 = Date.UTC(2026, 2, 10, 1);
const DAYS = 150;

const recordArb = fc.oneof(
  fc.record({
    kind: fc.constant("invoice" as const),
    issued: fc.integer({ min: -200, max: 0 }),
    terms: fc.constantFrom(14, 30, 60, 90, 120),
    amount: fc.integer({ min: 1, max: 20_000 }),
  }),
  fc.record({
    kind: fc.constant("payment" as const),
    issued: fc.integer({ min: -150, max: 0 }),
    of: fc.nat(20),
    amount: fc.integer({ min: 1, max: 20_000 }),
    bounced: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("order" as const),
    issued: fc.integer({ min: -30, max: 0 }),
    amount: fc.integer({ min: 1, max: 20_000 }),
    open: fc.boolean(),
  }),
);

const fileArb = fc.record({
  /** A settled invoice this many days back: the relationship is old enough for its tenure not to drift. */
  since: fc.option(fc.integer({ min: 1_850, max: 2_600 }), { nil: null }),
  records: fc.array(recordArb, { maxLength: 14 }),
  limit: fc.integer({ min: 0, max: 60_000 }),
  temporary: fc.option(
    fc.record({ extra: fc.integer({ min: 1, max: 30_000 }), expires: fc.integer({ min: 1, max: 60 }) }),
    { nil: null },
  ),
  reservations: fc.array(
    fc.record({ amount: fc.integer({ min: 1, max: 10_000 }), hours: fc.integer({ min: 1, max: 200 }) }),
    { maxLength: 3 },
  ),
  override: fc.option(
    fc.record({
      tier: fc.constantFrom("premium", "standard", "risky" as const),
      days: fc.integer({ min: 1, max: 90 }),
    }),
    { nil: null },
  ),
  dispute: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
  statementAgeDays: fc.option(fc.integer({ min: 300, max: 480 }), { nil: null }),
  reviewIn: fc.integer({ min: -10, max: 60 }),
  foundedYear: fc.integer({ min: 1990, max: 2026 }),
});
type FileSpec = typeof fileArb extends fc.Arbitrary<infer T> ? T : never;

function ledgerOf(spec: FileSpec): LedgerState {
  let state = emptyLedger();
  const entries = new Map<string, AppliedEntry>();
  const invoices: string[] = [];
  const put = (rec: LedgerRecord) => {
    const ref = referencedEntryId(rec);
    const res = applyRecord(state, rec, entries.get(rec.externalId) ?? null, ref ? (entries.get(ref) ?? null) : null);
    state = res.state;
    for (const w of res.writes) if (w.entry) entries.set(w.id, w.entry);
  };
  if (spec.since !== null) {
    const at = T0 - spec.since * DAY;
    put({ externalId: "OLD-I", type: "invoice", amount: 1_000_00, issuedAt: at, dueAt: at + 30 * DAY });
    put({
      externalId: "OLD-P",
      type: "payment",
      amount: 1_000_00,
      issuedAt: at + 20 * DAY,
      invoiceExternalId: "OLD-I",
    });
  }
  spec.records.forEach((r, i) => {
    const issuedAt = T0 + r.issued * DAY;
    let rec: LedgerRecord;
    if (r.kind === "invoice") {
      rec = { externalId: `I${i}`, type: "invoice", amount: r.amount * 100, issuedAt, dueAt: issuedAt + r.terms * DAY };
      invoices.push(rec.externalId);
    } else if (r.kind === "payment") {
      const ref = invoices.length > 0 && r.of % 3 !== 0 ? invoices[r.of % invoices.length] : undefined;
      rec = {
        externalId: `P${i}`,
        type: "payment",
        amount: r.amount * 100,
        issuedAt,
        ...(ref ? { invoiceExternalId: ref } : {}),
        ...(r.bounced && i % 4 === 0 ? { status: "dishonoured" } : {}),
      };
    } else {
      rec = {
        externalId: `O${i}`,
        type: "order",
        amount: r.amount * 100,
        issuedAt,
        status: r.open ? "open" : "fulfilled",
      };
    }
    put(rec);
  });
  return state;
}

function fileOf(spec: FileSpec, ledger: LedgerState): MonitoredCustomer {
  const aggregates = summarize(ledger, T0 - DAY);
  const base: MonitoredCustomer = {
    name: "Acme",
    registrationNo: "R1",
    country: "US",
    industry: "G46",
    foundedYear: spec.foundedYear,
    address: "1 Main St",
    currency: "USD",
    status: "active",
    statusReason: null,
    statusKind: null,
    ownerUid: null,
    score: 50,
    confidence: 0.5,
    financialScores: { currentRatio: 80, debtToEquity: 70 },
    grade: "C",
    tier: "standard",
    creditLimit: spec.limit * 100,
    temporaryLimit: spec.temporary
      ? {
          limit: (spec.limit + spec.temporary.extra) * 100,
          expiresAt: T0 + spec.temporary.expires * DAY + 7 * 3_600_000,
        }
      : null,
    paymentTermsDays: 30,
    aggregates,
    exposure: aggregates.exposure,
    oldestDaysPastDue: aggregates.oldestDaysPastDue,
    availableCredit: 0,
    applicationId: null,
    flags: { fraudHold: false, noLimitIncrease: false, extendedTermsEligible: false },
    createdAt: T0 - 500 * DAY,
    updatedAt: T0 - DAY,
    assessedAt: T0 - DAY,
    lastReviewedAt: T0 - 30 * DAY,
    nextReviewAt: T0 + spec.reviewIn * DAY - 3_600_000,
    nextAgingAt: T0,
    reservations: Object.fromEntries(
      spec.reservations.map((r, i) => [
        `PO-${i}`,
        {
          reservationId: `R${i}`,
          amount: r.amount * 100,
          createdAt: T0 - DAY,
          expiresAt: T0 + r.hours * 3_600_000,
          createdBy: "sales",
        },
      ]),
    ),
    classOverride: spec.override
      ? {
          overrideId: "OV",
          tier: spec.override.tier,
          reason: "x",
          expiresAt: T0 + spec.override.days * DAY - 5 * 3_600_000,
          decidedBy: "m",
          decidedByRole: "manager",
          decidedAt: T0 - DAY,
        }
      : null,
    disputes:
      spec.dispute === null
        ? null
        : ({
            open: {
              D1: { invoiceExternalId: "I0", amount: 100_00, openedAt: T0 - spec.dispute * DAY - 2 * 3_600_000 },
            },
            months: {},
          } as CustomerFile["disputes"]),
    latestStatementAt: spec.statementAgeDays === null ? null : T0 - spec.statementAgeDays * DAY,
    openAlerts: {},
    monitor: { penaltyLevel: 0, penaltyProposedAt: null, lastIncentiveAt: null },
  };
  const a = rescoreFromFile(base, T0 - DAY, P);
  return {
    ...base,
    score: a.score,
    grade: a.grade,
    tier: a.tier,
    confidence: a.confidence,
    classReasons: a.classReasons,
  };
}

/** What a visit's file says, except the oldest invoice's day count (and the dates of writes). */
function projection(f: MonitoredCustomer): unknown {
  const { updatedAt: _u, nextAgingAt: _n, oldestDaysPastDue: _o, ...rest } = f;
  void _u;
  void _n;
  void _o;
  return { ...rest, aggregates: { ...f.aggregates, oldestDaysPastDue: null } };
}

interface Event {
  day: number;
  what: string;
}

function visit(
  file: MonitoredCustomer,
  ledger: LedgerState,
  t: number,
  day: number,
  events: Event[],
): MonitoredCustomer {
  const d = monitorAt(file, ledger, t, P);
  for (const a of d.alertsToRaise) events.push({ day, what: `raise ${a.type} ${a.code}` });
  for (const a of d.alertsToResolve) events.push({ day, what: `resolve ${a.type} ${a.reason}` });
  if (d.statusChange) events.push({ day, what: `status ${d.statusChange.status} ${d.statusChange.reason}` });
  if (d.proposal) events.push({ day, what: `proposal ${d.proposal.source} ${d.proposal.newLimit}` });
  return fileAfterMonitoring(file, d, t, true);
}

describe("the due-date work queue equals visiting everyone every day", () => {
  it("same alerts, statuses, proposals and files on every one of 150 days; far fewer visits", () => {
    let visitsDaily = 0;
    let visitsQueued = 0;
    fc.assert(
      fc.property(fileArb, (spec) => {
        const ledger = ledgerOf(spec);
        let daily = fileOf(spec, ledger);
        let queued = daily;
        let due = T0;
        const eventsDaily: Event[] = [];
        const eventsQueued: Event[] = [];
        for (let day = 0; day < DAYS; day++) {
          const t = T0 + day * DAY;
          daily = visit(daily, ledger, t, day, eventsDaily);
          visitsDaily++;
          if (due <= t) {
            queued = visit(queued, ledger, t, day, eventsQueued);
            visitsQueued++;
            const next = nextMonitorVisit(queued, ledger, t, P);
            expect(next.at).toBeGreaterThan(t);
            expect(next.at - t).toBeLessThanOrEqual(P.monitoring.maxIdleDays * DAY);
            due = next.at;
          }
          expect(projection(queued), `day ${day}`).toEqual(projection(daily));
        }
        expect(eventsQueued).toEqual(eventsDaily);
      }),
      { numRuns: 200 },
    );
    expect(visitsQueued).toBeLessThan(visitsDaily / 3);
  }, 120_000);

  it("a customer with nothing left that can change is not visited again before maxIdleDays", () => {
    // No activity for years, no limit, no review falling due within the horizon, an old business.
    const spec: FileSpec = {
      since: null,
      records: [],
      limit: 0,
      temporary: null,
      reservations: [],
      override: null,
      dispute: null,
      statementAgeDays: null,
      reviewIn: 400,
      foundedYear: 1990,
    };
    const ledger = ledgerOf(spec);
    const file = visit(fileOf(spec, ledger), ledger, T0, 0, []);
    const next = nextMonitorVisit(file, ledger, T0, P);
    expect(next.why).toBe("idle");
    expect(next.at).toBe(Math.floor((T0 + P.monitoring.maxIdleDays * DAY) / DAY) * DAY);
  });

  it("an invoice falling due is visited the day after its due day; a temporary limit on its warning and expiry days", () => {
    const spec: FileSpec = {
      since: null,
      records: [{ kind: "invoice", issued: -10, terms: 30, amount: 5_000 }],
      limit: 50_000,
      temporary: { extra: 10_000, expires: 50 },
      reservations: [],
      override: null,
      dispute: null,
      statementAgeDays: null,
      reviewIn: 400,
      foundedYear: 1990,
    };
    const ledger = ledgerOf(spec);
    const file = visit(fileOf(spec, ledger), ledger, T0, 0, []);
    const next = nextMonitorVisit(file, ledger, T0, P);
    // Due on day 20 (issued day −10, 30 days): the run of day 21 sees it 1 day past due.
    expect(next).toEqual({ at: Math.floor((T0 + 21 * DAY) / DAY) * DAY, why: "change" });
    expect(DAILY_LOOKAHEAD_DAYS).toBeGreaterThanOrEqual(31);
  });
});
