/**
 * What each role reads, at field level, on real documents: a credit file's life is played
 * through the services (approval, orders reserved and blocked, invoices, a payment, a temporary
 * limit, monitoring into a penalty, the monthly review, a fraud signal), every document it
 * wrote is fed to the rules evaluator as it is stored, and for every role the fields it may
 * read must equal the documented set (README, "What each role reads"). Confidential state
 * (score, factors, ledger, payment behaviour, fraud and penalty flags, alerts) must never be
 * readable by sales.
 */
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { getFirestore, Timestamp, type DocumentData } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { HEAD_FIELDS } from "../../functions/src/data/customers.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { monitorCustomer } from "../../functions/src/services/monitoring.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { reviewCustomer } from "../../functions/src/services/reassessment.js";
import { RulesEngine, type Database, type FixtureDoc, type FixtureValue } from "../support/rules-engine/index.js";
import { approvedCustomer } from "../support/workflow.js";
import { call, firestoreServer, tokenOf, users } from "../support/callables.js";

const engine = RulesEngine.fromFile(resolve(__dirname, "../../firestore.rules"));
const db = () => getFirestore();
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Kinds of document a credit file's life writes, by path pattern. */
const KINDS: Array<[kind: string, pattern: RegExp]> = [
  ["customer head", /^customers\/[^/]+$/],
  ["creditState", /^customers\/[^/]+\/private\/creditState$/],
  ["financials", /^customers\/[^/]+\/private\/financials$/],
  ["assessment", /^customers\/[^/]+\/private\/assessment$/],
  ["contacts", /^customers\/[^/]+\/private\/contacts$/],
  ["transaction", /^customers\/[^/]+\/transactions\/[^/]+$/],
  ["ledger entry", /^customers\/[^/]+\/ledger\/[^/]+$/],
  ["review", /^customers\/[^/]+\/reviews\/[^/]+$/],
  ["limit request", /^limitRequests\/[^/]+$/],
  ["order block", /^orderBlocks\/[^/]+$/],
  ["dispute", /^disputes\/[^/]+$/],
  ["terms change", /^termsChanges\/[^/]+$/],
  ["class override", /^classOverrides\/[^/]+$/],
  ["alert", /^alerts\/[^/]+$/],
];

/** The documented fields of the kinds a sales rep reads (what the README's table says). */
const SALES_FIELDS: Record<string, readonly string[]> = {
  "customer head": HEAD_FIELDS,
  contacts: ["contacts", "updatedAt"],
  transaction: [
    "externalId",
    "type",
    "amount",
    "currency",
    "issuedAt",
    "dueAt",
    "invoiceExternalId",
    "status",
    "source",
    "recordedBy",
    "ledger",
    "orderRef",
  ],
  "limit request": [
    "customerId",
    "currentLimit",
    "basis",
    "newLimit",
    "kind",
    "expiresAt",
    "reason",
    "requestedBy",
    "requestedByRole",
    "source",
    "status",
    "createdAt",
    "updatedAt",
    "decidedAt",
    "decidedBy",
    "decidedByRole",
    "note",
    "reasonCodes",
    "serviceWrite",
  ],
  "order block": [
    "customerId",
    "ownerUid",
    "orderRef",
    "amount",
    "currency",
    "decision",
    "reasons",
    "requestedBy",
    "requestedByRole",
    "status",
    "createdAt",
    "updatedAt",
    "decidedAt",
    "decidedBy",
    "decidedByRole",
    "note",
    "reasonCodes",
    "reservationId",
  ],
  dispute: [
    "customerId",
    "ownerUid",
    "invoiceExternalId",
    "amount",
    "currency",
    "reason",
    "status",
    "outcome",
    "creditedAmount",
    "creditNoteExternalId",
    "openedBy",
    "openedByRole",
    "openedAt",
    "updatedAt",
    "note",
    "reasonCodes",
    "decidedBy",
    "decidedByRole",
    "decidedAt",
  ],
  "terms change": [
    "customerId",
    "ownerUid",
    "currentTermsDays",
    "paymentTermsDays",
    "direction",
    "reason",
    "requestedBy",
    "requestedByRole",
    "status",
    "createdAt",
    "updatedAt",
    "note",
    "reasonCodes",
    "decidedBy",
    "decidedByRole",
    "decidedAt",
  ],
};

/** Which kinds each role reads (a customer owned by the sales rep; limit requests and blocks of theirs). */
const STAFF_KINDS = [
  "customer head",
  "creditState",
  "financials",
  "assessment",
  "contacts",
  "transaction",
  "ledger entry",
  "review",
  "limit request",
  "order block",
  "alert",
  "dispute",
  "terms change",
  "class override",
];
const READS: Record<string, readonly string[]> = {
  "sales-owner": [
    "customer head",
    "contacts",
    "transaction",
    "limit request",
    "order block",
    "dispute",
    "terms change",
  ],
  "sales-other": [],
  analyst: STAFF_KINDS,
  manager: STAFF_KINDS,
  auditor: [
    "customer head",
    "creditState",
    "financials",
    "assessment",
    "review",
    "limit request",
    "order block",
    "dispute",
    "class override",
  ],
  admin: ["customer head", "order block"],
  integration: [],
  applicant: [],
};
const UIDS: Record<string, { uid: string; role: string | null }> = {
  "sales-owner": users.sales,
  "sales-other": users.sales2,
  analyst: users.analyst,
  manager: users.manager,
  auditor: users.auditor,
  admin: users.admin,
  integration: users.integration,
  applicant: users.applicant,
};

/** Fields a sales rep must never read, anywhere (issue: what review found readable on the head). */
const CONFIDENTIAL = [
  "score",
  "confidence",
  "financialScores",
  "aggregates",
  "ledger_state",
  "recentOrders",
  "flags",
  "openAlerts",
  "statusReason",
  "statusKind",
  "statusParts",
  "monitor",
  "lastReviewScore",
  "lastReviewTier",
  "lastReviewGrade",
  "latestStatement",
  "bankAccount",
  "bankAccountChangedAt",
  "statusChangeId",
  "creditGroup",
  "disputes",
  "classOverride",
  "classReasons",
];

function fixture(v: unknown): FixtureValue {
  if (v instanceof Timestamp) return v.toDate();
  if (Array.isArray(v)) return v.map(fixture);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fixture(x)]));
  return v as FixtureValue;
}

let written: Map<string, DocumentData>;
let customerId: string;

async function dump(): Promise<Map<string, DocumentData>> {
  const out = new Map<string, DocumentData>();
  const add = (path: string, d: DocumentData | undefined) => d && out.set(path, d);
  const head = await db().doc(`customers/${customerId}`).get();
  add(head.ref.path, head.data());
  for (const p of ["creditState", "financials", "assessment", "contacts"]) {
    const s = await db().doc(`customers/${customerId}/private/${p}`).get();
    add(s.ref.path, s.data());
  }
  for (const sub of ["transactions", "ledger", "reviews"])
    for (const d of (await db().collection(`customers/${customerId}/${sub}`).get()).docs) add(d.ref.path, d.data());
  for (const c of ["limitRequests", "orderBlocks", "alerts", "disputes", "termsChanges", "classOverrides"])
    for (const d of (await db().collection(c).get()).docs) add(d.ref.path, d.data());
  return out;
}

beforeAll(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
  customerId = await approvedCustomer(40_000_00);
  const now = Date.now();
  await call(fns.checkOrder, { customerId, orderAmount: 10_000_00, reserve: true, orderRef: "PO-1" }, users.sales);
  await call(fns.checkOrder, { customerId, orderAmount: 90_000_00, reserve: true, orderRef: "PO-2" }, users.sales);
  const temp = await call(
    fns.requestLimitChange,
    { customerId, newLimit: 45_000_00, expiresAt: iso(now + 20 * DAY), reason: "peak" },
    users.sales,
  );
  await call(
    fns.decideLimitChange,
    { limitRequestId: temp.limitRequestId, decision: "approve", note: "ok" },
    users.analyst,
  );
  await call(
    fns.recordTransactions,
    {
      customerId,
      transactions: [
        {
          externalId: "INV-1",
          type: "invoice",
          amount: 8_000_00,
          issuedAt: iso(now - 40 * DAY),
          dueAt: iso(now - 10 * DAY),
        },
        {
          externalId: "INV-2",
          type: "invoice",
          amount: 20_000_00,
          issuedAt: iso(now - 2 * DAY),
          dueAt: iso(now + 28 * DAY),
        },
        {
          externalId: "PAY-1",
          type: "payment",
          amount: 3_000_00,
          issuedAt: iso(now - DAY),
          invoiceExternalId: "INV-1",
        },
        { externalId: "SO-1", type: "order", amount: 10_000_00, issuedAt: iso(now), orderRef: "PO-1" },
        { externalId: "SO-2", type: "order", amount: 39_000_00, issuedAt: iso(now) },
      ],
    },
    users.integration,
  );
  const dispute = await call(
    fns.openDispute,
    { customerId, invoiceExternalId: "INV-2", amount: 2_000_00, reason: "short delivery" },
    users.sales,
  );
  await call(
    fns.resolveDispute,
    { disputeId: dispute.disputeId, outcome: "customer_right", note: "credited" },
    users.analyst,
  );
  await call(fns.requestTermsChange, { customerId, paymentTermsDays: 25, reason: "tighter terms" }, users.sales);
  await call(
    fns.overrideClassification,
    { customerId, tier: "standard", reason: "watch list", expiresAt: iso(now + 30 * DAY) },
    users.manager,
  );
  await monitorCustomer(customerId, now + 60 * DAY, DEFAULT_POLICY);
  await db()
    .doc(`customers/${customerId}`)
    .update({ status: "active", nextReviewAt: Timestamp.fromMillis(now) });
  await reviewCustomer(customerId, now + 61 * DAY, DEFAULT_POLICY, { now: now + 61 * DAY });
  written = await dump();
});

const kindOf = (path: string) => KINDS.find(([, re]) => re.test(path))?.[0] ?? null;

describe("what each role reads, on real documents", () => {
  it("every kind of document of the scenario was written", () => {
    const kinds = new Set([...written.keys()].map(kindOf));
    for (const [kind] of KINDS) expect(kinds.has(kind), kind).toBe(true);
  });

  it("the head holds exactly the documented allow-list, and nothing confidential", () => {
    const keys = new Set(Object.keys(written.get(`customers/${customerId}`)!));
    expect([...keys].sort()).toEqual([...HEAD_FIELDS].sort());
    for (const f of CONFIDENTIAL) expect(keys.has(f), f).toBe(false);
    // The head's status says on hold or not, never why (the reason lives with the confidential state).
    expect(written.get(`customers/${customerId}/private/creditState`)).toMatchObject({
      statusReason: expect.any(String),
    });
  });

  it.each(Object.keys(READS))(
    "%s reads exactly its documented kinds, and for sales exactly the documented fields",
    (role) => {
      const database: Database = {
        ...Object.fromEntries([...written].map(([p, d]) => [p, fixture(d) as FixtureDoc])),
        "config/confidentiality": { version: 1 },
      };
      const who = UIDS[role]!;
      const readable = new Map<string, Set<string>>();
      for (const [path, data] of written) {
        const d = engine.evaluate(
          { method: "get", path, auth: { uid: who.uid, token: tokenOf(who) as Record<string, FixtureValue> } },
          database,
        );
        if (!d.allowed) continue;
        const kind = kindOf(path)!;
        const fields = readable.get(kind) ?? new Set<string>();
        for (const k of Object.keys(data)) fields.add(k);
        readable.set(kind, fields);
      }
      expect([...readable.keys()].sort()).toEqual([...READS[role]!].sort());
      if (role === "sales-owner") {
        for (const [kind, fields] of readable)
          expect([...fields].sort(), kind).toEqual([...SALES_FIELDS[kind]!].sort());
      }
    },
  );
});
