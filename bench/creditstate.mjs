/**
 * Bounded documents: a customer trading for five years through the services — each month 30
 * invoices (due in 30 days), the previous month's invoices paid (some late), 5 orders — with the
 * daily monitor's visit after each month's records (it folds history older than 24 months once
 * a month: domain/ledger compactLedger via compactLedgerIfDue). Measured: the credit state
 * document's stored size (Firestore's size rules) month by month, and what it would be had
 * nothing folded the ledger (the same records replayed without compaction).
 */
import { firestoreDocumentSize, progress } from "./support.mjs";

const DAY = 86_400_000;
const lib = "../functions/lib";

export async function runCreditStateBench({ customerId, years = 5, invoicesPerMonth = 30 }) {
  const { recordTransactions, recordFromInput } = await import(`${lib}/services/transactions.js`);
  const { monitorCustomer } = await import(`${lib}/services/monitoring.js`);
  const { DEFAULT_POLICY } = await import(`${lib}/domain/policy.js`);
  const ledger = await import(`${lib}/domain/ledger.js`);
  const { firestore } = await import(`${lib}/data/firebase.js`);
  const policy = DEFAULT_POLICY;
  const db = firestore();
  const integration = { uid: "bench-integration", role: "integration" };
  const now = new Date();
  const first = Date.UTC(now.getUTCFullYear() - years, now.getUTCMonth(), 1, 12);
  const months = years * 12;
  const all = [];
  const sizes = [];
  let seq = 0;
  for (let m = 0; m < months; m++) {
    const start = Date.UTC(new Date(first).getUTCFullYear(), new Date(first).getUTCMonth() + m, 1, 12);
    const end = start + 28 * DAY;
    const txs = [];
    for (let d = 0; d < invoicesPerMonth; d++) {
      const issuedAt = start + Math.floor((d * 28) / invoicesPerMonth) * DAY;
      txs.push({
        externalId: `CS-${customerId}-I-${m}-${d}`,
        type: "invoice",
        amount: 1_000_00 + ((d * 37) % 500) * 100,
        issuedAt,
        dueAt: issuedAt + 30 * DAY,
      });
    }
    if (m > 0) {
      for (let d = 0; d < invoicesPerMonth; d++) {
        const inv = all.find((r) => r.externalId === `CS-${customerId}-I-${m - 1}-${d}`);
        const late = d % 5 === 0 ? 12 : 0;
        txs.push({
          externalId: `CS-${customerId}-P-${m}-${d}`,
          type: "payment",
          amount: inv.amount,
          issuedAt: Math.min(end, inv.dueAt - 3 * DAY + late * DAY),
          invoiceExternalId: inv.externalId,
        });
      }
    }
    for (let k = 0; k < 5; k++)
      txs.push({
        externalId: `CS-${customerId}-O-${m}-${k}`,
        type: "order",
        amount: 2_000_00,
        issuedAt: start + k * 5 * DAY,
        status: "fulfilled",
      });
    seq += txs.length;
    const r = await recordTransactions({ customerId, transactions: txs }, integration, end, policy);
    if (r.rejected.length) throw new Error(`credit state bench: rejected ${JSON.stringify(r.rejected[0])}`);
    all.push(...txs.map((t) => recordFromInput(t)));
    // The daily monitor's visit after the month's writes (the write brought it forward to the next run).
    await monitorCustomer(customerId, end + DAY, policy);
    if ((m + 1) % 12 === 0) {
      const snap = await db.doc(`customers/${customerId}/private/creditState`).get();
      sizes.push({ years: (m + 1) / 12, records: seq, bytes: firestoreDocumentSize(snap.ref.path, snap.data()) });
    }
    progress(`${years} years of trading, month by month`, m + 1, months);
  }
  const snap = await db.doc(`customers/${customerId}/private/creditState`).get();
  const data = snap.data();
  // The same records without any fold: the ledger state grows with every active day.
  let state = ledger.emptyLedger();
  const entries = new Map();
  for (const r of all) {
    const ref = ledger.referencedEntryId(r);
    const res = ledger.applyRecord(
      state,
      r,
      entries.get(r.externalId) ?? null,
      ref ? (entries.get(ref) ?? null) : null,
    );
    state = res.state;
    for (const w of res.writes) entries.set(w.id, w.entry);
  }
  const unfolded = { ...data, ledger: state };
  const head = await db.doc(`customers/${customerId}`).get();
  return {
    years,
    records: seq,
    creditStateBytes: firestoreDocumentSize(snap.ref.path, data),
    ledgerFieldBytes: firestoreDocumentSize(snap.ref.path, { ledger: data.ledger }),
    creditStateBytesWithoutCompaction: firestoreDocumentSize(snap.ref.path, unfolded),
    ledgerFieldBytesWithoutCompaction: firestoreDocumentSize(snap.ref.path, { ledger: state }),
    headBytes: firestoreDocumentSize(head.ref.path, head.data()),
    byYear: sizes,
    compactedBefore: data.ledger?.compactedBefore
      ? new Date(data.ledger.compactedBefore * DAY).toISOString().slice(0, 10)
      : null,
    firestoreLimitBytes: 1_048_576,
  };
}
