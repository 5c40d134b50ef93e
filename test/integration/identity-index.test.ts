/**
 * The identity index cannot be poisoned: a collision weighs by the other side's standing (a
 * customer counts fully, another applicant's pending application only a share: which of the
 * two is the impostor is not known yet), rejected applications leave the index, and one
 * applicant has at most `fraud.maxOpenApplications` open applications.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { application } from "../support/fixtures.js";
import { call, callError, databaseSnapshot, firestoreServer, users } from "../support/callables.js";
import { approvedCustomer } from "../support/workflow.js";

const db = () => getFirestore();

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

const withIdentity = (regNo: string, email: string, phone: string) => {
  const a = application();
  return { ...a, company: { ...a.company, registrationNo: regNo }, contacts: [{ name: "Someone", email, phone }] };
};

describe("regression: anyone could put a stranger on hold (first-wave review)", () => {
  it("an impostor who applies first with the victim's registration number does not get the victim held", async () => {
    // The impostor (another applicant) applies first, with the victim's registration number.
    await call(
      fns.submitCreditApplication,
      withIdentity("REG-VICTIM", "fake@impostor.example", "+1 555 0666"),
      users.applicant2,
    );
    const { applicationId } = await call(
      fns.submitCreditApplication,
      withIdentity("REG-VICTIM", "cfo@victim.example", "+1 555 0100"),
      users.applicant,
    );
    const review = await call(fns.reviewCreditApplication, { applicationId }, users.analyst);
    expect(review.fraudSignals).toEqual(["IDENTITY_COLLISION_REGISTRATION"]); // shown to the analyst…
    const assessment = (await db().doc(`applications/${applicationId}/private/assessment`).get()).data()!;
    expect(assessment.fraudHold).toBe(false); // …but a pending application weighs a share of the signal
    expect(assessment.fraudSignals[0].weight).toBe(15);
    const decided = await call(
      fns.decideCreditApplication,
      { applicationId, decision: "approve", approvedLimit: 10_000_00, note: "ok" },
      users.manager,
    );
    const head = (await db().doc(`customers/${decided.customerId}`).get()).data()!;
    expect(head.status).toBe("active");
    expect(review.tier).not.toBe("risky");
  });

  it("an applicant using an existing customer's identity still counts fully, and is held", async () => {
    await approvedCustomer(40_000_00, { registrationNo: "REG-CUSTOMER" });
    const { applicationId } = await call(
      fns.submitCreditApplication,
      withIdentity("REG-CUSTOMER", "other@else.example", "+1 555 0777"),
      users.applicant2,
    );
    await call(fns.reviewCreditApplication, { applicationId }, users.analyst);
    const assessment = (await db().doc(`applications/${applicationId}/private/assessment`).get()).data()!;
    expect(
      assessment.fraudSignals.find((s: { code: string }) => s.code === "IDENTITY_COLLISION_REGISTRATION").weight,
    ).toBe(60);
    expect(assessment.fraudHold).toBe(true);
  });

  it("a rejected application leaves the index: it no longer collides", async () => {
    const first = await call(
      fns.submitCreditApplication,
      withIdentity("REG-X", "a@x.example", "+1 555 0001"),
      users.applicant2,
    );
    await call(fns.reviewCreditApplication, { applicationId: first.applicationId }, users.analyst);
    await call(
      fns.decideCreditApplication,
      { applicationId: first.applicationId, decision: "reject", note: "impostor" },
      users.manager,
    );
    const second = await call(
      fns.submitCreditApplication,
      withIdentity("REG-X", "b@x.example", "+1 555 0002"),
      users.applicant,
    );
    const review = await call(fns.reviewCreditApplication, { applicationId: second.applicationId }, users.analyst);
    expect(review.fraudSignals).toEqual([]);
  });
});

describe("open applications per applicant", () => {
  it("at most three open at once; a decision frees a place; the refusal writes nothing", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        (
          await call(
            fns.submitCreditApplication,
            withIdentity(`REG-${i}`, `x${i}@a.example`, `+1 555 010${i}`),
            users.applicant,
          )
        ).applicationId,
      );
    const before = databaseSnapshot();
    const err = await callError(
      fns.submitCreditApplication,
      withIdentity("REG-9", "x9@a.example", "+1 555 0109"),
      users.applicant,
    );
    expect(err.code).toBe("failed-precondition");
    expect(err.message).toContain("at most 3 open applications");
    expect(databaseSnapshot()).toBe(before);
    await call(fns.reviewCreditApplication, { applicationId: ids[0] }, users.analyst);
    await call(fns.decideCreditApplication, { applicationId: ids[0], decision: "reject", note: "no" }, users.manager);
    expect(
      (await call(fns.submitCreditApplication, withIdentity("REG-9", "x9@a.example", "+1 555 0109"), users.applicant))
        .status,
    ).toBe("submitted");
  });
});
