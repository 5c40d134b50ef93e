/**
 * A credit file written before the head/creditState split (everything on the head) reads as
 * it is and moves its confidential fields out of the head on its next write.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { HEAD_FIELDS } from "../../functions/src/data/customers.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { approvedCustomer } from "../support/workflow.js";
import { call, firestoreServer, users } from "../support/callables.js";

const db = () => getFirestore();

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("a credit file from before the split", () => {
  it("reads as it is, and its next write leaves only the allow-list on the head", async () => {
    const id = await approvedCustomer(40_000_00);
    const head = db().doc(`customers/${id}`);
    const state = db().doc(`customers/${id}/private/creditState`);
    const merged = { ...(await state.get()).data(), ...(await head.get()).data() };
    await head.set(merged);
    await state.delete();
    expect(Object.keys((await head.get()).data()!)).toContain("score");
    // Reads see the whole file: the order check and a limit decrease work as before.
    expect((await call(fns.checkOrder, { customerId: id, orderAmount: 1_00 }, users.sales)).decision).toBe("approve");
    await call(fns.setCreditStatus, { customerId: id, status: "on_hold", reason: "review" }, users.manager);
    const after = (await head.get()).data()!;
    expect(Object.keys(after).filter((k) => !(HEAD_FIELDS as readonly string[]).includes(k))).toEqual([]);
    expect((await state.get()).data()).toMatchObject({
      score: merged.score,
      statusReason: "MANUAL_HOLD",
      flags: merged.flags,
    });
    expect(after.status).toBe("on_hold");
  });
});
