/**
 * Idempotency keys are bound to their payload: a retry with the same key and input answers the
 * first result and writes nothing; the same key with other input is refused (`already-exists`,
 * naming requestId) and writes nothing; a retry never reports what did not happen.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { payloadHash } from "../../functions/src/data/requests.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { setUserRole, type UserDirectory } from "../../functions/src/services/roles.js";
import { runJobNow, type SchedulerPort } from "../../functions/src/services/jobs.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { approvedCustomer } from "../support/workflow.js";
import { application } from "../support/fixtures.js";
import { call, callError, databaseSnapshot, firestoreServer, users } from "../support/callables.js";

const db = () => getFirestore();

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

async function reviewedApplication(regNo: string): Promise<string> {
  const app = application();
  const { applicationId } = await call(
    fns.submitCreditApplication,
    { ...app, company: { ...app.company, registrationNo: regNo } },
    users.applicant,
  );
  await call(fns.reviewCreditApplication, { applicationId }, users.analyst);
  return applicationId;
}

describe("regression: a reused requestId never answers for another call", () => {
  it("decideCreditApplication: B with A's key is refused, and B stays under review", async () => {
    const a = await reviewedApplication("REG-A");
    const b = await reviewedApplication("REG-B");
    const first = await call(
      fns.decideCreditApplication,
      { applicationId: a, decision: "approve", approvedLimit: 10_000_00, note: "ok", requestId: "k1" },
      users.manager,
    );
    expect(first.status).toBe("approved");
    const before = databaseSnapshot();
    const err = await callError(
      fns.decideCreditApplication,
      { applicationId: b, decision: "approve", approvedLimit: 10_000_00, note: "ok", requestId: "k1" },
      users.manager,
    );
    expect(err.code).toBe("already-exists");
    expect(err.message).toContain("requestId");
    expect(databaseSnapshot()).toBe(before);
    expect((await db().doc(`applications/${b}`).get()).data()!.status).toBe("under_review");
  });

  it("setCreditStatus: 'active' with the key of an 'on_hold' call is refused, not answered 'on_hold'", async () => {
    const id = await approvedCustomer();
    expect(
      await call(
        fns.setCreditStatus,
        { customerId: id, status: "on_hold", reason: "check", requestId: "k2" },
        users.manager,
      ),
    ).toMatchObject({ status: "on_hold" });
    expect(
      (
        await callError(
          fns.setCreditStatus,
          { customerId: id, status: "active", reason: "check", requestId: "k2" },
          users.manager,
        )
      ).code,
    ).toBe("already-exists");
    expect((await db().doc(`customers/${id}`).get()).data()!.status).toBe("on_hold");
  });

  it("the same key and input (in any key order) answers the first result and writes nothing more", async () => {
    const id = await approvedCustomer();
    const input = { customerId: id, newLimit: 30_000_00, reason: "risk", requestId: "k3" };
    const first = await call(fns.requestLimitChange, input, users.analyst);
    const before = databaseSnapshot();
    const reordered = { requestId: "k3", reason: "risk", newLimit: 30_000_00, customerId: id };
    expect(await call(fns.requestLimitChange, reordered, users.analyst)).toEqual(first);
    expect(databaseSnapshot()).toBe(before);
    // Another caller's key is their own: the same id from someone else is a new request.
    expect(payloadHash(input)).toBe(payloadHash(reordered));
  });

  it("keys are per callable and caller: the same requestId elsewhere is independent", async () => {
    const id = await approvedCustomer();
    await call(
      fns.setCreditStatus,
      { customerId: id, status: "on_hold", reason: "a", requestId: "shared" },
      users.manager,
    );
    const r = await call(
      fns.requestLimitChange,
      { customerId: id, newLimit: 30_000_00, reason: "b", requestId: "shared" },
      users.analyst,
    );
    expect(r.status).toBe("approved");
  });
});

describe("a retry never reports what did not happen", () => {
  function directory(
    claims: Record<string, Record<string, unknown>>,
    failures: { set?: number; revoke?: number } = {},
  ): UserDirectory & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      claimsOf: async (uid) => ({ ...(claims[uid] ?? {}) }),
      setClaims: async (uid, c) => {
        calls.push(`set:${uid}:${String(c.role ?? null)}`);
        if ((failures.set ?? 0) > 0) {
          failures.set!--;
          throw Object.assign(new Error("auth unavailable"), { code: "auth/internal-error" });
        }
        claims[uid] = c;
      },
      revokeRefreshTokens: async (uid) => {
        calls.push(`revoke:${uid}`);
        if ((failures.revoke ?? 0) > 0) {
          failures.revoke!--;
          throw new Error("auth unavailable");
        }
      },
    };
  }
  const admin = { uid: "u-admin", role: "admin" as const };
  const systemActions = async () =>
    (await db().collection("audit/system/entries").orderBy("seq").get()).docs.map((d) => d.data());

  it("setUserRole: a failed claim update leaves the request pending; the retry applies it and confirms it once", async () => {
    const claims = { "u-target": { role: "admin" } };
    const dir = directory(claims, { set: 1 });
    const input = { uid: "u-target", role: null, requestId: "r1" };
    await expect(setUserRole(input, admin, 1_000, dir)).rejects.toThrow("auth unavailable");
    expect(claims["u-target"]).toEqual({ role: "admin" }); // still admin: and nothing says otherwise
    const pending = await systemActions();
    expect(pending.map((e) => e.action)).toEqual(["role.set_requested"]);
    // The retry applies the claim, revokes the lost role's tokens, and confirms with the true role-before.
    expect(await setUserRole(input, admin, 2_000, dir)).toEqual({ uid: "u-target", role: null });
    expect(claims["u-target"]).toEqual({});
    expect(dir.calls).toEqual(["set:u-target:null", "set:u-target:null", "revoke:u-target"]);
    const done = await systemActions();
    expect(done.map((e) => e.action)).toEqual(["role.set_requested", "role.set"]);
    expect(done[1]!.before).toEqual({ role: "admin" });
    // A third call with the key: the first answer, nothing more written.
    const before = databaseSnapshot();
    expect(await setUserRole(input, admin, 3_000, dir)).toEqual({ uid: "u-target", role: null });
    expect(databaseSnapshot()).toBe(before);
    // The same key for another role is refused.
    await expect(setUserRole({ ...input, role: "sales" }, admin, 4_000, dir)).rejects.toMatchObject({
      code: "already-exists",
    });
  });

  it("setUserRole: a finished key whose role was changed since by another request is not answered as if still true", async () => {
    const claims = { "u-target": {} as Record<string, unknown> };
    const dir = directory(claims);
    await setUserRole({ uid: "u-target", role: "analyst", requestId: "r2" }, admin, 1_000, dir);
    await setUserRole({ uid: "u-target", role: "sales", requestId: "r3" }, admin, 2_000, dir);
    await expect(
      setUserRole({ uid: "u-target", role: "analyst", requestId: "r2" }, admin, 3_000, dir),
    ).rejects.toMatchObject({ code: "failed-precondition" });
  });

  it("runJobNow: a run that failed is run again on retry, not reported as started", async () => {
    let attempts = 0;
    const scheduler: SchedulerPort = {
      run: async () => {
        attempts++;
        if (attempts === 1) throw new Error("scheduler unavailable");
      },
      pause: async () => {},
      resume: async () => {},
    };
    const input = { job: "dailyMonitoring" as const, requestId: "j1" };
    await expect(runJobNow(input, admin, 1_000, DEFAULT_POLICY, { scheduler, local: false })).rejects.toThrow(
      "scheduler unavailable",
    );
    expect(await runJobNow(input, admin, 2_000, DEFAULT_POLICY, { scheduler, local: false })).toMatchObject({
      started: true,
      mode: "cloud-scheduler",
    });
    expect(attempts).toBe(2);
    expect(await runJobNow(input, admin, 3_000, DEFAULT_POLICY, { scheduler, local: false })).toMatchObject({
      started: true,
    });
    expect(attempts).toBe(2);
    expect((await systemActions()).filter((e) => e.action === "job.run")).toHaveLength(1);
  });
});
