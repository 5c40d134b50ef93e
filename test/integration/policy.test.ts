/**
 * The credit policy edited in the console: an invalid document is never used (the last
 * valid override or the defaults stay in force), it raises the policy_invalid alert with
 * the offending paths, audited in the system chain; a valid edit resolves the alert.
 * The `policyWritten` trigger keeps the fallback and the alert; the loader only reads.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DocumentData } from "firebase-admin/firestore";
import { REGION } from "../../functions/src/config.js";
import * as fns from "../../functions/src/index.js";
import { chains } from "../../functions/src/data/audit.js";
import { firestore } from "../../functions/src/data/firebase.js";
import { LAST_GOOD_POLICY_PATH } from "../../functions/src/data/policy.js";
import { verifyChain } from "../../functions/src/services/auditTrail.js";
import { clearPolicyCache, loadPolicy } from "../../functions/src/services/policy.js";
import { onPolicyWritten } from "../../functions/src/services/policyWatch.js";
import { policyWritten } from "../../functions/src/triggers/policyWritten.js";
import { captureLogs, type LogCapture } from "../support/arbitraries.js";
import { call, callError, databaseSnapshot, fft, firestoreServer, users } from "../support/callables.js";
import { application } from "../support/fixtures.js";

const db = () => firestore();
const POLICY = "config/creditPolicy";
const ALERT = "alerts/system_creditPolicy_policy_invalid";

const VALID_80K = { authority: { analyst: 80_000_00 } };
const INVALID = { authority: { analyst: -5 }, gradeBands: { A: 10 }, bogusKey: true };

let seq = 0;
/** An application under review, for an analyst to decide. */
async function reviewedApplication(): Promise<string> {
  const { applicationId } = await call(
    fns.submitCreditApplication,
    application({
      requestedLimit: 90_000_00,
      company: { ...application().company, registrationNo: `REG-P${++seq}` },
      contacts: [{ name: "P", email: `p${seq}@x.example`, phone: `+1 555 ${1000 + seq}` }],
    }),
    users.applicant,
  );
  await call(fns.reviewCreditApplication, { applicationId }, users.analyst);
  return applicationId;
}

/** Does the analyst authority in force cover `limit`? (answers through decideCreditApplication) */
async function analystMayApprove(limit: number): Promise<boolean> {
  const applicationId = await reviewedApplication();
  clearPolicyCache();
  try {
    await call(
      fns.decideCreditApplication,
      { applicationId, decision: "approve", approvedLimit: limit, note: "ok" },
      users.analyst,
    );
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "permission-denied") return false;
    throw err;
  }
}

/**
 * A console edit that replaces the document. (Deleted first: the in-process Firestore's
 * set() merges top-level fields into the stored document instead of replacing it.)
 */
async function replacePolicy(data: DocumentData | null) {
  await db().doc(POLICY).delete();
  if (data !== null) await db().doc(POLICY).set(data);
}

let edits = 0;
/** A console edit as production sees it: the document replaced, then the policyWritten trigger's event. */
async function edit(data: DocumentData | null) {
  const before = (await db().doc(POLICY).get()).data();
  await replacePolicy(data);
  const after = await db().doc(POLICY).get();
  await onPolicyWritten(
    {
      eventId: `edit-${++edits}`,
      before,
      after: after.data(),
      afterUpdateTime: after.exists && after.updateTime ? after.updateTime.toMillis() : null,
    },
    Date.now(),
  );
  clearPolicyCache();
}

async function systemActions(): Promise<string[]> {
  return (await db().collection("audit/system/entries").orderBy("seq").get()).docs.map(
    (d) => d.data().action as string,
  );
}

async function alert(): Promise<DocumentData | undefined> {
  return (await db().doc(ALERT).get()).data();
}

let logs: LogCapture;
beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
  logs = await captureLogs(false);
});
afterEach(() => logs.restore());

describe("the policy in force after console edits (the trigger keeps the fallback and the alert; the loader only reads)", () => {
  it("keeps the previous valid override in force when an invalid edit arrives, raises an audited alert, and a valid edit resolves it", async () => {
    await edit(VALID_80K);
    expect(await analystMayApprove(70_000_00)).toBe(true); // above the default 50,000: the override is in force

    await edit(INVALID);
    expect(await analystMayApprove(70_000_00)).toBe(true); // still the earlier valid 80,000, not the defaults
    expect(await analystMayApprove(85_000_00)).toBe(false); // and not "no limit"
    const open = await alert();
    expect(open).toMatchObject({
      type: "policy_invalid",
      status: "open",
      code: "POLICY_INVALID",
      severity: "critical",
    });
    const paths = String(open?.details.paths).split(",");
    expect(paths).toEqual(expect.arrayContaining(["authority.analyst", "gradeBands", "bogusKey"]));
    expect(await systemActions()).toEqual(["policy.edit", "policy.edit", "alert.raise"]);
    const entry = (await db().collection("audit/system/entries").orderBy("seq").get()).docs[2]!.data();
    expect(entry).toMatchObject({
      target: ALERT,
      after: { type: "policy_invalid", code: "POLICY_INVALID", status: "open" },
      reason: "POLICY_INVALID",
    });
    const logged = logs.entries.filter((e) => e.includes("credit_policy_invalid"));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged[0]).toContain("POLICY_INVALID");
    expect(logged[0]).toContain("authority.analyst");

    // loading again (another instance, a later minute) is a pure read: nothing raised, nothing written
    const before = databaseSnapshot();
    clearPolicyCache();
    expect((await loadPolicy()).authority.analyst).toBe(80_000_00);
    expect(databaseSnapshot()).toBe(before);
    expect(await systemActions()).toEqual(["policy.edit", "policy.edit", "alert.raise"]);
    expect((await alert())?.occurrences).toBe(1);

    await edit({ authority: { analyst: 60_000_00 } });
    expect(await analystMayApprove(65_000_00)).toBe(false); // the new valid value is in force
    expect(await analystMayApprove(55_000_00)).toBe(true);
    expect(await alert()).toMatchObject({ status: "resolved", resolution: "condition_cleared" });
    expect(await systemActions()).toEqual([
      "policy.edit",
      "policy.edit",
      "alert.raise",
      "policy.edit",
      "alert.auto_resolve",
    ]);
    expect(await verifyChain("system", chains.system().headDoc)).toMatchObject({ ok: true, checked: 5 });
  });

  it("with no earlier valid override, an invalid document leaves the defaults in force", async () => {
    await edit(INVALID);
    expect(await analystMayApprove(50_000_00)).toBe(true);
    expect(await analystMayApprove(50_000_01)).toBe(false);
    expect((await alert())?.status).toBe("open");
  });

  it("reverting to exactly the last valid version resolves the alert", async () => {
    await edit(VALID_80K);
    await loadPolicy();
    await edit(INVALID);
    await loadPolicy();
    expect((await alert())?.status).toBe("open");
    await edit(VALID_80K);
    expect((await loadPolicy()).authority.analyst).toBe(80_000_00);
    expect((await alert())?.status).toBe("resolved");
  });

  it("deleting the invalid document (back to the defaults) resolves the alert", async () => {
    await edit(INVALID);
    await loadPolicy();
    expect((await alert())?.status).toBe("open");
    await edit(null);
    expect((await loadPolicy()).authority.analyst).toBe(50_000_00);
    expect((await alert())?.status).toBe("resolved");
  });

  it.each([
    ["a wrong type", { authority: { analyst: "lots" } }, "authority.analyst"],
    [
      "a non-increasing curve",
      {
        curves: {
          onTimeRatio: [
            [0, 50],
            [0, 60],
          ],
        },
      },
      "curves.onTimeRatio",
    ],
    ["grade bands out of order", { gradeBands: { A: 50, B: 60, C: 40, D: 30 } }, "gradeBands"],
    ["an unknown top-level key", { authorty: { analyst: 1 } }, "authorty"],
    ["a weight above 100", { groupWeights: { payment: 1000 } }, "groupWeights.payment"],
    ["a float amount", { limits: { starterCap: 10.5 } }, "limits.starterCap"],
  ])("%s is rejected with its path", async (_name, doc, path) => {
    await edit(doc);
    const policy = await loadPolicy();
    expect(policy.authority.analyst).toBe(50_000_00);
    expect(String((await alert())?.details.paths).split(",")).toContain(path);
  });
});

describe("policyWritten trigger", () => {
  const event = (id: string, before: DocumentData | null, after: DocumentData | null, updateTime?: string) => ({
    id,
    params: {},
    data: fft.makeChange(
      fft.firestore.makeDocumentSnapshot(before ?? {}, POLICY),
      fft.firestore.makeDocumentSnapshot(after ?? {}, POLICY, updateTime ? { updateTime } : undefined),
    ),
  });
  const fire = (e: ReturnType<typeof event>) =>
    (fft.wrap(policyWritten) as unknown as (e: unknown) => Promise<void>)(e);

  it("is deployed on config/creditPolicy writes, in the configured region, with retries (deduplicated by event id)", () => {
    const endpoint = (
      policyWritten as unknown as {
        __endpoint: {
          eventTrigger: {
            eventType: string;
            eventFilters?: Record<string, unknown>;
            eventFilterPathPatterns?: Record<string, unknown>;
            retry: unknown;
          };
          region?: unknown;
        };
      }
    ).__endpoint;
    expect(endpoint.eventTrigger.eventType).toBe("google.cloud.firestore.document.v1.written");
    expect({ ...endpoint.eventTrigger.eventFilters, ...endpoint.eventTrigger.eventFilterPathPatterns }).toMatchObject({
      document: POLICY,
    });
    expect(endpoint.eventTrigger.retry).toBe(true);
    expect(endpoint.region).toBe(REGION);
  });

  it("an invalid edit raises the alert at once, audited; a duplicate delivery changes nothing; a valid edit resolves it", async () => {
    await replacePolicy(INVALID);
    await fire(event("evt-1", null, INVALID));
    expect(await alert()).toMatchObject({ status: "open", code: "POLICY_INVALID" });
    expect(String((await alert())?.details.paths).split(",")).toEqual(
      expect.arrayContaining(["authority.analyst", "gradeBands", "bogusKey"]),
    );
    expect(await systemActions()).toEqual(["policy.edit", "alert.raise"]);
    const editEntry = (await db().collection("audit/system/entries").orderBy("seq").get()).docs[0]!.data();
    expect(editEntry).toMatchObject({
      target: POLICY,
      reason: "POLICY_INVALID",
      before: null,
      after: { bogusKey: true },
    });
    expect((await db().doc("processedEvents/policyWritten_evt-1").get()).exists).toBe(true);

    const snapshot = databaseSnapshot();
    await fire(event("evt-1", null, INVALID));
    expect(databaseSnapshot()).toBe(snapshot);

    await replacePolicy(VALID_80K);
    await fire(event("evt-2", INVALID, VALID_80K));
    expect(await alert()).toMatchObject({ status: "resolved", resolution: "condition_cleared" });
    expect(await systemActions()).toEqual(["policy.edit", "alert.raise", "policy.edit", "alert.auto_resolve"]);
    expect((await db().doc(LAST_GOOD_POLICY_PATH).get()).data()?.override).toEqual(VALID_80K);
    expect(await verifyChain("system", chains.system().headDoc)).toEqual({ ok: true, checked: 4 });
  });

  it("a valid edit is kept as the fallback at once, so a following invalid edit falls back to it (no load in between)", async () => {
    await replacePolicy(VALID_80K);
    await fire(event("evt-a", null, VALID_80K, "2026-01-01T00:00:00Z"));
    await edit(INVALID);
    await fire(event("evt-b", VALID_80K, INVALID, "2026-01-01T00:01:00Z"));
    expect((await loadPolicy()).authority.analyst).toBe(80_000_00);
    expect((await alert())?.status).toBe("open");
  });

  it("events delivered late or out of order do not undo a newer state", async () => {
    // the newer valid version is stored and processed first …
    await replacePolicy({ authority: { analyst: 70_000_00 } });
    await fire(event("evt-new", INVALID, { authority: { analyst: 70_000_00 } }, "2026-01-01T00:02:00Z"));
    // … then the older events arrive
    await fire(event("evt-old-valid", null, VALID_80K, "2026-01-01T00:00:00Z"));
    await fire(event("evt-old-invalid", VALID_80K, INVALID, "2026-01-01T00:01:00Z"));
    expect((await alert())?.status ?? "none").toBe("none"); // never opened: what is stored is valid
    expect((await db().doc(LAST_GOOD_POLICY_PATH).get()).data()?.override).toEqual({
      authority: { analyst: 70_000_00 },
    });
    expect(await systemActions()).toEqual(["policy.edit", "policy.edit", "policy.edit"]);
  });

  it("deleting the document resolves an open alert (the defaults are valid)", async () => {
    await replacePolicy(INVALID);
    await fire(event("evt-1", null, INVALID));
    await replacePolicy(null);
    await fire(event("evt-2", INVALID, null));
    expect((await alert())?.status).toBe("resolved");
    expect((await loadPolicy()).authority.analyst).toBe(50_000_00);
  });

  it("callables keep working while the document is invalid", async () => {
    await replacePolicy(INVALID);
    await fire(event("evt-1", null, INVALID));
    clearPolicyCache();
    const applicationId = await reviewedApplication();
    expect(
      (
        await call(
          fns.decideCreditApplication,
          { applicationId, decision: "approve", approvedLimit: 40_000_00, note: "ok" },
          users.analyst,
        )
      ).status,
    ).toBe("approved");
    expect(
      (
        await callError(
          fns.decideCreditApplication,
          { applicationId: await reviewedApplication(), decision: "approve", approvedLimit: 60_000_00, note: "ok" },
          users.analyst,
        )
      ).code,
    ).toBe("permission-denied");
  });
});
