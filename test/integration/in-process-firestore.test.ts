/**
 * The in-process Firestore isolates Admin SDK read-write transactions like Cloud Firestore
 * (scripts/lib/firestore-transactions.mjs): per-document locks with wound-wait, commit-time
 * validation, retries through the Admin SDK's own runner (default maxAttempts 5).
 *
 * Each claim here fails on the package's unpatched engine: run this file with
 * CREDIT_DESK_FIRESTORE_ISOLATION=off to see it (increments and reservations are lost or
 * over-granted). One test below runs on an unpatched server on purpose and asserts that it
 * loses an update, so "fails on the unpatched engine" is itself tested.
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { initializeApp, type App } from "firebase-admin/app";
import { FieldValue, getFirestore, type DocumentReference, type Firestore } from "firebase-admin/firestore";
import { firestoreServer } from "../support/callables.js";
import { startFirestore, type RunningFirestore } from "../support/firestore-server.js";

const PROJECT = process.env.GCLOUD_PROJECT ?? "demo-credit";
const official = process.env.CREDIT_DESK_OFFICIAL_EMULATOR === "1";
const extraServers: RunningFirestore[] = [];
const clients: Firestore[] = [];

/** An Admin SDK Firestore on its own app, talking to `host` (FIRESTORE_EMULATOR_HOST is read when it is created). */
function adminFirestore(host: string): Firestore {
  const app: App = initializeApp({ projectId: PROJECT }, `in-process-firestore-${randomUUID()}`);
  const saved = process.env.FIRESTORE_EMULATOR_HOST;
  process.env.FIRESTORE_EMULATOR_HOST = host;
  try {
    const db = getFirestore(app);
    clients.push(db);
    return db;
  } finally {
    process.env.FIRESTORE_EMULATOR_HOST = saved;
  }
}

const db = adminFirestore(process.env.FIRESTORE_EMULATOR_HOST!);
const isolated = !official && firestoreServer().server?.isolation === true;
/** The lock and abort counters exist only on the isolated in-process engine: the tests reading them skip elsewhere. */
const NOT_ISOLATED = official
  ? "the official emulator has no lock counters"
  : "the in-process Firestore runs without isolation (CREDIT_DESK_FIRESTORE_ISOLATION=off)";
if (!isolated) console.info(`in-process-firestore.test.ts: the lock-counter tests are skipped — ${NOT_ISOLATED}`);
const stats = () => firestoreServer().server?.transactions?.stats;
const fresh = (name: string) => db.doc(`isolation/${randomUUID()}-${name}`);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.terminate()));
  for (const s of extraServers) s.stop();
});

/** Resolves once `parties` callers have arrived (and stays resolved: later attempts pass straight through). */
function barrier(parties: number) {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return () => {
    if (++arrived >= parties) open();
    return opened;
  };
}

async function increment(ref: DocumentReference, attempts?: { n: number }) {
  await ref.firestore.runTransaction(async (tx) => {
    if (attempts) attempts.n++;
    const snap = await tx.get(ref);
    tx.set(ref, { n: ((snap.get("n") as number | undefined) ?? 0) + 1 });
  });
}

/** A transaction reads `ref`; before it commits, a plain (non-transactional) write adds 10. */
async function readThenOutsideWriteThenCommit(ref: DocumentReference): Promise<{ attempts: number }> {
  await ref.set({ n: 0 });
  let attempts = 0;
  await ref.firestore.runTransaction(async (tx) => {
    attempts++;
    const n = (await tx.get(ref)).get("n") as number;
    if (attempts === 1) await ref.update({ n: FieldValue.increment(10) });
    tx.update(ref, { n: n + 1 });
  });
  return { attempts };
}

/** Two transactions each read one of two fresh documents, wait for each other, then read the other's and add 1 to both. */
async function crossedTransactions(): Promise<[DocumentReference, DocumentReference]> {
  const x = fresh("x");
  const y = fresh("y");
  const bothReadTheirFirst = barrier(2);
  const crossed = (first: DocumentReference, second: DocumentReference) =>
    db.runTransaction(async (tx) => {
      const a = await tx.get(first);
      await bothReadTheirFirst(); // each holds its first document when it asks for the other's
      const b = await tx.get(second);
      tx.set(first, { n: ((a.get("n") as number | undefined) ?? 0) + 1 });
      tx.set(second, { n: ((b.get("n") as number | undefined) ?? 0) + 1 });
    });
  await Promise.all([crossed(x, y), crossed(y, x)]);
  return [x, y];
}

/** 50 concurrent increments of one fresh document with the Admin SDK's default options (maxAttempts 5). */
async function fiftyIncrements(): Promise<{ ref: DocumentReference; attempts: number }> {
  const ref = fresh("hot");
  const attempts = { n: 0 };
  await Promise.all(Array.from({ length: 50 }, () => increment(ref, attempts)));
  return { ref, attempts: attempts.n };
}

describe("read-write transactions on the in-process Firestore are serializable", () => {
  it("20 concurrent increments of one counter count 20", async () => {
    const ref = fresh("counter");
    await Promise.all(Array.from({ length: 20 }, () => increment(ref)));
    expect((await ref.get()).get("n")).toBe(20);
  });

  it("two transactions reading two documents in opposite order both commit (no deadlock, no lost update)", async () => {
    const [x, y] = await crossedTransactions();
    expect((await x.get()).get("n")).toBe(2);
    expect((await y.get()).get("n")).toBe(2);
  });

  it.runIf(isolated)(
    "two transactions reading two documents in opposite order form a lock cycle, and wound-wait breaks it by aborting the younger one",
    async () => {
      const before = stats()!.aborted.wounded;
      await crossedTransactions();
      expect(stats()!.aborted.wounded).toBeGreaterThan(before);
    },
  );

  it("a non-transactional write between a transaction's read and its commit makes it retry; both effects stay", async () => {
    const ref = fresh("outside-write");
    const { attempts } = await readThenOutsideWriteThenCommit(ref);
    expect((await ref.get()).get("n")).toBe(11);
    expect(attempts).toBe(2);
  });

  it("50 concurrent reserve-if-available transactions on a budget for 20: exactly 20 succeed", async () => {
    const budget = fresh("budget");
    await budget.set({ capacity: 20, reserved: 0 });
    const reserve = (i: number) =>
      db.runTransaction(async (tx) => {
        const b = (await tx.get(budget)).data() as { capacity: number; reserved: number };
        if (b.reserved >= b.capacity) return false;
        tx.update(budget, { reserved: b.reserved + 1 });
        tx.create(budget.collection("reservations").doc(`r${i}`), { at: FieldValue.serverTimestamp() });
        return true;
      });
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => reserve(i)));
    expect(outcomes.filter(Boolean)).toHaveLength(20);
    expect((await budget.get()).get("reserved")).toBe(20);
    expect((await budget.collection("reservations").count().get()).data().count).toBe(20);
  });

  it("the Admin SDK's default retry budget (5 attempts) carries 50 concurrent transactions on one document", async () => {
    const { ref } = await fiftyIncrements();
    expect((await ref.get()).get("n")).toBe(50);
  });

  it.runIf(isolated)(
    "50 concurrent transactions on one document wait their turn for its lock instead of failing: (almost) every attempt commits",
    async () => {
      const before = structuredClone(stats()!);
      const { ref, attempts } = await fiftyIncrements();
      expect((await ref.get()).get("n")).toBe(50);
      const after = stats()!;
      console.log(
        `50 concurrent increments of one document: ${attempts} attempts, ${after.waits - before.waits} lock waits, ` +
          `${after.aborted.wounded - before.aborted.wounded} wounded, ${after.aborted.validation - before.aborted.validation} failed validation`,
      );
      expect(attempts).toBeLessThan(50 * 5);
    },
  );

  it("a query inside a transaction locks the documents it returns", async () => {
    const col = db.collection(`isolation/${randomUUID()}/items`);
    await Promise.all(["a", "b", "c"].map((id) => col.doc(id).set({ open: true, n: 0 })));
    const bumpAll = () =>
      db.runTransaction(async (tx) => {
        const items = await tx.get(col.where("open", "==", true));
        expect((await tx.get(col.where("open", "==", true).count())).data().count).toBe(3); // aggregations run in the transaction too
        for (const d of items.docs) tx.update(d.ref, { n: (d.get("n") as number) + 1 });
      });
    await Promise.all(Array.from({ length: 10 }, bumpAll));
    const counts = (await col.get()).docs.map((d) => d.get("n") as number);
    expect(counts).toEqual([10, 10, 10]);
  });

  it("10 concurrent create-if-absent transactions on one id make one effect", async () => {
    const marker = fresh("request");
    const effects = fresh("effects");
    const once = () =>
      db.runTransaction(async (tx) => {
        const seen = await tx.get(marker);
        const count = await tx.get(effects);
        if (seen.exists) return "replay";
        tx.create(marker, { done: true });
        tx.set(effects, { n: ((count.get("n") as number | undefined) ?? 0) + 1 });
        return "applied";
      });
    const results = await Promise.all(Array.from({ length: 10 }, once));
    expect(results.filter((r) => r === "applied")).toHaveLength(1);
    expect((await effects.get()).get("n")).toBe(1);
  });

  it("a transaction whose callback fails releases its locks (rollback): the next one proceeds", async () => {
    const ref = fresh("rollback");
    await ref.set({ n: 1 });
    await expect(
      db.runTransaction(async (tx) => {
        await tx.get(ref);
        throw new Error("business rule says no");
      }),
    ).rejects.toThrow("business rule says no");
    // Without the rollback the lock would be held until the 60 s lease: this would time out.
    await increment(ref);
    expect((await ref.get()).get("n")).toBe(2);
  });

  it("read-only transactions and plain reads and writes work beside a transaction holding a lock", async () => {
    const ref = fresh("beside");
    await ref.set({ n: 1 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = db.runTransaction(async (tx) => {
      const n = (await tx.get(ref)).get("n") as number;
      locked();
      await held;
      tx.update(ref, { n: n + 1 });
    });
    await isLocked;
    const seen = await db.runTransaction(async (tx) => (await tx.get(ref)).get("n") as number, { readOnly: true });
    expect(seen).toBe(1);
    expect((await ref.get()).get("n")).toBe(1);
    await fresh("unrelated").set({ ok: true }); // a batch elsewhere is not held up
    release();
    await holder;
    expect((await ref.get()).get("n")).toBe(2);
  });

  it("commits are atomic and enforce lastUpdateTime preconditions", async () => {
    const a = fresh("atomic-a");
    const b = fresh("atomic-b");
    await b.set({ n: 1 });
    const batch = db.batch();
    batch.set(a, { n: 1 });
    batch.create(b, { n: 2 }); // fails: b exists
    await expect(batch.commit()).rejects.toMatchObject({ code: 6 });
    expect((await a.get()).exists).toBe(false);

    const snap = await b.get();
    await b.update({ n: 3 });
    await expect(b.update({ n: 4 }, { lastUpdateTime: snap.updateTime! })).rejects.toMatchObject({ code: 9 });
    expect((await b.get()).get("n")).toBe(3);
  });
});

describe.skipIf(official)("transactions abandoned by their client", () => {
  it("lose their locks when the lease expires; the abandoned one retries when it wakes", async () => {
    const server = await startFirestore(undefined, { isolation: true, leaseMs: 300 });
    extraServers.push(server);
    const other = adminFirestore(server.host);
    const ref = other.doc(`isolation/${randomUUID()}`);
    await ref.set({ n: 0 });
    let wake!: () => void;
    const asleep = new Promise<void>((r) => (wake = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    let attempts = 0;
    const sleeper = other.runTransaction(async (tx) => {
      attempts++;
      const n = (await tx.get(ref)).get("n") as number;
      if (attempts === 1) {
        locked();
        await asleep; // holds the lock, says nothing: as a crashed client would
      }
      tx.update(ref, { n: n + 1 });
    });
    await isLocked;
    await increment(ref); // waits for the lease to expire, then proceeds
    wake();
    await sleeper;
    expect((await ref.get()).get("n")).toBe(2);
    expect(attempts).toBe(2);
    expect(server.server!.transactions!.stats.aborted.expired).toBeGreaterThanOrEqual(1);
  });
});

describe.skipIf(official)("the unpatched engine (isolation off)", () => {
  it("loses the update the isolated engine keeps", async () => {
    const server = await startFirestore(undefined, { isolation: false });
    extraServers.push(server);
    const ref = adminFirestore(server.host).doc(`isolation/${randomUUID()}`);
    const { attempts } = await readThenOutsideWriteThenCommit(ref);
    // The commit applied blindly over the outside write: 0 + 1, the +10 is gone.
    expect(attempts).toBe(1);
    expect((await ref.get()).get("n")).toBe(1);
  });
});

describe("FieldValue.delete() in an update", () => {
  it("removes the field, top-level and nested, as Cloud Firestore does", async () => {
    const ref = db.doc("fidelity/delete");
    await ref.set({ keep: 1, gone: 2, nested: { a: 1, b: 2 } });
    await ref.update({ gone: FieldValue.delete(), "nested.b": FieldValue.delete() });
    expect((await ref.get()).data()).toEqual({ keep: 1, nested: { a: 1 } });
    await ref.set({ more: FieldValue.delete(), keep: 3 }, { merge: true });
    expect((await ref.get()).data()).toEqual({ keep: 3, nested: { a: 1 } });
  });
});
