/**
 * The daily seal and its sweep, and verification against the latest seal: the
 * reproductions of issue 10 (a chain cut back, emptied, or orphaned verified ok on main)
 * are each named with a code and a seq; the sweep raises `audit_broken`; chains written
 * before the keyring are migrated once.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { Timestamp, type DocumentData } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { verifyAuditTrail } from "../../functions/src/api/verifyAuditTrail.js";
import { AuditAppender, changedSubjects, chains, entryDocId, headOf } from "../../functions/src/data/audit.js";
import { firestore } from "../../functions/src/data/firebase.js";
import { legacyHash, type AuditContent } from "../../functions/src/domain/audit.js";
import { runAuditSeal } from "../../functions/src/services/auditSeal.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { call, firestoreServer, users } from "../support/callables.js";
import { application, statement } from "../support/fixtures.js";

const db = () => firestore();
const entriesOf = (chainId: string) => db().collection(`audit/${chainId}/entries`);
const entryRef = (chainId: string, seq: number) => entriesOf(chainId).doc(entryDocId(seq));
const seal = (over: Partial<Parameters<typeof runAuditSeal>[0]> = {}) =>
  runAuditSeal({ now: Date.now(), settleMs: 0, ...over });
const verify = (data: Record<string, unknown>) => call(verifyAuditTrail, data, users.auditor);

/** A customer with a chain of 6 entries, through the callables. */
async function customer(
  regNo = "REG-100200",
): Promise<{ customerId: string; applicationId: string; chain: string; n: number }> {
  const { applicationId } = await call(
    fns.submitCreditApplication,
    application({ company: { ...application().company, registrationNo: regNo } }),
    users.applicant,
  );
  await call(fns.reviewCreditApplication, { applicationId }, users.analyst);
  const { customerId } = await call(
    fns.decideCreditApplication,
    { applicationId, decision: "approve", note: "ok", ownerUid: users.sales.uid },
    users.manager,
  );
  await call(fns.updateFinancials, { customerId, statement: { ...statement, periodEnd: "2026-03-31" } }, users.analyst);
  await call(fns.reassessCustomer, { customerId }, users.manager);
  await call(fns.reassessCustomer, { customerId }, users.analyst);
  const chain = `customer_${customerId}`;
  return { customerId, applicationId, chain, n: (await entriesOf(chain).get()).size };
}

async function headHash(chainId: string, seq: number): Promise<string> {
  return (await entryRef(chainId, seq).get()).get("hash") as string;
}

async function sealEntries(): Promise<DocumentData[]> {
  return (await entriesOf("system").where("action", "==", "audit.seal").get()).docs
    .map((d) => d.data())
    .sort((a, b) => a.seq - b.seq);
}

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("issue 10 reproductions: a cut chain is named against its latest seal", () => {
  it("reproduction: deleting the last entries and setting the head back → truncated at the first entry cut off", async () => {
    const c = await customer();
    await seal();
    await entryRef(c.chain, c.n).delete();
    await entryRef(c.chain, c.n - 1).delete();
    await db()
      .doc(`customers/${c.customerId}`)
      .update({ auditHead: { seq: c.n - 2, hash: await headHash(c.chain, c.n - 2) } });
    expect(await verify({ customerId: c.customerId })).toMatchObject({
      ok: false,
      checked: c.n - 2,
      firstBrokenEntry: { seq: c.n - 1, problem: "truncated" },
      sealed: { seq: c.n },
    });
  });

  it("reproduction: deleting every entry and nulling the head → truncated at 1", async () => {
    const c = await customer();
    await seal();
    for (let seq = 1; seq <= c.n; seq++) await entryRef(c.chain, seq).delete();
    await db().doc(`customers/${c.customerId}`).update({ auditHead: null });
    expect(await verify({ customerId: c.customerId })).toMatchObject({
      ok: false,
      checked: 0,
      firstBrokenEntry: { seq: 1, problem: "truncated" },
    });
  });

  it("reproduction: deleting the customer document → subject_deleted (not not-found), with or without its entries", async () => {
    const c = await customer();
    await seal();
    await db().doc(`customers/${c.customerId}`).delete();
    expect(await verify({ customerId: c.customerId })).toMatchObject({
      ok: false,
      checked: c.n,
      firstBrokenEntry: { seq: c.n, problem: "subject_deleted" },
    });
    for (let seq = 1; seq <= c.n; seq++) await entryRef(c.chain, seq).delete();
    expect(await verify({ chainId: c.chain })).toMatchObject({
      ok: false,
      firstBrokenEntry: { seq: c.n, problem: "subject_deleted" },
    });
  });

  it("the subject deleted before any seal is still named while its entries remain", async () => {
    const c = await customer();
    await db().doc(`customers/${c.customerId}`).delete();
    expect((await verify({ customerId: c.customerId })).firstBrokenEntry).toEqual({
      seq: c.n,
      problem: "subject_deleted",
    });
  });

  it("entries appended after the seal verify against it", async () => {
    const c = await customer();
    await seal();
    await call(fns.reassessCustomer, { customerId: c.customerId }, users.manager);
    expect(await verify({ customerId: c.customerId })).toMatchObject({
      ok: true,
      checked: c.n + 1,
      sealed: { seq: c.n },
    });
  });

  it("an altered seal entry is named (seal_invalid) instead of falling back to an older seal", async () => {
    const c = await customer();
    await seal();
    const [first] = await sealEntries();
    await entriesOf("system").doc(entryDocId(first!.seq)).update({ "after.heads": [] });
    expect((await verify({ customerId: c.customerId })).firstBrokenEntry).toEqual({
      seq: first!.seq,
      problem: "seal_invalid",
    });
  });
});

describe("the seal", () => {
  it("seals every chain that changed since the last seal, and only those, in the system chain", async () => {
    const a = await customer("REG-A");
    const b = await customer("REG-B");
    const first = await seal();
    expect(first).toMatchObject({ complete: true, since: null, broken: [] });
    const sealedFirst = (await sealEntries()).flatMap((e) => e.sealedChains as string[]);
    // the system chain: its first entry is the legacy migration's record (nothing to migrate)
    expect(new Set(sealedFirst)).toEqual(
      new Set(["system", a.chain, b.chain, `application_${a.applicationId}`, `application_${b.applicationId}`]),
    );
    const entry = (await sealEntries())[0]!;
    expect(entry.after.heads).toContainEqual({ chainId: a.chain, seq: a.n, hash: await headHash(a.chain, a.n) });

    await call(fns.reassessCustomer, { customerId: b.customerId }, users.manager);
    const second = await seal();
    expect(second.since).toBe(first.upTo);
    const secondEntries = (await sealEntries()).filter((e) => e.after.sealId === second.sealId);
    expect(secondEntries.flatMap((e) => e.sealedChains as string[]).sort()).toEqual([b.chain, "system"].sort());
    expect(secondEntries[0]!.after.heads).toContainEqual({
      chainId: b.chain,
      seq: b.n + 1,
      hash: await headHash(b.chain, b.n + 1),
    });
    const complete = (await entriesOf("system").where("action", "==", "audit.seal_complete").get()).docs.map(
      (d) => d.data().after,
    );
    expect(complete).toHaveLength(2);
    expect(complete.find((x) => x.sealId === second.sealId)).toMatchObject({ sealed: 2, broken: 0, since: first.upTo });
    // the system chain, seals and all, verifies
    expect(await verify({})).toMatchObject({ ok: true });
  });

  it("heads that moved within the settle time before a run are sealed by it and taken again by the next run", async () => {
    const a = await customer();
    const first = await seal({ now: Date.now(), settleMs: 60 * 60_000 });
    expect(first.upTo).toBeLessThan(Date.now() - 59 * 60_000);
    expect((await verify({ customerId: a.customerId })).sealed).toMatchObject({ seq: a.n });
    const second = await seal({ now: Date.now() + 1, settleMs: 60 * 60_000 });
    expect(second.since).toBe(first.upTo);
    const sealedBySecond = (await sealEntries())
      .filter((e) => e.after.sealId === second.sealId)
      .flatMap((e) => e.sealedChains as string[]);
    expect(sealedBySecond).toContain(a.chain);
  });

  it("a chain that keeps changing while the run pages through is still sealed", async () => {
    const c = await customer();
    const others = await Promise.all(["REG-X1", "REG-X2", "REG-X3"].map((r) => customer(r)));
    // Before each of the seal's first page fetches on customers, c's head moves: it is always
    // newer than the run's start, so a run bounded by its start time would never take it.
    const { firestore: fs } = await import("../../functions/src/data/firebase.js");
    const query = Object.getPrototypeOf(fs().collection("customers").where("x", "==", 1));
    const originalGet = query.get;
    let moves = 0;
    query.get = async function (
      this: { _queryOptions?: { collectionId?: string; filters?: Array<{ field?: { formattedName?: string } }> } },
      ...args: unknown[]
    ) {
      const onCustomersByTime =
        this._queryOptions?.collectionId === "customers" &&
        JSON.stringify(this._queryOptions?.filters ?? []).includes("auditChangedAt");
      if (onCustomersByTime && moves < 3) {
        moves++;
        await call(fns.reassessCustomer, { customerId: c.customerId }, users.manager);
      }
      return originalGet.apply(this, args);
    };
    try {
      await seal({ pageSize: 2 });
    } finally {
      query.get = originalGet;
    }
    expect(moves).toBe(3);
    const entries = await sealEntries();
    const sealedC = entries.flatMap((e) =>
      (e.after.heads as Array<{ chainId: string; seq: number }>).filter((h) => h.chainId === c.chain),
    );
    expect(sealedC.map((h) => h.seq)).toContain(c.n + 3);
    for (const o of others) expect(entries.some((e) => (e.sealedChains as string[]).includes(o.chain))).toBe(true);
  });

  it("a run stopped by its deadline writes no completion, and the next run starts from the same point", async () => {
    await customer();
    const stopped = await seal({ deadline: 0 });
    expect(stopped.complete).toBe(false);
    expect((await entriesOf("system").where("action", "==", "audit.seal_complete").get()).size).toBe(0);
    const next = await seal();
    expect(next).toMatchObject({ complete: true, since: null });
  });

  it("finds changed subjects page by page, ties at one millisecond included, each exactly once", async () => {
    const at = Timestamp.fromMillis(Date.now() - 1000);
    const batch = db().batch();
    for (let i = 0; i < 7; i++)
      batch.set(db().doc(`customers/t${i}`), {
        auditHead: { seq: 1, hash: "h" },
        auditChangedAt: i < 5 ? at : Timestamp.fromMillis(at.toMillis() + i),
      });
    batch.set(db().doc("customers/old"), {
      auditHead: { seq: 1, hash: "h" },
      auditChangedAt: Timestamp.fromMillis(at.toMillis() - 10_000),
    });
    batch.set(db().doc("customers/none"), { name: "no chain" });
    await batch.commit();
    const seen: string[] = [];
    for await (const page of changedSubjects("customers", at.toMillis() - 1, 2)) seen.push(...page.map((s) => s.id));
    expect(seen.sort()).toEqual(["t0", "t1", "t2", "t3", "t4", "t5", "t6"]);
  });
});

describe("the sweep", () => {
  it("a chain broken since its last seal raises audit_broken, is listed as broken and is not sealed again", async () => {
    const c = await customer();
    await seal();
    await call(fns.reassessCustomer, { customerId: c.customerId }, users.manager);
    await entryRef(c.chain, c.n + 1).update({ reason: "edited" });
    const run = await seal();
    expect(run.broken).toEqual([{ chainId: c.chain, seq: c.n + 1, problem: "altered" }]);
    const alert = (await db().doc(`alerts/system_${c.chain}_audit_broken`).get()).data();
    expect(alert).toMatchObject({
      type: "audit_broken",
      severity: "critical",
      status: "open",
      code: "ALTERED",
      details: { chainId: c.chain, seq: c.n + 1 },
    });
    const latest = (await sealEntries()).filter((e) => (e.sealedChains as string[]).includes(c.chain));
    expect(latest.map((e) => e.after.sealId)).toHaveLength(1); // the first seal only
    expect((await sealEntries()).at(-1)!.after.broken).toEqual([
      { chainId: c.chain, seq: c.n + 1, problem: "altered" },
    ]);
  });

  it("a seal entry deleted from the system chain, even one sealed long ago, is found by the next sweep", async () => {
    const c = await customer();
    await seal();
    await call(fns.reassessCustomer, { customerId: c.customerId }, users.manager);
    await seal(); // seals the system chain's head past the first run's entries
    const first = (await sealEntries())[0]!;
    await entriesOf("system").doc(entryDocId(first.seq)).delete();
    const run = await seal();
    expect(run.broken).toContainEqual({ chainId: "system", seq: first.seq, problem: "missing" });
    expect((await db().doc("alerts/system_system_audit_broken").get()).get("code")).toBe("MISSING");
  });

  it("a chain truncated since its last seal is found by the sweep when it changes again", async () => {
    const c = await customer();
    await seal();
    await entryRef(c.chain, c.n).delete();
    await db()
      .doc(`customers/${c.customerId}`)
      .update({ auditHead: { seq: c.n - 1, hash: await headHash(c.chain, c.n - 1) } });
    await call(fns.reassessCustomer, { customerId: c.customerId }, users.manager); // a new entry n on the cut chain
    const run = await seal();
    expect(run.broken).toEqual([{ chainId: c.chain, seq: c.n, problem: "seal_mismatch" }]);
    expect((await db().doc(`alerts/system_${c.chain}_audit_broken`).get()).get("code")).toBe("SEAL_MISMATCH");
  });
});

describe("legacy chains (written before the keyring)", () => {
  async function legacyChain(customerId: string, n: number): Promise<void> {
    const chainId = `customer_${customerId}`;
    let head = { seq: 0, hash: "0".repeat(64) };
    const batch = db().batch();
    for (let i = 1; i <= n; i++) {
      const content: AuditContent = {
        action: "customer.note",
        actor: { uid: "u-analyst", role: "analyst" },
        target: `customers/${customerId}`,
        before: null,
        after: { i },
        reason: null,
        requestId: null,
      };
      const base = { ...content, chainId, seq: i, at: 1_600_000_000_000 + i, prevHash: head.hash };
      const hash = legacyHash(base);
      batch.set(entryRef(chainId, i), { ...base, at: Timestamp.fromMillis(base.at), hash });
      head = { seq: i, hash };
    }
    batch.set(db().doc(`customers/${customerId}`), { name: "Legacy Ltd", auditHead: head });
    await batch.commit();
  }

  it("an unmigrated legacy chain is legacy_unsealed; the seal job migrates it once, and then it verifies and is sealed", async () => {
    await legacyChain("leg1", 3);
    expect((await verify({ customerId: "leg1" })).firstBrokenEntry).toEqual({ seq: 1, problem: "legacy_unsealed" });
    const run = await seal();
    expect(run.migration).toMatchObject({ done: true, migrated: 1, broken: [] });
    const migrate = (await entryRef("customer_leg1", 4).get()).data()!;
    expect(migrate).toMatchObject({
      action: "audit.migrate",
      keyId: expect.any(String),
      after: { legacyHead: { seq: 3 } },
    });
    expect(await verify({ customerId: "leg1" })).toMatchObject({ ok: true, checked: 4 });
    // the migration's own entry moved the head after upTo: the next seal takes it
    const next = await seal();
    expect(next.migration.migrated).toBe(0);
    expect((await verify({ customerId: "leg1" })).sealed).toMatchObject({ seq: 4 });
    expect((await db().doc("audit/system").get()).get("legacyMigration")).toMatchObject({ migrated: 1, broken: 0 });
  });

  it("after the migration, a rewritten legacy history (SHA-256 recomputed) breaks at the migration entry", async () => {
    await legacyChain("leg2", 3);
    await seal();
    const e2 = (await entryRef("customer_leg2", 2).get()).data()!;
    const rest = { ...e2, at: (e2.at as Timestamp).toMillis(), after: { i: 99 } } as Record<string, unknown>;
    delete rest.hash;
    const h2 = legacyHash(rest as never);
    await entryRef("customer_leg2", 2).update({ after: { i: 99 }, hash: h2 });
    const e3 = (await entryRef("customer_leg2", 3).get()).data()!;
    const r3 = { ...e3, at: (e3.at as Timestamp).toMillis(), prevHash: h2 };
    delete (r3 as Record<string, unknown>).hash;
    await entryRef("customer_leg2", 3).update({ prevHash: h2, hash: legacyHash(r3 as never) });
    expect((await verify({ customerId: "leg2" })).firstBrokenEntry).toEqual({ seq: 4, problem: "out_of_order" });
  });

  it("a legacy chain already broken is not migrated: audit_broken is raised", async () => {
    await legacyChain("leg3", 3);
    await entryRef("customer_leg3", 2).update({ reason: "edited" });
    const run = await seal();
    expect(run.migration.broken).toEqual([{ chainId: "customer_leg3", seq: 2, problem: "altered" }]);
    expect((await entryRef("customer_leg3", 4).get()).exists).toBe(false);
    expect((await db().doc("alerts/system_customer_leg3_audit_broken").get()).get("status")).toBe("open");
  });
});

describe("appends carry the head's time for the seal", () => {
  it("every audited write path stamps auditChangedAt with the head (deferred heads included)", async () => {
    const c = await customer();
    await call(
      fns.recordTransactions,
      {
        customerId: c.customerId,
        transactions: [
          {
            externalId: "INV-1",
            type: "invoice",
            amount: 1_000_00,
            issuedAt: new Date(Date.now() - 86_400_000).toISOString(),
            dueAt: new Date(Date.now() + 29 * 86_400_000).toISOString(),
          },
        ],
      },
      users.integration,
    );
    const cust = (await db().doc(`customers/${c.customerId}`).get()).data()!;
    const lastSeq = headOf(cust).seq;
    expect(lastSeq).toBe(c.n + 1);
    expect(cust.auditChangedAt).toBeInstanceOf(Timestamp);
    expect((cust.auditChangedAt as Timestamp).toMillis()).toBeGreaterThanOrEqual(
      ((await entryRef(c.chain, lastSeq).get()).get("at") as Timestamp).toMillis() - 60_000,
    );
    for (const path of [`applications/${c.applicationId}`, "audit/system"]) {
      const d = (await db().doc(path).get()).data();
      if (d?.auditHead) expect(d.auditChangedAt, path).toBeInstanceOf(Timestamp);
    }
    // an appender used directly (batch) stamps it too
    const sys = chains.system();
    const batch = db().batch();
    new AuditAppender(batch, sys, headOf((await sys.headDoc.get()).data()), Date.now()).append({
      action: "x",
      actor: { uid: "u", role: null },
      target: "t",
      before: null,
      after: null,
      reason: null,
      requestId: null,
    });
    await batch.commit();
    expect((await sys.headDoc.get()).get("auditChangedAt")).toBeInstanceOf(Timestamp);
  });
});
