/**
 * Console edits on the record: admins work in the Firebase console, so an edit of a customer's
 * head or credit state, an application or a limit request that no service made is appended to
 * the subject's audit chain (`console.edit`, before and after) and raises `console_edit`.
 * Services mark every write (a fresh nonce and its MAC, bound to the path), so their writes
 * pass without a read. Regressions of the first-wave review: console edits of creditLimit or
 * ownerUid left no trace.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore, type DocumentData } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { verifyChain } from "../../functions/src/services/auditTrail.js";
import { approvedCustomer } from "../support/workflow.js";
import { call, fft, firestoreServer, users } from "../support/callables.js";

const db = () => getFirestore();
const iso = (ms: number) => new Date(ms).toISOString();

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

type Trigger = typeof fns.customerEdited;
let events = 0;
/** Deliver a write as the platform would: the stored versions before and after, with an event id. */
async function deliver(
  fn: Trigger,
  path: string,
  before: DocumentData | null,
  after: DocumentData | null,
  params: Record<string, string>,
  eventId = `ev-${++events}`,
) {
  const snap = (d: DocumentData | null) =>
    d === null ? fft.firestore.makeDocumentSnapshot({}, path) : fft.firestore.makeDocumentSnapshot(d, path);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await (fft.wrap(fn) as any)({
    data: fft.makeChange(snap(before), snap(after)),
    params,
    id: eventId,
    time: iso(Date.now()),
  });
}
const read = async (path: string) => (await db().doc(path).get()).data() ?? null;
const entries = async (chain: string) =>
  (await db().collection(`audit/${chain}/entries`).orderBy("seq").get()).docs.map((d) => d.data());

describe("console edits are put on the record", () => {
  it("regression: a console edit of creditLimit is appended to the customer's chain with before and after, and alerted", async () => {
    const id = await approvedCustomer(40_000_00);
    const path = `customers/${id}`;
    const before = await read(path);
    await db().doc(path).update({ creditLimit: 9_900_000_000_00 });
    const after = await read(path);
    const n = (await entries(`customer_${id}`)).length;
    await deliver(fns.customerEdited, path, before, after, { customerId: id });
    const chain = await entries(`customer_${id}`);
    expect(chain).toHaveLength(n + 1);
    expect(chain.at(-1)).toMatchObject({
      action: "console.edit",
      actor: { uid: "console" },
      target: path,
      before: { creditLimit: 40_000_00 },
      after: { creditLimit: 9_900_000_000_00 },
      reason: "creditLimit",
    });
    expect(await read(`alerts/customer_${id}_console_edit`)).toMatchObject({
      status: "open",
      code: "CONSOLE_EDIT",
      details: { kind: "customer", fields: "creditLimit" },
    });
    expect((await verifyChain(`customer_${id}`, db().doc(path))).ok).toBe(true);
    // The trigger's own append moved only the chain head: delivered, it is not an edit (no loop).
    const withHead = await read(path);
    await deliver(fns.customerEdited, path, after, withHead, { customerId: id });
    expect(await entries(`customer_${id}`)).toHaveLength(n + 1);
  });

  it("regression: a console edit of ownerUid is on the record", async () => {
    const id = await approvedCustomer(40_000_00);
    const path = `customers/${id}`;
    const before = await read(path);
    await db().doc(path).update({ ownerUid: users.sales2.uid });
    await deliver(fns.customerEdited, path, before, await read(path), { customerId: id });
    expect((await entries(`customer_${id}`)).at(-1)).toMatchObject({
      action: "console.edit",
      before: { ownerUid: users.sales.uid },
      after: { ownerUid: users.sales2.uid },
    });
  });

  it("a service's write passes (a fresh, valid mark): no entry, no alert", async () => {
    const id = await approvedCustomer(40_000_00);
    const path = `customers/${id}`;
    const before = await read(path);
    await call(fns.setCreditStatus, { customerId: id, status: "on_hold", reason: "check" }, users.manager);
    const n = (await entries(`customer_${id}`)).length;
    await deliver(fns.customerEdited, path, before, await read(path), { customerId: id });
    expect(await entries(`customer_${id}`)).toHaveLength(n);
    expect(await read(`alerts/customer_${id}_console_edit`)).toBeNull();
  });

  it("a forged or copied mark does not pass for a service's", async () => {
    const a = await approvedCustomer(40_000_00, { registrationNo: "REG-A" });
    const b = await approvedCustomer(40_000_00, { registrationNo: "REG-B" });
    const path = `customers/${a}`;
    const before = await read(path);
    const otherMark = (await read(`customers/${b}`))!.serviceWrite;
    await db().doc(path).update({ status: "active", creditLimit: 50_000_00, serviceWrite: otherMark });
    await deliver(fns.customerEdited, path, before, await read(path), { customerId: a });
    await db()
      .doc(path)
      .update({ creditLimit: 60_000_00, serviceWrite: { ...otherMark, nonce: "forged" } });
    await deliver(
      fns.customerEdited,
      path,
      await read(path),
      { ...(await read(path))!, creditLimit: 61_000_00 },
      { customerId: a },
    );
    expect((await entries(`customer_${a}`)).filter((e) => e.action === "console.edit")).toHaveLength(2);
  });

  it("an edit of the confidential credit state (a fraud hold lifted), an application or a limit request is recorded in its chain", async () => {
    const id = await approvedCustomer(40_000_00);
    const statePath = `customers/${id}/private/creditState`;
    const state = await read(statePath);
    await db()
      .doc(statePath)
      .update({ "flags.fraudHold": true, ledger: { huge: "x".repeat(10_000) } });
    await deliver(fns.creditStateEdited, statePath, state, await read(statePath), { customerId: id });
    const edit = (await entries(`customer_${id}`)).at(-1)!;
    expect(edit).toMatchObject({ action: "console.edit", target: statePath, reason: "flags,ledger" });
    expect(edit.after.ledger).toMatchObject({ sha256: expect.any(String) }); // large values by digest

    const { applicationId } = await call(
      fns.submitCreditApplication,
      {
        ...(await import("../support/fixtures.js")).application(),
        company: { ...(await import("../support/fixtures.js")).application().company, registrationNo: "REG-APP" },
      },
      users.applicant2,
    );
    const appPath = `applications/${applicationId}`;
    const app = await read(appPath);
    await db().doc(appPath).update({ status: "approved" });
    await deliver(fns.applicationEdited, appPath, app, await read(appPath), { applicationId });
    expect((await entries(`application_${applicationId}`)).at(-1)).toMatchObject({
      action: "console.edit",
      before: { status: "submitted" },
      after: { status: "approved" },
    });

    const req = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 45_000_00, reason: "growth" },
      users.sales,
    );
    const reqPath = `limitRequests/${req.limitRequestId}`;
    const r = await read(reqPath);
    await db().doc(reqPath).update({ status: "approved", decidedBy: "someone" });
    await deliver(fns.limitRequestEdited, reqPath, r, await read(reqPath), { limitRequestId: req.limitRequestId });
    expect((await entries(`customer_${id}`)).at(-1)).toMatchObject({
      action: "console.edit",
      target: reqPath,
      after: { status: "approved", decidedBy: "someone" },
    });
  });

  it("a deleted customer head goes to the system chain and raises audit_broken; a redelivered event records once", async () => {
    const id = await approvedCustomer(40_000_00);
    const path = `customers/${id}`;
    const before = await read(path);
    await db().doc(path).delete();
    await deliver(fns.customerEdited, path, before, null, { customerId: id }, "ev-delete");
    await deliver(fns.customerEdited, path, before, null, { customerId: id }, "ev-delete");
    const system = (await entries("system")).filter((e) => e.action === "console.delete");
    expect(system).toHaveLength(1);
    expect(system[0]).toMatchObject({ target: path });
    expect(await read(`alerts/customer_${id}_audit_broken`)).toMatchObject({ status: "open", code: "CONSOLE_DELETE" });
    expect(await read(path)).toBeNull(); // the record did not bring the head back
  });
});
