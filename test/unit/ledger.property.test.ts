import fc from "fast-check";
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
  openDisputeOnEntry,
  previousReferencedEntryId,
  recomputeFromHistory,
  referencedEntryId,
  summarize,
  unapplyRecord,
  unapplyReferencedEntryId,
} from "../../functions/src/domain/ledger.js";

const RUNS = 300;

/** Every value is a safe integer, a string, null, a map or a flat array (Firestore has no nested arrays). */
function assertPlainJson(v: unknown, path = "$", inArray = false): void {
  if (v === null || typeof v === "string") return;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new Error(`${path} is not a safe integer: ${v}`);
    return;
  }
  if (Array.isArray(v)) {
    if (inArray) throw new Error(`${path}: nested array`);
    v.forEach((x, i) => assertPlainJson(x, `${path}[${i}]`, true));
    return;
  }
  if (typeof v === "object") {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) assertPlainJson(x, `${path}.${k}`);
    return;
  }
  throw new Error(`${path} is ${typeof v}`);
}

/** In-memory stand-in for the customer document and customers/{id}/ledger/{txId}; counts reads. */
class Store {
  state: LedgerState = emptyLedger();
  entries = new Map<string, AppliedEntry>();
  maxReads = 0;

  private read(id: string | null): AppliedEntry | null {
    return id === null ? null : (this.entries.get(id) ?? null);
  }

  private write(writes: Array<{ id: string; entry: AppliedEntry | null }>, allowed: Array<string | null>) {
    for (const w of writes) {
      if (!allowed.includes(w.id)) throw new Error(`write to ${w.id} outside ${allowed.join(",")}`);
      if (w.entry === null) this.entries.delete(w.id);
      else {
        assertPlainJson(w.entry);
        this.entries.set(w.id, w.entry);
      }
    }
    assertPlainJson(this.state);
  }

  apply(r: LedgerRecord) {
    const prev = this.read(r.externalId);
    const refId = referencedEntryId(r);
    const moved = previousReferencedEntryId(r, prev);
    this.maxReads = Math.max(this.maxReads, 2 + (refId === null ? 0 : 1) + (moved === null ? 0 : 1));
    const res = applyRecord(this.state, r, prev, this.read(refId), this.read(moved));
    this.state = res.state;
    this.write(res.writes, [r.externalId, refId, moved]);
    return res;
  }

  unapply(id: string) {
    const prev = this.read(id);
    const refId = unapplyReferencedEntryId(prev);
    const res = unapplyRecord(this.state, prev, this.read(refId));
    this.state = res.state;
    this.write(res.writes, [id, refId]);
    return res;
  }

  /** Open a dispute if the invoice can take it (an invoice, amount within what is disputable). */
  tryDispute(invoiceId: string, disputeId: string, amount: number): boolean {
    const e = this.read(invoiceId);
    if (e?.applied?.type !== "invoice" || amount > disputableAmount(e, invoiceId)) return false;
    const res = openDisputeOnEntry(this.state, e, invoiceId, disputeId, amount);
    this.state = res.state;
    this.write([{ id: invoiceId, entry: res.entry }], [invoiceId]);
    return true;
  }

  closeDispute(invoiceId: string, disputeId: string) {
    const res = closeDisputeOnEntry(this.state, this.read(invoiceId), disputeId);
    if (!res) return;
    this.state = res.state;
    this.write([{ id: invoiceId, entry: res.entry }], [invoiceId]);
  }

  entryObject() {
    return Object.fromEntries([...this.entries].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}

function run(records: readonly LedgerRecord[]): Store {
  const s = new Store();
  for (const r of records) s.apply(r);
  return s;
}

const byDate = (a: LedgerRecord, b: LedgerRecord) =>
  a.issuedAt - b.issuedAt || (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0);
const inDateOrder = (rs: readonly LedgerRecord[]) => [...rs].sort(byDate);

// ── Generators ──────────────────────────────────────────────────────────────────────────────
const T0 = Date.UTC(2023, 0, 1);
const HORIZON_DAYS = 730;
const INVOICE_IDS = ["I0", "I1", "I2", "I3", "I4", "I5"];
const PAYMENT_IDS = ["P0", "P1", "P2", "P3", "P4", "P5", "P6", "P7"];
const CREDIT_IDS = ["C0", "C1", "C2"];
const ORDER_IDS = ["O0", "O1", "O2", "O3"];
// references: invoices that may or may not exist, an id that never exists, an order, a payment
const REF_TARGETS = [...INVOICE_IDS, "I9", "O0", "P0"];

const timeArb = fc
  .record({ day: fc.integer({ min: 0, max: HORIZON_DAYS }), ms: fc.integer({ min: 0, max: DAY_MS - 1 }) })
  .map(({ day, ms }) => T0 + day * DAY_MS + ms);
const amountArb = fc.integer({ min: 1, max: 1000 });

const invoiceArb = (id: string): fc.Arbitrary<LedgerRecord> =>
  fc
    .record({
      issuedAt: timeArb,
      terms: fc.integer({ min: 0, max: 120 }),
      extra: fc.integer({ min: 0, max: DAY_MS - 1 }),
      amount: amountArb,
    })
    .map(({ issuedAt, terms, extra, amount }) => ({
      externalId: id,
      type: "invoice" as const,
      amount,
      issuedAt,
      dueAt: issuedAt + terms * DAY_MS + extra,
    }));

const settlementArb = (id: string, type: "payment" | "credit_note"): fc.Arbitrary<LedgerRecord> =>
  fc
    .record({
      issuedAt: timeArb,
      amount: fc.integer({ min: 1, max: 700 }),
      ref: fc.option(fc.constantFrom(...REF_TARGETS.filter((x) => x !== id)), { nil: undefined, freq: 3 }),
      dishonoured: fc.integer({ min: 0, max: 5 }).map((x) => type === "payment" && x === 0),
    })
    .map(({ issuedAt, amount, ref, dishonoured }) => ({
      externalId: id,
      type,
      amount,
      issuedAt,
      ...(ref === undefined ? {} : { invoiceExternalId: ref }),
      ...(dishonoured ? { status: "dishonoured" } : {}),
    }));

const orderArb = (id: string): fc.Arbitrary<LedgerRecord> =>
  fc
    .record({
      issuedAt: timeArb,
      amount: amountArb,
      status: fc.constantFrom(undefined, "open", "fulfilled", "cancelled"),
    })
    .map(({ issuedAt, amount, status }) => ({
      externalId: id,
      type: "order" as const,
      amount,
      issuedAt,
      ...(status === undefined ? {} : { status }),
    }));

const anyRecordArb = (id: string) =>
  fc.oneof(invoiceArb(id), settlementArb(id, "payment"), settlementArb(id, "credit_note"), orderArb(id));

const maybe = (a: fc.Arbitrary<LedgerRecord>) => fc.option(a, { nil: undefined, freq: 3 });

/** A set of records with distinct ids: mixed types, references to present and missing invoices. */
const recordsArb: fc.Arbitrary<LedgerRecord[]> = fc
  .tuple(
    fc.tuple(...INVOICE_IDS.map((id) => maybe(invoiceArb(id)))),
    fc.tuple(...PAYMENT_IDS.map((id) => fc.option(settlementArb(id, "payment"), { nil: undefined, freq: 2 }))),
    fc.tuple(...CREDIT_IDS.map((id) => maybe(settlementArb(id, "credit_note")))),
    fc.tuple(...ORDER_IDS.map((id) => maybe(orderArb(id)))),
  )
  .map((groups) => groups.flat().filter((r): r is LedgerRecord => r !== undefined));

const asOfArb = fc
  .record({ day: fc.integer({ min: 0, max: HORIZON_DAYS + 120 }), ms: fc.integer({ min: 0, max: DAY_MS - 1 }) })
  .map(({ day, ms }) => T0 + day * DAY_MS + ms);

/** Any permutation of the records with some of them sent again. */
const arrivalsArb = (records: LedgerRecord[]): fc.Arbitrary<LedgerRecord[]> =>
  fc
    .array(fc.nat({ max: Math.max(records.length - 1, 0) }), { maxLength: records.length === 0 ? 0 : 8 })
    .chain((dups) => {
      const seq = [...records, ...dups.map((i) => ({ ...records[i]! }))];
      return fc.shuffledSubarray(seq, { minLength: seq.length, maxLength: seq.length });
    });

function expectSameStore(a: Store, b: Store, asOf: number) {
  expect(summarize(a.state, asOf)).toEqual(summarize(b.state, asOf));
  expect(a.state).toEqual(b.state);
  expect(a.entryObject()).toEqual(b.entryObject());
}

function conservation(records: readonly LedgerRecord[]): number {
  let net = 0;
  for (const r of records) {
    if (r.type === "invoice") net += r.amount;
    else if (r.type === "credit_note") net -= r.amount;
    else if (r.type === "payment" && r.status !== "dishonoured") net -= r.amount;
  }
  return net;
}

// ── Properties ──────────────────────────────────────────────────────────────────────────────
describe("ledger properties", () => {
  it("(a) any order, any duplication = once in date order (aggregates, state and entries)", () => {
    fc.assert(
      fc.property(
        recordsArb.chain((records) => fc.tuple(fc.constant(records), arrivalsArb(records), asOfArb)),
        ([records, arrivals, asOf]) => {
          const shuffled = run(arrivals);
          const ordered = run(inDateOrder(records));
          expectSameStore(shuffled, ordered, asOf);
          expect(shuffled.maxReads).toBeLessThanOrEqual(3);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("(b) incremental = recomputeFromHistory over the set", () => {
    fc.assert(
      fc.property(
        recordsArb.chain((records) => fc.tuple(fc.constant(records), arrivalsArb(records), asOfArb)),
        ([records, arrivals, asOf]) => {
          expect(summarize(run(arrivals).state, asOf)).toEqual(recomputeFromHistory(records, asOf));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("(c) apply all then unapply a random subset = apply only the rest", () => {
    fc.assert(
      fc.property(
        recordsArb.chain((records) =>
          fc.tuple(
            fc.constant(records),
            arrivalsArb(records),
            fc.array(fc.boolean(), { minLength: records.length, maxLength: records.length }),
            fc.array(fc.nat(), { minLength: records.length, maxLength: records.length }),
            asOfArb,
          ),
        ),
        ([records, arrivals, drop, order, asOf]) => {
          const removed = records.filter((_, i) => drop[i]);
          const kept = records.filter((_, i) => !drop[i]);
          const s = run(arrivals);
          // unapply in a scrambled order, one id twice (a retried delete is a no-op)
          const ids = removed.map((r, i) => ({ id: r.externalId, k: order[i] ?? i })).sort((a, b) => a.k - b.k);
          for (const { id } of ids) s.unapply(id);
          if (ids[0]) expect(s.unapply(ids[0].id).changed).toBe(false);
          const rest = run(inDateOrder(kept));
          expectSameStore(s, rest, asOf);
          expect(summarize(s.state, asOf)).toEqual(recomputeFromHistory(kept, asOf));
          if (kept.length === 0) {
            expect(s.state).toEqual(emptyLedger());
            expect(s.entries.size).toBe(0);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("(d) a correction (new version of a record, any field, even the type) = the corrected set", () => {
    fc.assert(
      fc.property(
        recordsArb
          .filter((rs) => rs.length > 0)
          .chain((records) =>
            fc.tuple(
              fc.constant(records),
              arrivalsArb(records),
              fc.nat({ max: records.length - 1 }),
              fc.nat(),
              asOfArb,
            ),
          )
          .chain(([records, arrivals, which, where, asOf]) => {
            const target = records[which]!;
            const replacement = fc.oneof(
              {
                weight: 3,
                arbitrary:
                  target.type === "invoice"
                    ? invoiceArb(target.externalId)
                    : target.type === "order"
                      ? orderArb(target.externalId)
                      : settlementArb(target.externalId, target.type),
              },
              { weight: 1, arbitrary: anyRecordArb(target.externalId) },
            );
            return fc.tuple(
              fc.constant(records),
              fc.constant(arrivals),
              fc.constant(which),
              fc.constant(where),
              fc.constant(asOf),
              replacement,
            );
          }),
        ([records, arrivals, which, where, asOf, replacement]) => {
          const id = records[which]!.externalId;
          // the new version arrives after the last copy of the old one, anywhere after it
          const lastOld = arrivals.map((r) => r.externalId).lastIndexOf(id);
          const at = lastOld + 1 + (where % (arrivals.length - lastOld));
          const seq = [...arrivals.slice(0, at), replacement, ...arrivals.slice(at)];
          const corrected = records.map((r, i) => (i === which ? replacement : r));
          const s = run(seq);
          expectSameStore(s, run(inDateOrder(corrected)), asOf);
          expect(summarize(s.state, asOf)).toEqual(recomputeFromHistory(corrected, asOf));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("(e) money is conserved: invoiced - credit notes - valid payments = open balance - unapplied cash", () => {
    fc.assert(
      fc.property(
        recordsArb.chain((records) => fc.tuple(fc.constant(records), arrivalsArb(records), asOfArb)),
        ([records, arrivals, asOf]) => {
          const a = summarize(run(arrivals).state, asOf);
          expect(a.openInvoiceBalance - a.unappliedCash).toBe(conservation(records));
          const agingSum = a.aging.current + a.aging.d1_30 + a.aging.d31_60 + a.aging.d61_90 + a.aging.d90plus;
          expect(agingSum).toBe(a.openInvoiceBalance);
          expect(a.exposure).toBe(a.openInvoiceBalance + a.openOrders);
          expect(a.unappliedCash).toBeGreaterThanOrEqual(a.awaitingInvoice);
          for (const x of [a.onTimeRatio12m, a.avgDaysBeyondTerms12m])
            if (x !== null) expect(x).toBeGreaterThanOrEqual(0);
          if (a.onTimeRatio12m !== null) expect(a.onTimeRatio12m).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("(f) disputes: interleaved with any arrival order = the oracle with the disputed amounts; money conserved; closing them all = never opened", () => {
    const attemptArb = fc.record({
      at: fc.nat(),
      invoice: fc.constantFrom(...INVOICE_IDS),
      amount: fc.integer({ min: 1, max: 600 }),
    });
    fc.assert(
      fc.property(
        recordsArb.chain((records) =>
          fc.tuple(fc.constant(records), arrivalsArb(records), fc.array(attemptArb, { maxLength: 6 }), asOfArb),
        ),
        ([records, arrivals, attempts, asOf]) => {
          const s = new Store();
          const opened: Array<{ invoice: string; id: string; amount: number }> = [];
          const byStep = new Map<number, typeof attempts>();
          attempts.forEach((a) =>
            byStep.set(a.at % (arrivals.length + 1), [...(byStep.get(a.at % (arrivals.length + 1)) ?? []), a]),
          );
          for (let i = 0; i <= arrivals.length; i++) {
            for (const a of byStep.get(i) ?? []) {
              const id = `d${opened.length}`;
              if (s.tryDispute(a.invoice, id, a.amount)) opened.push({ invoice: a.invoice, id, amount: a.amount });
            }
            if (i < arrivals.length) s.apply(arrivals[i]!);
          }
          const disputed: Record<string, number> = {};
          for (const o of opened) disputed[o.invoice] = (disputed[o.invoice] ?? 0) + o.amount;
          const a = summarize(s.state, asOf);
          expect(a).toEqual(recomputeFromHistory(records, asOf, disputed));
          expect(a.openInvoiceBalance - a.unappliedCash).toBe(conservation(records));
          const agingSum =
            a.aging.current + a.aging.d1_30 + a.aging.d31_60 + a.aging.d61_90 + a.aging.d90plus + a.aging.disputed;
          expect(agingSum).toBe(a.openInvoiceBalance);
          for (const o of opened) s.closeDispute(o.invoice, o.id);
          expectSameStore(s, run(inDateOrder(records)), asOf);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("compaction: summarize is unchanged from its asOf on; later changes keep the totals exact", () => {
    fc.assert(
      fc.property(
        recordsArb.chain((records) =>
          fc.tuple(
            fc.constant(records),
            fc.integer({ min: 380, max: HORIZON_DAYS + 60 }), // compaction day
            fc.integer({ min: 12, max: 15 }), // horizon months
            fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 4 }), // later asOfs (days after)
            fc.array(fc.boolean(), { minLength: records.length, maxLength: records.length }), // deleted afterwards
            recordsArb, // re-sent afterwards (new versions / new records)
          ),
        ),
        ([records, compactDay, horizon, laterDays, drop, more]) => {
          const s = run(records);
          const asOf = T0 + compactDay * DAY_MS;
          const c = compactLedger(s.state, asOf, horizon);
          for (const d of laterDays)
            expect(summarize(c, asOf + d * DAY_MS)).toEqual(summarize(s.state, asOf + d * DAY_MS));
          expect(summarize(compactLedger(c, asOf, horizon), asOf)).toEqual(summarize(c, asOf));

          // Keep working on the compacted state: deletions and new versions of old records.
          s.state = c;
          const kept = new Map(records.filter((_, i) => !drop[i]).map((r) => [r.externalId, r]));
          records.forEach((r, i) => {
            if (drop[i]) s.unapply(r.externalId);
          });
          for (const r of more) {
            s.apply(r);
            kept.set(r.externalId, r);
          }
          const finalSet = [...kept.values()];
          for (const d of laterDays) {
            const t = asOf + d * DAY_MS;
            const got = summarize(s.state, t);
            const want = recomputeFromHistory(finalSet, t);
            expect(got.openInvoiceBalance - got.unappliedCash).toBe(conservation(finalSet));
            expect([
              got.openInvoiceBalance,
              got.unappliedCash,
              got.awaitingInvoice,
              got.exposure,
              got.openOrders,
            ]).toEqual([
              want.openInvoiceBalance,
              want.unappliedCash,
              want.awaitingInvoice,
              want.exposure,
              want.openOrders,
            ]);
            expect([
              got.volume12m,
              got.orderCount12m,
              got.dishonouredPayments,
              got.payments12m,
              got.invoiceCount12m,
            ]).toEqual([
              want.volume12m,
              want.orderCount12m,
              want.dishonouredPayments,
              want.payments12m,
              want.invoiceCount12m,
            ]);
            const agingSum =
              got.aging.current + got.aging.d1_30 + got.aging.d31_60 + got.aging.d61_90 + got.aging.d90plus;
            expect(agingSum).toBe(got.openInvoiceBalance);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
