import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../functions/src/domain/time.js";
import {
  type AppliedEntry,
  type LedgerRecord,
  type LedgerState,
  applyRecord,
  closeDisputeOnEntry,
  compactLedger,
  disputableAmount,
  emptyLedger,
  LedgerError,
  openDisputeOnEntry,
  settledByMonth,
  previousReferencedEntryId,
  recomputeFromHistory,
  referencedEntryId,
  summarize,
  unapplyRecord,
  unapplyReferencedEntryId,
  validateRecord,
} from "../../functions/src/domain/ledger.js";

/** In-memory stand-in for customers/{id}.ledger + customers/{id}/ledger/{txId}. */
class Store {
  state: LedgerState = emptyLedger();
  entries = new Map<string, AppliedEntry>();

  apply(r: LedgerRecord) {
    const prev = this.entries.get(r.externalId) ?? null;
    const refId = referencedEntryId(r);
    const moved = previousReferencedEntryId(r, prev);
    const res = applyRecord(
      this.state,
      r,
      prev,
      refId === null ? null : (this.entries.get(refId) ?? null),
      moved === null ? null : (this.entries.get(moved) ?? null),
    );
    this.state = res.state;
    for (const w of res.writes) {
      if (w.entry === null) this.entries.delete(w.id);
      else this.entries.set(w.id, w.entry);
    }
    return res;
  }

  unapply(id: string) {
    const prev = this.entries.get(id) ?? null;
    const refId = unapplyReferencedEntryId(prev);
    const res = unapplyRecord(this.state, prev, refId === null ? null : (this.entries.get(refId) ?? null));
    this.state = res.state;
    for (const w of res.writes) {
      if (w.entry === null) this.entries.delete(w.id);
      else this.entries.set(w.id, w.entry);
    }
    return res;
  }

  summary(asOf: number) {
    return summarize(this.state, asOf);
  }

  dispute(invoiceId: string, disputeId: string, amount: number) {
    const res = openDisputeOnEntry(this.state, this.entries.get(invoiceId) ?? null, invoiceId, disputeId, amount);
    this.state = res.state;
    this.entries.set(invoiceId, res.entry);
  }

  closeDispute(invoiceId: string, disputeId: string) {
    const res = closeDisputeOnEntry(this.state, this.entries.get(invoiceId) ?? null, disputeId);
    if (!res) return false;
    this.state = res.state;
    this.entries.set(invoiceId, res.entry);
    return true;
  }
}

const D = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h);
const inv = (id: string, amount: number, issuedAt: number, dueAt: number): LedgerRecord => ({
  externalId: id,
  type: "invoice",
  amount,
  issuedAt,
  dueAt,
});
const pay = (id: string, amount: number, issuedAt: number, ref?: string, status?: string): LedgerRecord => ({
  externalId: id,
  type: "payment",
  amount,
  issuedAt,
  ...(ref === undefined ? {} : { invoiceExternalId: ref }),
  ...(status === undefined ? {} : { status }),
});
const cn = (id: string, amount: number, issuedAt: number, ref?: string): LedgerRecord => ({
  externalId: id,
  type: "credit_note",
  amount,
  issuedAt,
  ...(ref === undefined ? {} : { invoiceExternalId: ref }),
});
const order = (id: string, amount: number, issuedAt: number, status?: string): LedgerRecord => ({
  externalId: id,
  type: "order",
  amount,
  issuedAt,
  ...(status === undefined ? {} : { status }),
});

function run(records: LedgerRecord[]): Store {
  const s = new Store();
  for (const r of records) s.apply(r);
  return s;
}

const ASOF = D(2024, 6, 15, 12);

describe("ledger: empty and basics", () => {
  it("an empty ledger summarizes to zeros and nulls", () => {
    expect(summarize(emptyLedger(), ASOF)).toEqual({
      openInvoiceBalance: 0,
      openOrders: 0,
      exposure: 0,
      unappliedCash: 0,
      awaitingInvoice: 0,
      aging: { current: 0, d1_30: 0, d31_60: 0, d61_90: 0, d90plus: 0, disputed: 0 },
      oldestDaysPastDue: 0,
      onTimeRatio12m: null,
      avgDaysBeyondTerms12m: null,
      volume12m: 0,
      orderCount12m: 0,
      dishonouredPayments: 0,
      dishonouredUnreplaced: 0,
      lastDishonouredAt: null,
      payments12m: 0,
      invoiceCount12m: 0,
      firstActivityAt: null,
      lastActivityAt: null,
    });
    expect(recomputeFromHistory([], ASOF)).toEqual(summarize(emptyLedger(), ASOF));
  });

  it("the state is plain JSON and survives a JSON round trip", () => {
    const s = run([
      inv("I1", 1000, D(2024, 5, 1), D(2024, 5, 31)),
      pay("P1", 300, D(2024, 6, 2)),
      order("O1", 50, D(2024, 6, 3)),
    ]);
    expect(JSON.parse(JSON.stringify(s.state))).toEqual(s.state);
    expect(summarize(JSON.parse(JSON.stringify(s.state)) as LedgerState, ASOF)).toEqual(s.summary(ASOF));
  });
});

describe("ledger: allocation", () => {
  it("a partial payment leaves the rest of its invoice open", () => {
    const s = run([inv("I1", 1000, D(2024, 5, 1), D(2024, 5, 31)), pay("P1", 400, D(2024, 6, 1), "I1")]);
    const a = s.summary(ASOF);
    expect(a.openInvoiceBalance).toBe(600);
    expect(a.unappliedCash).toBe(0);
    expect(a.aging.d1_30).toBe(600);
    expect(a.exposure).toBe(600);
  });

  it("an overpayment settles its invoice and the excess settles the oldest other invoice, then stays as cash", () => {
    const s = run([
      inv("I1", 1000, D(2024, 5, 1), D(2024, 5, 31)),
      inv("I2", 200, D(2024, 4, 1), D(2024, 5, 1)),
      pay("P1", 1500, D(2024, 6, 1), "I1"),
    ]);
    const a = s.summary(ASOF);
    expect(a.openInvoiceBalance).toBe(0);
    expect(a.unappliedCash).toBe(300);
    expect(a.aging).toEqual({ current: 0, d1_30: 0, d31_60: 0, d61_90: 0, d90plus: 0, disputed: 0 });
    // without the excess, I2 would still be open 45 days past due
    expect(
      run([inv("I2", 200, D(2024, 4, 1), D(2024, 5, 1)), pay("P1", 1000, D(2024, 6, 1), "I1")]).summary(ASOF).aging
        .d31_60,
    ).toBe(200);
  });

  it("several payments on one invoice settle it in date order; the latest one carries the excess", () => {
    const recs = [
      inv("I1", 1000, D(2024, 1, 1), D(2024, 1, 31)),
      pay("P2", 700, D(2024, 2, 20), "I1"), // 20 days late, 300 of it is excess
      pay("P1", 600, D(2024, 1, 20), "I1"), // on time, fully used
    ];
    const a = run(recs).summary(ASOF);
    expect(a.openInvoiceBalance).toBe(0);
    expect(a.unappliedCash).toBe(300);
    // 600 on time, 400 at 20 days late
    expect(a.onTimeRatio12m).toBeCloseTo(0.6, 12);
    expect(a.avgDaysBeyondTerms12m).toBeCloseTo((400 * 20) / 1000, 12);
    expect(a).toEqual(recomputeFromHistory(recs, ASOF));
  });

  it("a payment on the due day (any hour) is on time; the next day is 1 day beyond terms", () => {
    const i = inv("I1", 100, D(2024, 1, 1), D(2024, 1, 31, 6));
    const onDue = run([i, pay("P1", 100, D(2024, 1, 31, 23), "I1")]).summary(ASOF);
    expect([onDue.onTimeRatio12m, onDue.avgDaysBeyondTerms12m]).toEqual([1, 0]);
    const nextDay = run([i, pay("P1", 100, D(2024, 2, 1, 1), "I1")]).summary(ASOF);
    expect([nextDay.onTimeRatio12m, nextDay.avgDaysBeyondTerms12m]).toEqual([0, 1]);
    const pooled = run([i, pay("P1", 100, D(2024, 1, 31, 23))]).summary(ASOF);
    expect([pooled.onTimeRatio12m, pooled.avgDaysBeyondTerms12m]).toEqual([1, 0]);
  });

  it("a payment that arrives before its invoice is held, then settles that invoice exactly", () => {
    const p = pay("P1", 300, D(2024, 5, 20), "I1");
    const i = inv("I1", 1000, D(2024, 5, 1), D(2024, 5, 31));
    const early = new Store();
    early.apply(p);
    let a = early.summary(ASOF);
    expect(a.unappliedCash).toBe(300);
    expect(a.awaitingInvoice).toBe(300);
    expect(a.openInvoiceBalance).toBe(0);
    // the placeholder for I1 carries the waiting payment
    expect(early.entries.get("I1")).toEqual({
      v: 1,
      id: "I1",
      applied: null,
      referencedBy: [{ id: "P1", type: "payment", amount: 300, issuedAt: D(2024, 5, 20) }],
    });
    early.apply(i);
    a = early.summary(ASOF);
    expect(a.openInvoiceBalance).toBe(700);
    expect(a.unappliedCash).toBe(0);
    expect(a.awaitingInvoice).toBe(0);
    const inOrder = run([i, p]);
    expect(early.state).toEqual(inOrder.state);
    expect(a).toEqual(inOrder.summary(ASOF));
  });

  it("a held payment does not settle other invoices", () => {
    const s = run([inv("I2", 500, D(2024, 5, 1), D(2024, 5, 31)), pay("P1", 300, D(2024, 5, 20), "I1")]);
    const a = s.summary(ASOF);
    expect(a.openInvoiceBalance).toBe(500);
    expect(a.unappliedCash).toBe(300);
  });

  it("unreferenced cash settles the oldest invoices first (due date, then issue date)", () => {
    const s = run([
      inv("I3", 100, D(2024, 3, 1), D(2024, 6, 30)), // not yet due
      inv("I1", 100, D(2024, 1, 1), D(2024, 3, 1)), // oldest due
      inv("I2", 100, D(2024, 2, 1), D(2024, 5, 1)),
      pay("P1", 150, D(2024, 6, 1)),
    ]);
    const a = s.summary(ASOF);
    expect(a.openInvoiceBalance).toBe(150);
    // I1 settled, I2 half settled (45 days overdue), I3 current
    expect(a.aging).toEqual({ current: 100, d1_30: 0, d31_60: 50, d61_90: 0, d90plus: 0, disputed: 0 });
    expect(a.oldestDaysPastDue).toBe(45);
  });

  it("credit notes reduce their invoice and are not counted as payment behaviour", () => {
    const recs = [inv("I1", 1000, D(2024, 1, 1), D(2024, 1, 31)), cn("C1", 1000, D(2024, 3, 1), "I1")];
    const a = run(recs).summary(ASOF);
    expect(a.openInvoiceBalance).toBe(0);
    expect(a.onTimeRatio12m).toBeNull();
    expect(a.avgDaysBeyondTerms12m).toBeNull();
    const b = run([inv("I1", 1000, D(2024, 1, 1), D(2024, 1, 31)), cn("C1", 400, D(2024, 3, 1))]).summary(ASOF);
    expect(b.openInvoiceBalance).toBe(600);
  });

  it("a dishonoured payment settles nothing and is counted; correcting it either way is exact", () => {
    const i = inv("I1", 1000, D(2024, 5, 1), D(2024, 5, 31));
    const s = run([i, pay("P1", 1000, D(2024, 6, 1), "I1", "dishonoured")]);
    let a = s.summary(ASOF);
    expect(a.openInvoiceBalance).toBe(1000);
    expect(a.dishonouredPayments).toBe(1);
    s.apply(pay("P1", 1000, D(2024, 6, 1), "I1"));
    a = s.summary(ASOF);
    expect(a.openInvoiceBalance).toBe(0);
    expect(a.dishonouredPayments).toBe(0);
    s.apply(pay("P1", 1000, D(2024, 6, 1), "I1", "dishonoured"));
    expect(s.state).toEqual(run([i, pay("P1", 1000, D(2024, 6, 1), "I1", "dishonoured")]).state);
  });

  it("orders: open counts as exposure, fulfilled and cancelled do not; cancelled ones do not count as orders", () => {
    const s = run([
      order("O1", 100, D(2024, 6, 1)),
      order("O2", 200, D(2024, 6, 1), "open"),
      order("O3", 400, D(2024, 6, 1), "fulfilled"),
      order("O4", 800, D(2024, 6, 1), "cancelled"),
      inv("I1", 50, D(2024, 6, 1), D(2024, 7, 1)),
    ]);
    const a = s.summary(ASOF);
    expect(a.openOrders).toBe(300);
    expect(a.exposure).toBe(350);
    expect(a.orderCount12m).toBe(3);
    s.apply(order("O1", 100, D(2024, 6, 1), "fulfilled"));
    expect(s.summary(ASOF).openOrders).toBe(200);
  });
});

describe("ledger: idempotency, reversal, correction", () => {
  it("a re-sent identical record is a no-op", () => {
    const s = new Store();
    const r = inv("I1", 1000, D(2024, 5, 1), D(2024, 5, 31));
    expect(s.apply(r).changed).toBe(true);
    const before = s.state;
    const again = s.apply({ ...r });
    expect(again.changed).toBe(false);
    expect(again.writes).toEqual([]);
    expect(s.state).toBe(before);
    // "open" and no status are the same order version
    s.apply(order("O1", 10, D(2024, 5, 1)));
    expect(s.apply(order("O1", 10, D(2024, 5, 1), "open")).changed).toBe(false);
  });

  it("deleting an invoice sends its payments back to waiting; deleting them removes the placeholder", () => {
    const s = run([inv("I1", 1000, D(2024, 5, 1), D(2024, 5, 31)), pay("P1", 300, D(2024, 6, 1), "I1")]);
    const r = s.unapply("I1");
    expect(r.entry).toEqual({
      v: 1,
      id: "I1",
      applied: null,
      referencedBy: [{ id: "P1", type: "payment", amount: 300, issuedAt: D(2024, 6, 1) }],
    });
    expect(s.summary(ASOF).awaitingInvoice).toBe(300);
    expect(s.state).toEqual(run([pay("P1", 300, D(2024, 6, 1), "I1")]).state);
    s.unapply("P1");
    expect(s.entries.size).toBe(0);
    expect(s.state).toEqual(emptyLedger());
    expect(s.unapply("P1").changed).toBe(false);
  });

  it("a correction that moves a payment to another invoice needs the old invoice's entry and is exact", () => {
    const base = [inv("I1", 1000, D(2024, 5, 1), D(2024, 5, 31)), inv("I2", 500, D(2024, 5, 2), D(2024, 6, 1))];
    const s = run([...base, pay("P1", 400, D(2024, 6, 1), "I1")]);
    const moved = pay("P1", 400, D(2024, 6, 1), "I2");
    const prev = s.entries.get("P1") ?? null;
    expect(previousReferencedEntryId(moved, prev)).toBe("I1");
    expect(() => applyRecord(s.state, moved, prev, s.entries.get("I2") ?? null, null)).toThrow(/previousReferenced/);
    s.apply(moved);
    const fresh = run([...base, moved]);
    expect(s.state).toEqual(fresh.state);
    expect(Object.fromEntries(s.entries)).toEqual(Object.fromEntries(fresh.entries));
  });

  it("a correction of an invoice amount re-allocates its payments exactly", () => {
    const p = pay("P1", 800, D(2024, 6, 1), "I1");
    const s = run([inv("I1", 1000, D(2024, 5, 1), D(2024, 5, 31)), p]);
    s.apply(inv("I1", 600, D(2024, 5, 1), D(2024, 5, 31)));
    const a = s.summary(ASOF);
    expect(a.openInvoiceBalance).toBe(0);
    expect(a.unappliedCash).toBe(200);
    expect(s.state).toEqual(run([p, inv("I1", 600, D(2024, 5, 1), D(2024, 5, 31))]).state);
  });

  it("rejects entries that do not belong to the record", () => {
    const s = run([inv("I1", 1000, D(2024, 5, 1), D(2024, 5, 31))]);
    expect(() => applyRecord(s.state, pay("P1", 1, D(2024, 6, 1), "I1"), s.entries.get("I1") ?? null, null)).toThrow(
      /previous/,
    );
    expect(() => applyRecord(s.state, pay("P1", 1, D(2024, 6, 1), "I2"), null, s.entries.get("I1") ?? null)).toThrow(
      /referenced/,
    );
    expect(() =>
      unapplyRecord(s.state, run([pay("P1", 1, D(2024, 6, 1), "I1")]).entries.get("P1") ?? null, null),
    ).toThrow(/needs the entry/);
  });
});

describe("ledger: aging at bucket boundaries", () => {
  const due = D(2024, 3, 1, 18); // late in the day: days are UTC days
  const cases: Array<[number, keyof ReturnType<typeof summarize>["aging"]]> = [
    [-1, "current"],
    [0, "current"],
    [1, "d1_30"],
    [30, "d1_30"],
    [31, "d31_60"],
    [60, "d31_60"],
    [61, "d61_90"],
    [90, "d61_90"],
    [91, "d90plus"],
    [400, "d90plus"],
  ];
  for (const [days, bucket] of cases) {
    it(`${days} days past due -> ${bucket}`, () => {
      const s = run([inv("I1", 777, D(2024, 1, 1), due)]);
      const asOf = Date.UTC(2024, 2, 1) + days * DAY_MS + 60_000; // 00:01 UTC, n days after the due day
      const a = s.summary(asOf);
      const expected = { current: 0, d1_30: 0, d31_60: 0, d61_90: 0, d90plus: 0, disputed: 0, [bucket]: 777 };
      expect(a.aging).toEqual(expected);
      expect(a.oldestDaysPastDue).toBe(Math.max(days, 0));
      expect(a).toEqual(recomputeFromHistory([inv("I1", 777, D(2024, 1, 1), due)], asOf));
    });
  }
});

describe("ledger: trailing 12 months", () => {
  const asOf = D(2024, 6, 15);
  it("counts the month of asOf and the 11 before it, by UTC month", () => {
    const recs = [
      inv("IN", 1, Date.UTC(2023, 6, 1), Date.UTC(2023, 6, 1)), // 2023-07-01 00:00: first ms inside
      inv("OUT", 10, Date.UTC(2023, 6, 1) - 1, Date.UTC(2023, 6, 1)), // 2023-06-30 23:59:59.999: outside
      inv("LAST", 100, Date.UTC(2024, 6, 1) - 1, Date.UTC(2024, 6, 1)), // end of asOf's month (after asOf): inside
      inv("NEXT", 1000, Date.UTC(2024, 6, 1), Date.UTC(2024, 6, 1)), // next month: outside
      order("O1", 5, Date.UTC(2023, 6, 1)),
      order("O2", 5, Date.UTC(2023, 6, 1) - 1),
      order("O3", 5, Date.UTC(2024, 5, 1), "cancelled"),
      pay("PD1", 5, Date.UTC(2023, 6, 1), undefined, "dishonoured"),
      pay("PD2", 5, Date.UTC(2023, 6, 1) - 1, undefined, "dishonoured"),
    ];
    const a = run(recs).summary(asOf);
    expect(a.volume12m).toBe(101);
    expect(a.orderCount12m).toBe(1);
    expect(a.dishonouredPayments).toBe(1);
    expect(a).toEqual(recomputeFromHistory(recs, asOf));
  });

  it("behaviour counts settlements by payment date inside the window only", () => {
    const recs = [
      inv("I1", 100, D(2023, 5, 1), D(2023, 5, 31)),
      pay("P1", 100, D(2023, 6, 30), "I1"), // 30 days late, just outside the window
      inv("I2", 100, D(2023, 6, 1), D(2023, 6, 30)),
      pay("P2", 100, D(2023, 7, 10), "I2"), // 10 days late, inside
      inv("I3", 300, D(2024, 5, 1), D(2024, 5, 31)),
      pay("P3", 300, D(2024, 5, 31)), // unreferenced, settles I1? no: I3 (I1, I2 paid) on the due day -> on time
    ];
    const a = run(recs).summary(asOf);
    expect(a.onTimeRatio12m).toBeCloseTo(300 / 400, 12);
    expect(a.avgDaysBeyondTerms12m).toBeCloseTo((100 * 10) / 400, 12);
    expect(a).toEqual(recomputeFromHistory(recs, asOf));
    expect(run(recs).summary(D(2025, 7, 1)).onTimeRatio12m).toBeNull();
  });

  it("unreferenced cash that completes an old invoice late counts as late", () => {
    const recs = [
      inv("I1", 100, D(2024, 1, 1), D(2024, 1, 31)),
      pay("P1", 60, D(2024, 2, 10)),
      pay("P2", 40, D(2024, 1, 31)),
    ];
    const a = run(recs).summary(asOf);
    // FIFO by payment date: P2 (on the due day, 40) then P1 (10 days late, 60)
    expect(a.onTimeRatio12m).toBeCloseTo(0.4, 12);
    expect(a.avgDaysBeyondTerms12m).toBeCloseTo(6, 12);
    expect(a).toEqual(recomputeFromHistory(recs, asOf));
  });

  it("first and last activity are day starts over all record types", () => {
    const a = run([
      order("O1", 5, D(2022, 3, 4, 15), "cancelled"),
      pay("P1", 5, D(2024, 6, 1, 9), undefined, "dishonoured"),
    ]).summary(asOf);
    expect(a.firstActivityAt).toBe(D(2022, 3, 4));
    expect(a.lastActivityAt).toBe(D(2024, 6, 1));
  });
});

describe("ledger: validation", () => {
  const ctx = { customerCurrency: "EUR" };
  const ok = inv("I1", 1000, D(2024, 5, 1), D(2024, 5, 31));
  const code = (r: object, c: typeof ctx & { referenceBelongsToOtherCustomer?: boolean } = ctx) =>
    validateRecord(r as LedgerRecord, c)?.code ?? null;
  it("accepts valid records", () => {
    expect(code(ok)).toBeNull();
    expect(code({ ...ok, currency: "EUR" })).toBeNull();
    expect(code(pay("P1", 1, D(2024, 5, 1), "I1"))).toBeNull();
    expect(code(order("O1", 1, D(2024, 5, 1), "fulfilled"))).toBeNull();
  });
  it.each([
    [{ ...ok, amount: 1.5 }, "invalid_amount"],
    [{ ...ok, amount: -1 }, "invalid_amount"],
    [{ ...ok, amount: 0 }, "invalid_amount"],
    [{ ...ok, amount: Number.NaN }, "invalid_amount"],
    [{ ...ok, amount: 2 ** 53 }, "invalid_amount"],
    [{ ...ok, amount: 1e12 + 1 }, "amount_too_large"],
    [{ ...ok, amount: "10" }, "invalid_amount"],
    [{ ...ok, dueAt: undefined }, "missing_due_date"],
    [{ ...ok, dueAt: ok.issuedAt - 1 }, "due_before_issue"],
    [{ ...ok, issuedAt: 1.5 }, "invalid_date"],
    [{ ...ok, issuedAt: -1 }, "invalid_date"],
    [{ ...ok, type: "refund" }, "unsupported_type"],
    [{ ...ok, status: "open" }, "unsupported_status"],
    [order("O1", 1, 0, "shipped"), "unsupported_status"],
    [pay("P1", 1, 0, undefined, "bounced"), "unsupported_status"],
    [{ ...ok, invoiceExternalId: "I0" }, "unexpected_reference"],
    [pay("P1", 1, 0, "P1"), "self_reference"],
    [pay("P1", 1, 0, "a/b"), "invalid_reference"],
    [{ ...ok, externalId: "" }, "invalid_external_id"],
    [{ ...ok, externalId: "x/y" }, "invalid_external_id"],
    [{ ...ok, externalId: "__id__" }, "invalid_external_id"],
    [{ ...ok, currency: "USD" }, "currency_mismatch"],
  ] as Array<[Record<string, unknown>, string]>)("rejects %j with %s", (r, c) => {
    expect(code(r)).toBe(c);
  });
  it("rejects a reference to another customer's invoice when the caller says so", () => {
    expect(code(pay("P1", 1, 0, "I1"), { ...ctx, referenceBelongsToOtherCustomer: true })).toBe("foreign_reference");
  });
  it("applyRecord refuses an invalid record instead of corrupting the state", () => {
    expect(() => applyRecord(emptyLedger(), { ...ok, amount: 0.5 }, null, null)).toThrow(/amount/);
  });
});

describe("ledger: money conservation and compaction", () => {
  it("invoiced - credit notes - valid payments = open balance - unapplied cash", () => {
    const recs = [
      inv("I1", 1000, D(2024, 1, 1), D(2024, 1, 31)),
      inv("I2", 300, D(2024, 2, 1), D(2024, 3, 1)),
      pay("P1", 1200, D(2024, 2, 1), "I1"),
      pay("P2", 999, D(2024, 2, 1), "I2", "dishonoured"),
      pay("P3", 50, D(2024, 2, 1), "NOPE"),
      cn("C1", 20, D(2024, 2, 1)),
    ];
    const a = run(recs).summary(ASOF);
    expect(1000 + 300 - 20 - 1200 - 50).toBe(a.openInvoiceBalance - a.unappliedCash);
  });

  it("compaction keeps every aggregate from its asOf onwards and bounds a long history", () => {
    const recs: LedgerRecord[] = [];
    for (let m = 0; m < 48; m++) {
      const t = Date.UTC(2020, m, 5);
      recs.push(inv(`I${m}`, 1000 + m, t, t + 30 * DAY_MS));
      recs.push(pay(`P${m}`, 900 + m, t + (25 + (m % 10)) * DAY_MS)); // unreferenced: ladder + pool grow
      recs.push(order(`O${m}`, 10, t, m % 3 === 0 ? "open" : "fulfilled"));
    }
    const s = run(recs);
    for (const asOf of [Date.UTC(2024, 0, 10), Date.UTC(2023, 6, 1), Date.UTC(2023, 7, 1) - 1]) {
      for (const horizon of [12, 13, 24]) {
        const c = compactLedger(s.state, asOf, horizon);
        for (const later of [asOf, asOf + 40 * DAY_MS, asOf + 400 * DAY_MS]) {
          expect(summarize(c, later)).toEqual(summarize(s.state, later));
          expect(summarize(c, later)).toEqual(recomputeFromHistory(recs, later));
        }
        expect(summarize(c, asOf).onTimeRatio12m).not.toBeNull();
        expect(JSON.stringify(c).length).toBeLessThan(JSON.stringify(s.state).length);
        expect(Object.keys(c.months).length).toBeLessThanOrEqual(horizon + 12);
        expect(compactLedger(c, asOf, horizon)).toEqual(c);
      }
    }
    expect(() => compactLedger(s.state, Date.UTC(2024, 0, 10), 11)).toThrow(/horizon/);
  });

  it("compaction keeps first and last activity of a customer idle for years", () => {
    const recs = [
      order("O1", 5, D(2018, 2, 3), "fulfilled"),
      inv("I1", 10, D(2018, 5, 6), D(2018, 6, 6)),
      pay("P1", 10, D(2018, 6, 1), "I1"),
    ];
    const s = run(recs);
    const c = compactLedger(s.state, D(2024, 1, 1));
    expect(summarize(c, D(2024, 1, 1))).toEqual(recomputeFromHistory(recs, D(2024, 1, 1)));
    expect(summarize(c, D(2024, 1, 1)).lastActivityAt).toBe(D(2018, 6, 1));
    expect(
      Object.values(c.activity)
        .flat()
        .filter((n) => n !== 0),
    ).toHaveLength(2);
  });
});

describe("ledger: cost", () => {
  it("state size for 10,000 records over 3 years stays small", () => {
    // ~13 records per business day: orders, invoices (30-60 day terms), payments (90% referenced,
    // some late, some partial), a few credit notes and bounced payments. Deterministic.
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const start = Date.UTC(2021, 0, 4);
    const recs: LedgerRecord[] = [];
    let n = 0;
    for (let day = 0; recs.length < 10_000; day++) {
      const t = start + day * DAY_MS;
      const wd = new Date(t).getUTCDay();
      if (wd === 0 || wd === 6) continue;
      for (let k = 0; k < 4 && recs.length < 10_000; k++) {
        n++;
        const amount = 1000 + Math.floor(rnd() * 500_000);
        recs.push(
          order(`O${n}`, amount, t + k * 3_600_000, rnd() < 0.05 ? "cancelled" : rnd() < 0.97 ? "fulfilled" : "open"),
        );
        const due = t + (30 + Math.floor(rnd() * 31)) * DAY_MS;
        if (recs.length < 10_000) recs.push(inv(`I${n}`, amount, t + k * 3_600_000, due));
        const payAt = due + Math.floor((rnd() - 0.6) * 20) * DAY_MS;
        const partial = rnd() < 0.1 ? Math.floor(amount / 2) : amount;
        const r = rnd();
        if (recs.length >= 10_000) break;
        if (r < 0.01) recs.push(pay(`P${n}`, partial, payAt, `I${n}`, "dishonoured"));
        else if (r < 0.9) recs.push(pay(`P${n}`, partial, payAt, `I${n}`));
        else recs.push(pay(`P${n}`, partial, payAt));
        if (rnd() < 0.1 && recs.length < 10_000) recs.push(cn(`C${n}`, Math.floor(amount / 10), due, `I${n}`));
      }
    }
    const s = run(recs);
    const days = (m: Record<string, number[]>) =>
      Object.values(m).reduce((n, a) => n + a.filter((x) => x !== 0).length, 0);
    const last = Math.max(...recs.map((r) => r.issuedAt));
    const bytes = JSON.stringify(s.state).length;
    const compacted = compactLedger(s.state, last);
    const compactedBytes = JSON.stringify(compacted).length;
    console.info(
      `ledger state for ${recs.length} records over ${Math.round((last - start) / DAY_MS)} days: ${bytes} bytes JSON ` +
        `(non-zero days: activity ${days(s.state.activity)}, ladder ${days(s.state.ladder)}, ` +
        `pool ${days(s.state.poolCash) + days(s.state.poolCredit)}; ${Object.keys(s.state.months).length} months); ` +
        `after compactLedger(24 months): ${compactedBytes} bytes`,
    );
    expect(summarize(compacted, last)).toEqual(summarize(s.state, last));
    expect(summarize(s.state, last)).toEqual(recomputeFromHistory(recs, last));
    expect(bytes).toBeLessThan(64 * 1024);
    expect(compactedBytes).toBeLessThan(bytes);
  }, 120_000);
});

describe("ledger: disputes", () => {
  const due = D(2024, 3, 1);
  const asOf = D(2024, 5, 15, 12); // 75 days past the due day

  it("an open dispute leaves penalty aging for its own bucket, stays in exposure, and closing it resumes aging from the original due day", () => {
    const s = run([inv("I1", 1000, D(2024, 1, 31), due), inv("I2", 400, D(2024, 5, 1), D(2024, 5, 31))]);
    expect(s.summary(asOf).oldestDaysPastDue).toBe(75);
    s.dispute("I1", "d1", 1000);
    const open = s.summary(asOf);
    expect(open.aging).toEqual({ current: 400, d1_30: 0, d31_60: 0, d61_90: 0, d90plus: 0, disputed: 1000 });
    expect(open.oldestDaysPastDue).toBe(0);
    expect(open.openInvoiceBalance).toBe(1400);
    expect(open.exposure).toBe(1400);
    expect(open).toEqual(
      recomputeFromHistory(
        [inv("I1", 1000, D(2024, 1, 31), due), inv("I2", 400, D(2024, 5, 1), D(2024, 5, 31))],
        asOf,
        { I1: 1000 },
      ),
    );
    // Resolved against the customer: the amount ages again from 1 March, not from today.
    expect(s.closeDispute("I1", "d1")).toBe(true);
    const after = s.summary(asOf);
    expect(after.aging.disputed).toBe(0);
    expect(after.aging.d61_90).toBe(1000);
    expect(after.oldestDaysPastDue).toBe(75);
    expect(s.closeDispute("I1", "d1")).toBe(false);
    expect(s.state).toEqual(
      run([inv("I1", 1000, D(2024, 1, 31), due), inv("I2", 400, D(2024, 5, 1), D(2024, 5, 31))]).state,
    );
  });

  it("a partial dispute leaves the rest aging; cash on account is not applied to the disputed part", () => {
    const s = run([inv("I1", 1000, D(2024, 1, 31), due), inv("I2", 400, D(2024, 2, 1), D(2024, 3, 2))]);
    s.dispute("I1", "d1", 300);
    s.apply(pay("P1", 1000, D(2024, 4, 1)));
    const a = s.summary(asOf);
    // 700 of I1 and 300 of I2 settled by the cash (oldest first); 100 of I2 still ages; 300 disputed.
    expect(a.aging).toMatchObject({ d61_90: 100, disputed: 300 });
    expect(a.unappliedCash).toBe(0);
    expect(a.openInvoiceBalance).toBe(400);
    const records = [
      inv("I1", 1000, D(2024, 1, 31), due),
      inv("I2", 400, D(2024, 2, 1), D(2024, 3, 2)),
      pay("P1", 1000, D(2024, 4, 1)),
    ];
    expect(a).toEqual(recomputeFromHistory(records, asOf, { I1: 300 }));
  });

  it("what can be disputed: the invoice less the payments that name it and the open disputes; only a recorded invoice", () => {
    const s = run([
      inv("I1", 1000, D(2024, 1, 31), due),
      pay("P1", 600, D(2024, 2, 10), "I1"),
      pay("P2", 10, D(2024, 2, 10)),
    ]);
    expect(disputableAmount(s.entries.get("I1")!, "I1")).toBe(400);
    s.dispute("I1", "d1", 150);
    expect(disputableAmount(s.entries.get("I1")!, "I1")).toBe(250);
    expect(() => s.dispute("I1", "d2", 251)).toThrow(LedgerError);
    expect(() => s.dispute("I1", "d1", 1)).toThrow(/already open/);
    expect(() => s.dispute("P2", "d3", 1)).toThrow(/not a recorded invoice/);
    expect(() => s.dispute("I9", "d3", 1)).toThrow(/not a recorded invoice/);
  });

  it("a payment that names the disputed invoice reduces what is disputed to what remains; a correction of the invoice keeps the dispute", () => {
    const s = run([inv("I1", 1000, D(2024, 1, 31), due)]);
    s.dispute("I1", "d1", 500);
    s.apply(pay("P1", 800, D(2024, 4, 1), "I1"));
    expect(s.summary(asOf).aging.disputed).toBe(200);
    s.apply(inv("I1", 1200, D(2024, 1, 31), due)); // a corrected invoice amount: the dispute stays on it
    expect(s.entries.get("I1")!.disputes).toEqual({ d1: 500 });
    expect(s.summary(asOf).aging.disputed).toBe(400);
  });

  it("an invoice deleted under dispute keeps its entry (the dispute is still open) until the dispute is closed", () => {
    const s = run([inv("I1", 1000, D(2024, 1, 31), due)]);
    s.dispute("I1", "d1", 1000);
    s.unapply("I1");
    expect(s.entries.get("I1")).toMatchObject({ applied: null, disputes: { d1: 1000 } });
    expect(s.summary(asOf).openInvoiceBalance).toBe(0);
    s.closeDispute("I1", "d1");
    expect(s.state).toEqual(emptyLedger());
  });
});

describe("ledger: evidence of paying, and dishonoured payments replaced", () => {
  const asOf = D(2024, 6, 15, 12);

  it("counts payments received and invoices issued in the trailing 12 months", () => {
    const s = run([
      inv("I1", 100, D(2024, 1, 5), D(2024, 2, 5)),
      inv("I0", 100, D(2023, 1, 5), D(2023, 2, 5)),
      pay("P1", 50, D(2024, 2, 1), "I1"),
      pay("P2", 50, D(2024, 2, 2)),
      pay("P3", 50, D(2024, 2, 3), "I1", "dishonoured"),
    ]);
    expect(s.summary(asOf)).toMatchObject({ payments12m: 2, invoiceCount12m: 1, dishonouredPayments: 1 });
  });

  it("a dishonoured payment is replaced by cash received on or after it, not by cash received before", () => {
    const base = [
      inv("I1", 1000, D(2024, 1, 5), D(2024, 2, 5)),
      pay("P0", 300, D(2024, 3, 1)),
      pay("PX", 500, D(2024, 3, 10), "I1", "dishonoured"),
    ];
    const bounced = run(base).summary(asOf);
    expect(bounced).toMatchObject({ dishonouredUnreplaced: 500, lastDishonouredAt: D(2024, 3, 10) });
    const part = run([...base, pay("P1", 200, D(2024, 3, 10), "I1")]).summary(asOf);
    expect(part.dishonouredUnreplaced).toBe(300);
    const replaced = run([...base, pay("P1", 200, D(2024, 3, 10), "I1"), pay("P2", 300, D(2024, 4, 2))]).summary(asOf);
    expect(replaced.dishonouredUnreplaced).toBe(0);
    expect(replaced.lastDishonouredAt).toBe(D(2024, 3, 10));
    expect(replaced).toEqual(
      recomputeFromHistory([...base, pay("P1", 200, D(2024, 3, 10), "I1"), pay("P2", 300, D(2024, 4, 2))], asOf),
    );
    // A year later the dishonour is out of the window.
    expect(run(base).summary(D(2025, 4, 1))).toMatchObject({
      dishonouredUnreplaced: 0,
      lastDishonouredAt: null,
      dishonouredPayments: 0,
    });
  });

  it("settlement by month counts cash paid on account as the FIFO applies it, on time or late", () => {
    const s = run([
      inv("I1", 100, D(2024, 3, 1), D(2024, 3, 31)),
      inv("I2", 100, D(2024, 4, 1), D(2024, 4, 30)),
      pay("P1", 100, D(2024, 3, 20)), // on account, before I1's due day
      pay("P2", 100, D(2024, 5, 10)), // on account, after I2's due day
    ]);
    expect(settledByMonth(s.state, asOf, 6)).toEqual({
      "2024-03": { settled: 100, onTime: 100 },
      "2024-05": { settled: 100, onTime: 0 },
    });
  });
});
