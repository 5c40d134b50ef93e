/**
 * The contract registry (functions/src/schemas/contract.ts) is the API: every callable
 * index.ts exports has an entry and every entry is exported, each wrapper is its api/ file,
 * and what the services really answer parses with the output schemas — with no field the
 * schema does not document (parsing strips unknown keys, so the parsed result would differ).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getFirestore } from "firebase-admin/firestore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fns from "../../functions/src/index.js";
import {
  AUDIENCES,
  CALLABLE_NAMES,
  CALLABLES,
  contractJsonSchema,
  type CallableName,
} from "../../functions/src/schemas/contract.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { call, firestoreServer, users, type Who } from "../support/callables.js";
import { application, statement } from "../support/fixtures.js";

const API_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../functions/src/api");
const isCallable = (v: unknown): boolean =>
  Boolean((v as { __endpoint?: { callableTrigger?: unknown } } | null)?.__endpoint?.callableTrigger);
const exportedCallables = Object.entries(fns)
  .filter(([, v]) => isCallable(v))
  .map(([name]) => name)
  .sort();

describe("the registry and index.ts", () => {
  it("every callable index.ts exports has a contract entry, and every entry is exported", () => {
    const registered = [...CALLABLE_NAMES].sort();
    expect(
      exportedCallables.filter((n) => !registered.includes(n as CallableName)),
      "exported by functions/src/index.ts but missing from functions/src/schemas/contract.ts: add an entry",
    ).toEqual([]);
    expect(
      registered.filter((n) => !exportedCallables.includes(n)),
      "in functions/src/schemas/contract.ts but not exported by functions/src/index.ts: export its api/ wrapper",
    ).toEqual([]);
  });

  it("each callable's wrapper is functions/src/api/<name>.ts (one hop from the name to the code)", () => {
    for (const name of CALLABLE_NAMES)
      expect(existsSync(join(API_DIR, `${name}.ts`)), `functions/src/api/${name}.ts`).toBe(true);
  });

  it("each entry has a one-line summary and an allow list of known audiences, and JSON Schemas for input and output", () => {
    for (const name of CALLABLE_NAMES) {
      const c = CALLABLES[name];
      expect(c.summary.trim().length, name).toBeGreaterThan(10);
      expect(c.summary, name).not.toContain("\n");
      expect(c.allow.length, name).toBeGreaterThan(0);
      for (const a of c.allow) expect(AUDIENCES, `${name} allows ${a}`).toContain(a);
      const schemas = contractJsonSchema(name);
      expect(schemas.input.type, name).toBe("object");
      expect(schemas.output.type, name).toBe("object");
    }
  });

  it("the role guard is the contract's: a caller outside the allow list gets permission-denied, one inside gets past it", async () => {
    const byAudience: Record<string, Who> = {
      applicant: users.applicant,
      sales: users.sales,
      analyst: users.analyst,
      manager: users.manager,
      auditor: users.auditor,
      admin: users.admin,
      integration: users.integration,
    };
    const outcomes: string[] = [];
    for (const name of CALLABLE_NAMES) {
      for (const audience of AUDIENCES) {
        // An unknown key: every input is strict, so a caller who passes the role check gets invalid-argument.
        const code = await call(fns[name], { notAField: 1 }, byAudience[audience] ?? null).then(
          () => "ok",
          (e: { code?: string }) => String(e.code),
        );
        const expected = (CALLABLES[name].allow as readonly string[]).includes(audience)
          ? "invalid-argument"
          : "permission-denied";
        if (code !== expected) outcomes.push(`${name} as ${audience}: ${code}, expected ${expected}`);
      }
    }
    expect(outcomes).toEqual([]);
  });
});

describe("real results parse with the output schemas", () => {
  const checked = new Set<CallableName>();
  const db = () => getFirestore();

  /** Call as `who`, send the result through JSON as the wire does, and parse it with the contract's output schema. */
  async function callAndCheck<N extends CallableName>(name: N, data: unknown, who: Who) {
    const result: unknown = JSON.parse(JSON.stringify(await call(fns[name], data, who)));
    const parsed = CALLABLES[name].output.safeParse(result);
    expect(parsed.success, `${name}: ${parsed.success ? "" : parsed.error.message}`).toBe(true);
    expect(parsed.data, `${name}: a field of the result is not in its output schema`).toEqual(result);
    checked.add(name);
    return result as Record<string, unknown>;
  }

  beforeAll(async () => {
    await firestoreServer().clear();
    clearPolicyCache();
  });

  afterAll(() => {
    // setUserRole needs the Auth emulator: its real results are parsed by the e2e tier (the client checks results there).
    const notHere: CallableName[] = ["setUserRole", "acknowledgeConfidentiality"];
    expect(CALLABLE_NAMES.filter((n) => !checked.has(n) && !notHere.includes(n))).toEqual([]);
  });

  it("through a customer's life: apply, review, decide, trade, rescore, limits, status, alerts, audit, jobs, report", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const { applicationId } = await callAndCheck("submitCreditApplication", application(), users.applicant);
    await callAndCheck("reviewCreditApplication", { applicationId }, users.analyst);
    const decided = await callAndCheck(
      "decideCreditApplication",
      { applicationId, decision: "approve", approvedLimit: 40_000_00, note: "ok", ownerUid: users.sales.uid },
      users.manager,
    );
    const customerId = decided.customerId as string;

    const other = await callAndCheck(
      "submitCreditApplication",
      application({ company: { ...application().company, registrationNo: "REG-CONTRACT-2" } }),
      users.applicant2,
    );
    await callAndCheck("reviewCreditApplication", { applicationId: other.applicationId }, users.analyst);
    const rejected = await callAndCheck(
      "decideCreditApplication",
      { applicationId: other.applicationId, decision: "reject", note: "no" },
      users.manager,
    );
    expect(rejected).toEqual({ status: "rejected" });

    await callAndCheck("checkOrder", { customerId, orderAmount: 1_000_00 }, users.sales);
    const reserved = await callAndCheck(
      "checkOrder",
      { customerId, orderAmount: 1_000_00, reserve: true, orderRef: "C-PO-1" },
      users.sales,
    );
    expect(reserved.reservationId, "a reservation's fields are checked too").toEqual(expect.any(String));
    const blocked = await callAndCheck(
      "checkOrder",
      { customerId, orderAmount: 900_000_00, reserve: true, orderRef: "C-PO-2" },
      users.sales,
    );
    await callAndCheck(
      "releaseOrderBlock",
      { blockId: blocked.blockId, decision: "reject", note: "too large" },
      users.manager,
    );
    await callAndCheck("cancelReservation", { customerId, orderRef: "C-PO-1" }, users.sales);
    const recorded = await callAndCheck(
      "recordTransactions",
      {
        customerId,
        transactions: [
          { externalId: "C-INV-1", type: "invoice", amount: 2_000_00, issuedAt: today, dueAt: today },
          { externalId: "C-INV-2", type: "invoice", amount: 5_00, currency: "EUR", issuedAt: today, dueAt: today },
        ],
      },
      users.integration,
    );
    expect(
      (recorded.rejected as unknown[]).length,
      "one record in another currency is rejected, so rejected[] is checked too",
    ).toBe(1);

    await callAndCheck(
      "updateFinancials",
      { customerId, statement: { ...statement, periodEnd: "2026-06-30" } },
      users.analyst,
    );
    await callAndCheck("reassessCustomer", { customerId }, users.manager);
    const profile = await callAndCheck(
      "updateCustomerProfile",
      { customerId, changes: { industry: "G47", bankAccount: "GB29NWBK60161331926819" }, reason: "ERP master data" },
      users.manager,
    );
    expect(profile.changed).toEqual(["industry", "bankAccount"]);
    await callAndCheck(
      "setCreditGroup",
      {
        groupId: "c-group",
        name: "Contract Group",
        groupLimit: 100_000_00,
        memberIds: [customerId],
        reason: "parent guarantee",
      },
      users.manager,
    );
    const member = await callAndCheck("checkOrder", { customerId, orderAmount: 1_000_00 }, users.sales);
    expect(member.group, "a group member's answer (the group's side) is checked too").toBeDefined();
    await callAndCheck(
      "updateContacts",
      { customerId, contacts: [{ name: "Ann Lee", email: "ann@acme.example", phone: "+1 555 0101" }] },
      users.sales,
    );

    const permanent = await callAndCheck(
      "requestLimitChange",
      { customerId, newLimit: 45_000_00, reason: "growth" },
      users.sales,
    );
    await callAndCheck(
      "decideLimitChange",
      { limitRequestId: permanent.limitRequestId, decision: "approve", note: "ok" },
      users.manager,
    );
    const expires = new Date(Date.now() + 20 * 86_400_000).toISOString();
    const temporary = await callAndCheck(
      "requestLimitChange",
      { customerId, newLimit: 60_000_00, expiresAt: expires, reason: "season" },
      users.sales,
    );
    const decidedTemporary = await callAndCheck(
      "decideLimitChange",
      { limitRequestId: temporary.limitRequestId, decision: "approve", note: "ok" },
      users.manager,
    );
    expect(decidedTemporary.temporaryLimit, "the temporary limit (and its date) is checked too").not.toBeNull();

    await callAndCheck("setCreditStatus", { customerId, status: "on_hold", reason: "check" }, users.manager);
    await callAndCheck("setCreditStatus", { customerId, status: "active", reason: "checked" }, users.manager);

    const alertId = `customer_${customerId}_ledger_rejected`;
    expect((await db().doc(`alerts/${alertId}`).get()).exists, "the rejected record raised an alert").toBe(true);
    await callAndCheck("resolveAlert", { alertId, resolution: "action_taken", note: "ERP fixed" }, users.analyst);

    // Credit judgement: a dispute opened and resolved, a class override, a fraud hold cleared, payment terms changed.
    const dispute = await callAndCheck(
      "openDispute",
      { customerId, invoiceExternalId: "C-INV-1", amount: 500_00, reason: "short delivery" },
      users.sales,
    );
    const resolved = await callAndCheck(
      "resolveDispute",
      { disputeId: dispute.disputeId, outcome: "partial", creditedAmount: 200_00, note: "half of it" },
      users.analyst,
    );
    expect(resolved.creditNoteExternalId, "a credit note's id is checked too").toEqual(expect.any(String));
    const inAMonth = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    await callAndCheck(
      "overrideClassification",
      { customerId, tier: "standard", reason: "parent company in restructuring", expiresAt: inAMonth },
      users.manager,
    );
    await db()
      .doc(`customers/${customerId}/private/creditState`)
      .update({
        "flags.fraudHold": true,
        statusParts: { manual: { status: "on_hold", reason: "FRAUD_SIGNALS" }, automatic: null },
      });
    await callAndCheck(
      "clearFraudHold",
      { customerId, reason: "the bank change was verified with the customer" },
      users.manager,
    );
    await callAndCheck(
      "requestTermsChange",
      { customerId, paymentTermsDays: 20, reason: "tighter terms" },
      users.sales,
    );
    await db()
      .doc(`customers/${customerId}/private/creditState`)
      .update({ "flags.extendedTermsEligible": true, "flags.noLimitIncrease": false });
    const longer = await callAndCheck(
      "requestTermsChange",
      { customerId, paymentTermsDays: 30, reason: "loyal payer" },
      users.sales,
    );
    expect(longer.status).toBe("pending");
    await callAndCheck(
      "decideTermsChange",
      { termsChangeId: longer.termsChangeId, decision: "approve", note: "ok" },
      users.manager,
    );

    await callAndCheck("verifyAuditTrail", { customerId }, users.auditor);
    await callAndCheck(
      "recordTraining",
      { uid: users.analyst.uid, course: "Confidentiality 2026", completedAt: today },
      users.admin,
    );
    await callAndCheck("runJobNow", { job: "dailyMonitoring" }, users.admin);
    const report = await callAndCheck("getPortfolioReport", {}, users.manager);
    expect((report.topExposures as unknown[]).length).toBeGreaterThan(0);
    const whatIf = await callAndCheck(
      "simulatePolicy",
      { policy: { limits: { gradeCaps: { A: 1_000_00, B: 1_000_00, C: 1_000_00 } } } },
      users.manager,
    );
    expect((whatIf.result as { evaluated: number }).evaluated).toBeGreaterThan(0);
  });
});
