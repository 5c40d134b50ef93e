import { beforeEach, describe, expect, it } from "vitest";
import { Timestamp, type DocumentData } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { verifyAuditTrail } from "../../functions/src/api/verifyAuditTrail.js";
import { AuditAppender, chains, entryDocId, fromStored, headOf } from "../../functions/src/data/audit.js";
import { firestore } from "../../functions/src/data/firebase.js";
import { randomBytes } from "node:crypto";
import { auditKeyring } from "../../functions/src/config.js";
import {
  entryMac,
  legacyHash,
  nextEntry,
  parseAuditKeyring,
  type AuditEntry,
} from "../../functions/src/domain/audit.js";
import { verifyChain } from "../../functions/src/services/auditTrail.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { sameDatabase } from "../support/arbitraries.js";
import { call, callError, databaseSnapshot, firestoreServer, users } from "../support/callables.js";
import { application, statement } from "../support/fixtures.js";

const db = () => firestore();
const entriesOf = (chainId: string) => db().collection(`audit/${chainId}/entries`);
const entryRef = (chainId: string, seq: number) => entriesOf(chainId).doc(entryDocId(seq));

interface Built {
  applicationId: string;
  customerId: string;
  /** Entries in the customer chain. */
  n: number;
}

/** A real customer chain of 6 entries, built through the callables: create, financials ×2, reassess ×3. */
async function build(): Promise<Built> {
  const { applicationId } = await call(fns.submitCreditApplication, application(), users.applicant);
  await call(fns.reviewCreditApplication, { applicationId }, users.analyst);
  const { customerId } = await call(
    fns.decideCreditApplication,
    { applicationId, decision: "approve", note: "ok", ownerUid: users.sales.uid },
    users.manager,
  );
  await call(
    fns.updateFinancials,
    { customerId, statement: { ...statement, periodEnd: "2026-03-31", netIncome: 100_000_00 } },
    users.analyst,
  );
  await call(fns.reassessCustomer, { customerId }, users.manager);
  await call(
    fns.updateFinancials,
    {
      customerId,
      statement: { ...statement, periodEnd: "2026-06-30", equity: 2_900_000_00, totalLiabilities: 2_100_000_00 },
    },
    users.manager,
  );
  await call(fns.reassessCustomer, { customerId }, users.analyst);
  await call(fns.reassessCustomer, { customerId, requestId: "reassess-1" }, users.analyst);
  const n = (await entriesOf(`customer_${customerId}`).get()).size;
  return { applicationId, customerId, n };
}

async function verify(data: Record<string, unknown>, who = users.auditor) {
  return call(verifyAuditTrail, data, who);
}

async function stored(chainId: string, seq: number): Promise<DocumentData> {
  const snap = await entryRef(chainId, seq).get();
  expect(snap.exists).toBe(true);
  return snap.data()!;
}

function toStoredEntry(e: AuditEntry): DocumentData {
  return { ...e, at: Timestamp.fromMillis(e.at) };
}

let built: Built;
let chain: string;

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
  built = await build();
  chain = `customer_${built.customerId}`;
});

describe("verifyAuditTrail on intact chains", () => {
  it("the chains the callables built verify, and each verification is audited in the system chain", async () => {
    expect(built.n).toBe(6);
    expect(await verify({ customerId: built.customerId })).toEqual({ ok: true, checked: 6, chainId: chain });
    expect(await verify({ chainId: chain }, users.admin)).toEqual({ ok: true, checked: 6, chainId: chain });
    expect(await verify({ chainId: `application_${built.applicationId}` })).toEqual({
      ok: true,
      checked: 3,
      chainId: `application_${built.applicationId}`,
    });
    // the system chain holds the three verifications so far
    expect(await verify({})).toEqual({ ok: true, checked: 3, chainId: "system" });
    const system = await entriesOf("system").orderBy("seq").get();
    expect(system.docs.map((d) => d.data().action)).toEqual([
      "audit.verify",
      "audit.verify",
      "audit.verify",
      "audit.verify",
    ]);
    expect(system.docs[0]!.data()).toMatchObject({
      actor: { uid: users.auditor.uid, role: "auditor" },
      target: `audit/${chain}`,
      after: { chainId: chain, ok: true, checked: 6, brokenSeq: null, problem: null },
    });
    expect(system.docs[3]!.data().after).toMatchObject({ chainId: "system", ok: true, checked: 3 });
    expect((await db().doc("audit/system").get()).data()?.auditHead.seq).toBe(4);
  });

  it("a retried call with the same requestId returns the first result and writes nothing more", async () => {
    const first = await verify({ customerId: built.customerId, requestId: "v-1" });
    const snapshot = databaseSnapshot();
    await entryRef(chain, 3).update({ reason: "rewritten" }); // even if the chain changed since
    const tampered = databaseSnapshot();
    expect(await verify({ customerId: built.customerId, requestId: "v-1" })).toEqual(first);
    expect(databaseSnapshot()).toBe(tampered);
    expect(tampered).not.toBe(snapshot);
    expect((await verify({ customerId: built.customerId, requestId: "v-2" })).firstBrokenEntry).toEqual({
      seq: 3,
      problem: "altered",
    });
  });

  it("walks long chains page by page (no cursors): 1,203 entries, and a break in the third page", async () => {
    const c = chains.customer(built.customerId);
    let head = headOf((await c.headDoc.get()).data());
    for (let written = 0; written < 1_197;) {
      const batch = db().batch();
      const appender = new AuditAppender(batch, c, head, Date.now());
      for (let i = 0; i < 400 && written < 1_197; i++, written++) {
        appender.append({
          action: "customer.note",
          actor: { uid: "u-x", role: "analyst" },
          target: c.headDoc.path,
          before: null,
          after: { i: written },
          reason: null,
          requestId: null,
        });
      }
      head = appender.current;
      await batch.commit();
    }
    expect(head.seq).toBe(1_203);
    expect(await verify({ customerId: built.customerId })).toEqual({ ok: true, checked: 1_203, chainId: chain });
    await entryRef(chain, 1_101).update({ "after.i": -1 });
    expect(await verify({ customerId: built.customerId })).toMatchObject({
      ok: false,
      firstBrokenEntry: { seq: 1_101, problem: "altered" },
    });
  });
});

describe("verifyAuditTrail names the first broken entry", () => {
  const k = 3;

  it("an altered field of entry k → k, altered", async () => {
    await entryRef(chain, k).update({ "after.score": 99 });
    expect(await verify({ customerId: built.customerId })).toEqual({
      ok: false,
      checked: k,
      chainId: chain,
      firstBrokenEntry: { seq: k, problem: "altered" },
    });
  });

  it.each([
    ["actor", { actor: { uid: users.admin.uid, role: "admin" } }],
    ["at", { at: Timestamp.fromMillis(0) }],
    ["reason", { reason: "nothing to see" }],
    ["requestId", { requestId: "forged" }],
    ["target", { target: "customers/other" }],
    ["chainId", { chainId: "customer_other" }],
    ["prevHash", { prevHash: "f".repeat(64) }],
    ["hash", { hash: "0".repeat(64) }],
  ])("altering %s of entry k → k, altered", async (_field, patch) => {
    await entryRef(chain, k).update(patch);
    expect((await verify({ customerId: built.customerId })).firstBrokenEntry).toEqual({ seq: k, problem: "altered" });
  });

  it("a deleted entry k → k, missing", async () => {
    await entryRef(chain, k).delete();
    expect(await verify({ customerId: built.customerId })).toMatchObject({
      ok: false,
      firstBrokenEntry: { seq: k, problem: "missing" },
    });
  });

  it("the last entry deleted → the head names it", async () => {
    await entryRef(chain, built.n).delete();
    expect(await verify({ customerId: built.customerId })).toEqual({
      ok: false,
      checked: built.n - 1,
      chainId: chain,
      firstBrokenEntry: { seq: built.n, problem: "missing" },
    });
  });

  it("a forged entry appended with the key (an insider: correct prevHash, valid MAC) without moving the head → named as unexpected", async () => {
    const last = fromStored(await stored(chain, built.n));
    const forged = nextEntry(
      chain,
      { seq: last.seq, hash: last.hash },
      {
        action: "customer.limit_change",
        actor: { uid: users.manager.uid, role: "manager" },
        target: `customers/${built.customerId}`,
        before: { creditLimit: 1 },
        after: { creditLimit: 9_999_999_00 },
        reason: "forged",
        requestId: null,
      },
      Date.now(),
      auditKeyring().signing,
    );
    await entryRef(chain, forged.seq).set(toStoredEntry(forged));
    expect(await verify({ customerId: built.customerId })).toEqual({
      ok: false,
      checked: built.n + 1,
      chainId: chain,
      firstBrokenEntry: { seq: built.n + 1, problem: "unexpected" },
    });
  });

  it("the last entry replaced by an insider's forgery with a valid MAC → head mismatch at it", async () => {
    const prev = fromStored(await stored(chain, built.n - 1));
    const last = fromStored(await stored(chain, built.n));
    const forged = nextEntry(
      chain,
      { seq: prev.seq, hash: prev.hash },
      { ...last, reason: "forged" },
      last.at,
      auditKeyring().signing,
    );
    await entryRef(chain, built.n).set(toStoredEntry(forged));
    expect((await verify({ customerId: built.customerId })).firstBrokenEntry).toEqual({
      seq: built.n,
      problem: "head_mismatch",
    });
  });

  it.each([
    ["re-hashed with unkeyed SHA-256 (what main accepted)", "sha256"],
    ["re-MACed under a key of the same id that is not ours", "other-key"],
  ])(
    "an entry edited by someone with write access but without the key, %s, and the head moved to match → altered at it",
    async (_name, how) => {
      const last = fromStored(await stored(chain, built.n));
      const { hash: _h, keyId: _k, ...content } = { ...last, after: { ...last.after, creditLimit: 99_000_000_00 } };
      let edited: AuditEntry;
      if (how === "sha256") edited = { ...content, hash: legacyHash(content) };
      else {
        const foreign = parseAuditKeyring(`${auditKeyring().signing.id}:${randomBytes(32).toString("base64")}`).signing;
        edited = { ...content, keyId: foreign.id, hash: entryMac({ ...content, keyId: foreign.id }, foreign) };
      }
      await entryRef(chain, built.n).set(toStoredEntry(edited));
      await db()
        .doc(`customers/${built.customerId}`)
        .update({ auditHead: { seq: built.n, hash: edited.hash } });
      expect((await verify({ customerId: built.customerId })).firstBrokenEntry).toEqual({
        seq: built.n,
        problem: "altered",
      });
    },
  );

  it("two entries' documents swapped (contents and seq) → the first, stored out of place", async () => {
    const [a, b] = [await stored(chain, k), await stored(chain, k + 2)];
    await entryRef(chain, k).set(b);
    await entryRef(chain, k + 2).set(a);
    expect((await verify({ customerId: built.customerId })).firstBrokenEntry).toEqual({
      seq: k,
      problem: "out_of_order",
    });
  });

  it("two entries' contents swapped, seq kept → the first, altered", async () => {
    const [a, b] = [await stored(chain, k), await stored(chain, k + 1)];
    await entryRef(chain, k).set({ ...b, seq: a.seq });
    await entryRef(chain, k + 1).set({ ...a, seq: b.seq });
    expect((await verify({ customerId: built.customerId })).firstBrokenEntry).toEqual({ seq: k, problem: "altered" });
  });

  it("reordered by exchanging the seq of k and k+1 → k, altered", async () => {
    await entryRef(chain, k).update({ seq: k + 1 });
    await entryRef(chain, k + 1).update({ seq: k });
    expect((await verify({ customerId: built.customerId })).firstBrokenEntry).toEqual({ seq: k, problem: "altered" });
  });

  it("reordered by moving entry k to the end (seq changed) → k, missing", async () => {
    await entryRef(chain, k).update({ seq: built.n + 5 });
    expect((await verify({ customerId: built.customerId })).firstBrokenEntry).toEqual({ seq: k, problem: "missing" });
  });

  it("a duplicate of entry k stored under another id → the duplicate, out of order", async () => {
    await entriesOf(chain)
      .doc("zz-copy")
      .set(await stored(chain, k));
    expect((await verify({ customerId: built.customerId })).firstBrokenEntry).toEqual({
      seq: k,
      problem: "out_of_order",
    });
  });

  it("the stored head altered or removed → named", async () => {
    await db()
      .doc(`customers/${built.customerId}`)
      .update({ "auditHead.hash": "a".repeat(64) });
    expect((await verify({ customerId: built.customerId })).firstBrokenEntry).toEqual({
      seq: built.n,
      problem: "head_mismatch",
    });
    await db().doc(`customers/${built.customerId}`).update({ auditHead: null });
    expect((await verify({ customerId: built.customerId })).firstBrokenEntry).toEqual({
      seq: 1,
      problem: "unexpected",
    });
  });

  it("tampering in the application and system chains is found too", async () => {
    const appChain = `application_${built.applicationId}`;
    await entryRef(appChain, 2).update({ "after.score": 100 });
    expect((await verify({ chainId: appChain })).firstBrokenEntry).toEqual({ seq: 2, problem: "altered" });
    // that verification is system entry 1; a second one is entry 2
    await verify({});
    await entryRef("system", 1).delete();
    expect((await verify({})).firstBrokenEntry).toEqual({ seq: 1, problem: "missing" });
  });

  it("the broken result is what the system chain records", async () => {
    await entryRef(chain, 4).delete();
    await verify({ customerId: built.customerId });
    const entry = (await entriesOf("system").orderBy("seq").get()).docs.at(-1)!.data();
    expect(entry).toMatchObject({
      action: "audit.verify",
      after: { chainId: chain, ok: false, brokenSeq: 4, problem: "missing" },
    });
  });
});

describe("verifyChain page boundaries (page size 2)", () => {
  it.each([1, 2, 3, 4, 5, 6])("a deletion of entry %i is named across pages", async (seq) => {
    const c = chains.customer(built.customerId);
    expect(await verifyChain(chain, c.headDoc, { pageSize: 2 })).toEqual({ ok: true, checked: 6 });
    await entryRef(chain, seq).delete();
    expect((await verifyChain(chain, c.headDoc, { pageSize: 2 })).firstBrokenEntry).toEqual({
      seq,
      problem: "missing",
    });
  });

  it.each([1, 2, 3, 4, 5, 6])("a duplicate of entry %i at a page boundary is found", async (seq) => {
    const c = chains.customer(built.customerId);
    await entriesOf(chain)
      .doc(`${entryDocId(seq)}-dup`)
      .set(await stored(chain, seq));
    expect((await verifyChain(chain, c.headDoc, { pageSize: 2 })).firstBrokenEntry).toEqual({
      seq,
      problem: "out_of_order",
    });
  });

  it("entries appended while the chain is walked are picked up (head read after the walk)", async () => {
    const c = chains.customer(built.customerId);
    const headDoc = {
      get: async () => {
        // Simulates a concurrent append landing between the walk and the head read.
        const snap = await c.headDoc.get();
        if (headOf(snap.data()).seq === 6) {
          await db().runTransaction(async (tx) => {
            const s = await tx.get(c.headDoc);
            new AuditAppender(tx, c, headOf(s.data()), Date.now()).append({
              action: "customer.note",
              actor: { uid: "u", role: null },
              target: c.headDoc.path,
              before: null,
              after: null,
              reason: null,
              requestId: null,
            });
          });
        }
        return c.headDoc.get();
      },
    } as unknown as typeof c.headDoc;
    expect(await verifyChain(chain, headDoc, { pageSize: 2 })).toEqual({ ok: true, checked: 7 });
  });
});

describe("verifyAuditTrail refuses", () => {
  it.each([
    ["sales", users.sales, "permission-denied"],
    ["analyst", users.analyst, "permission-denied"],
    ["manager", users.manager, "permission-denied"],
    ["integration", users.integration, "permission-denied"],
    ["applicant", users.applicant, "permission-denied"],
    ["signed-out", null, "unauthenticated"],
  ] as const)("%s", async (_name, who, code) => {
    const before = databaseSnapshot();
    expect((await callError(verifyAuditTrail, { customerId: built.customerId }, who)).code).toBe(code);
    expect((await callError(verifyAuditTrail, {}, who)).code).toBe(code);
    expect(databaseSnapshot()).toBe(before);
  });

  it("an unknown customer or application is not-found, and nothing is written", async () => {
    const before = databaseSnapshot();
    expect((await callError(verifyAuditTrail, { customerId: "nope" }, users.auditor)).code).toBe("not-found");
    expect((await callError(verifyAuditTrail, { chainId: "customer_nope" }, users.auditor)).code).toBe("not-found");
    expect((await callError(verifyAuditTrail, { chainId: "application_nope" }, users.admin)).code).toBe("not-found");
    expect(sameDatabase(before, databaseSnapshot())).toBe(true);
  });

  it.each([
    ["chainId", { chainId: "customers/x" }],
    ["chainId", { chainId: "ledger_x" }],
    ["chainId", { customerId: "a", chainId: "system" }],
    ["customerId", { customerId: "a/b" }],
    ["customerId", { customerId: "" }],
    ["requestId", { requestId: "has space" }],
    ["extra", { extra: 1 }],
  ])("bad input names %s: invalid-argument, nothing written", async (field, data) => {
    const before = databaseSnapshot();
    const err = await callError(verifyAuditTrail, data, users.auditor);
    expect(err.code).toBe("invalid-argument");
    expect(err.message).toContain(field);
    expect(databaseSnapshot()).toBe(before);
  });
});
