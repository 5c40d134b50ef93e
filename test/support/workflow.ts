/** Customers with an approved credit file, made through the real callables (apply → review → decide). */
import * as fns from "../../functions/src/index.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { recordTransactionsInput } from "../../functions/src/schemas/callables.js";
import { recordTransactions } from "../../functions/src/services/transactions.js";
import { call, users, type Who } from "./callables.js";
import { application, statement } from "./fixtures.js";

async function applyReviewApprove(
  app: ReturnType<typeof application>,
  applicant: Who,
  limit: number,
  ownerUid: string | null | undefined,
): Promise<string> {
  const { applicationId } = await call(fns.submitCreditApplication, app, applicant);
  await call(fns.reviewCreditApplication, { applicationId }, users.analyst);
  const owner = ownerUid === undefined ? users.sales.uid : ownerUid;
  const r = await call(
    fns.decideCreditApplication,
    { applicationId, decision: "approve", approvedLimit: limit, note: "ok", ...(owner ? { ownerUid: owner } : {}) },
    users.manager,
  );
  return r.customerId as string;
}

/** The standard applicant's customer (USD), owned by users.sales unless `ownerUid` says otherwise (null: no owner). */
export async function approvedCustomer(
  limit = 40_000_00,
  opts: { ownerUid?: string | null; registrationNo?: string } = {},
): Promise<string> {
  const app = application({ requestedLimit: limit });
  const company = opts.registrationNo ? { ...app.company, registrationNo: opts.registrationNo } : app.company;
  return await applyReviewApprove({ ...app, company }, users.applicant, limit, opts.ownerUid);
}

let distinct = 0;
/**
 * A customer trading in `currency` (its statement too), each call a different company:
 * its own registration number, contact and applicant (the policy bounds the open
 * applications of one applicant), so a test can make as many as it needs.
 */
export async function approvedCustomerIn(
  currency: string,
  limit: number,
  opts: { ownerUid?: string | null } = {},
): Promise<string> {
  const n = ++distinct;
  const app = application({
    currency,
    requestedLimit: limit,
    financials: { ...statement, currency },
    company: { ...application().company, registrationNo: `REG-C${n}` },
    contacts: [{ name: "P", email: `c${n}@x.example`, phone: `+1 555 ${3000 + n}` }],
  });
  return await applyReviewApprove(app, { uid: `u-applicant-c${n}`, role: null }, limit, opts.ownerUid);
}

/** A record as the ERP sends it, dates as epoch ms (the controlled clock of a scenario). */
export type RecordAt = {
  externalId: string;
  type: string;
  amount: number;
  issuedAt: number;
  dueAt?: number;
  invoiceExternalId?: string;
  status?: string;
};

/** Records transactions as the integration user at a controlled clock, through the callable's input schema and service. */
export async function recordAt(customerId: string, now: number, txs: RecordAt[], policy = DEFAULT_POLICY) {
  const iso = (ms: number) => new Date(ms).toISOString();
  const input = recordTransactionsInput.parse({
    customerId,
    transactions: txs.map((t) => ({
      ...t,
      issuedAt: iso(t.issuedAt),
      ...(t.dueAt !== undefined ? { dueAt: iso(t.dueAt) } : {}),
    })),
  });
  return recordTransactions(input, { uid: users.integration.uid, role: "integration" }, now, policy);
}
