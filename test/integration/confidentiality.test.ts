/**
 * Acknowledged confidentiality (seed §5.1, 六.1): a staff role takes effect only while its
 * holder has acknowledged the confidentiality policy in force — refused by the callables here,
 * by the rules in the access matrix. Acknowledgements, training records and their expiry alerts.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore, Timestamp } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import {
  acknowledgeConfidentiality,
  alertExpiringAcknowledgements,
} from "../../functions/src/services/confidentiality.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import type { UserDirectory } from "../../functions/src/services/roles.js";
import { approvedCustomer } from "../support/workflow.js";
import { call, callError, databaseSnapshot, firestoreServer, users } from "../support/callables.js";

const db = () => getFirestore();
const DAY = 86_400_000;

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("staff roles need a current acknowledgement", () => {
  it("without one, an expired one or one of another version, a staff call is refused naming the version; integration and applicants need none", async () => {
    const id = await approvedCustomer();
    const analyst = (claims: Record<string, unknown>) => ({ ...users.analyst, claims });
    const now = Math.floor(Date.now() / 1000);
    for (const [claims, reason] of [
      [{ role: "analyst" }, "CONFIDENTIALITY_MISSING"],
      [{ role: "analyst", ack: { v: 1, until: now - 60 } }, "CONFIDENTIALITY_EXPIRED"],
      [{ role: "analyst", ack: { v: 0, until: now + 3600 } }, "CONFIDENTIALITY_OUTDATED"],
      [{ role: "analyst", ack: "yes" }, "CONFIDENTIALITY_MISSING"],
    ] as const) {
      const before = databaseSnapshot();
      const err = await callError(fns.reassessCustomer, { customerId: id }, analyst(claims));
      expect(err.code, reason).toBe("permission-denied");
      expect(err.message).toContain("acknowledge version 1");
      expect(databaseSnapshot()).toBe(before);
    }
    expect((await call(fns.checkOrder, { customerId: id, orderAmount: 1_00 }, users.integration)).decision).toBe(
      "approve",
    );
    expect(
      (
        await call(
          fns.submitCreditApplication,
          (await import("../support/fixtures.js")).application(),
          users.applicant2,
        )
      ).status,
    ).toBe("submitted");
  });

  it("a new policy version asks everyone again", async () => {
    const id = await approvedCustomer();
    await db()
      .doc("config/creditPolicy")
      .set({ confidentiality: { version: 2 } });
    clearPolicyCache();
    expect((await callError(fns.reassessCustomer, { customerId: id }, users.analyst)).message).toContain(
      "acknowledge version 2",
    );
  });
});

describe("acknowledgeConfidentiality", () => {
  function directory(fail = 0): UserDirectory & { claims: Record<string, Record<string, unknown>> } {
    const claims: Record<string, Record<string, unknown>> = { [users.analyst.uid]: { role: "analyst" } };
    return {
      claims,
      claimsOf: async (uid) => ({ ...(claims[uid] ?? {}) }),
      setClaims: async (uid, c) => {
        if (fail-- > 0) throw Object.assign(new Error("auth unavailable"), { code: "auth/internal-error" });
        claims[uid] = c;
      },
      revokeRefreshTokens: async () => {},
    };
  }
  const analyst = { uid: users.analyst.uid, role: "analyst" as const };

  it("records it, keeps config/confidentiality current, audits, and sets the claim (role kept); a failed claim update is applied on retry", async () => {
    const now = Date.UTC(2026, 10, 30);
    const dir = directory(1);
    const input = { version: 1, requestId: "ack-1" };
    await expect(acknowledgeConfidentiality(input, analyst, now, DEFAULT_POLICY, dir)).rejects.toThrow(
      "auth unavailable",
    );
    expect(dir.claims[users.analyst.uid]).toEqual({ role: "analyst" });
    const r = await acknowledgeConfidentiality(input, analyst, now, DEFAULT_POLICY, dir);
    expect(r).toEqual({ version: 1, acknowledgedUntil: new Date(now + 365 * DAY).toISOString() });
    expect(dir.claims[users.analyst.uid]).toEqual({ role: "analyst", ack: { v: 1, until: (now + 365 * DAY) / 1000 } });
    expect((await db().doc(`confidentialityAcks/${users.analyst.uid}`).get()).data()).toMatchObject({
      version: 1,
      role: "analyst",
    });
    expect((await db().doc("config/confidentiality").get()).data()).toMatchObject({ version: 1 });
    const audit = (
      await db().collection("audit/system/entries").where("action", "==", "confidentiality.acknowledge").get()
    ).docs;
    expect(audit).toHaveLength(1);
  });

  it("another version than the one in force is refused, naming it", async () => {
    await expect(
      acknowledgeConfidentiality({ version: 7 }, analyst, Date.now(), DEFAULT_POLICY, directory()),
    ).rejects.toMatchObject({ code: "failed-precondition", details: { version: 1 } });
  });
});

describe("training records and expiring acknowledgements", () => {
  it("an admin records a completed course (audited); nobody else; not in the future", async () => {
    const r = await call(
      fns.recordTraining,
      { uid: users.sales.uid, course: "Confidentiality 2026", completedAt: "2026-03-01" },
      users.admin,
    );
    expect(r).toMatchObject({ recorded: true, trainingId: expect.any(String) });
    expect((await db().doc(`trainingRecords/${r.trainingId}`).get()).data()).toMatchObject({
      uid: users.sales.uid,
      course: "Confidentiality 2026",
      recordedBy: users.admin.uid,
    });
    expect(
      (
        await callError(
          fns.recordTraining,
          { uid: users.sales.uid, course: "x", completedAt: "2026-03-01" },
          users.manager,
        )
      ).code,
    ).toBe("permission-denied");
    expect(
      (
        await callError(
          fns.recordTraining,
          { uid: users.sales.uid, course: "x", completedAt: "2199-01-01" },
          users.admin,
        )
      ).message,
    ).toContain("completedAt");
  });

  it("the monthly job alerts on acknowledgements expiring within 30 days, once each", async () => {
    const now = Date.now();
    await db()
      .doc("confidentialityAcks/u-soon")
      .set({ uid: "u-soon", version: 1, until: Timestamp.fromMillis(now + 10 * DAY) });
    await db()
      .doc("confidentialityAcks/u-later")
      .set({ uid: "u-later", version: 1, until: Timestamp.fromMillis(now + 200 * DAY) });
    expect(await alertExpiringAcknowledgements(now, DEFAULT_POLICY)).toBe(1);
    expect(await alertExpiringAcknowledgements(now, DEFAULT_POLICY)).toBe(0);
    expect(
      (await db().doc("alerts/system_confidentiality_u-soon_confidentiality_expiring").get()).data(),
    ).toMatchObject({ status: "open", code: "ACKNOWLEDGEMENT_EXPIRING" });
  });
});
