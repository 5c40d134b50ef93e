/** A customer with an approved credit file, made through the real callables (apply → review → decide). */
import * as fns from "../../functions/src/index.js";
import { call, users } from "./callables.js";
import { application } from "./fixtures.js";

export async function approvedCustomer(limit = 40_000_00, opts: { ownerUid?: string | null; registrationNo?: string } = {}): Promise<string> {
  const app = application({ requestedLimit: limit });
  const company = opts.registrationNo ? { ...app.company, registrationNo: opts.registrationNo } : app.company;
  const { applicationId } = await call(fns.submitCreditApplication, { ...app, company }, users.applicant);
  await call(fns.reviewCreditApplication, { applicationId }, users.analyst);
  const ownerUid = opts.ownerUid === undefined ? users.sales.uid : opts.ownerUid;
  const r = await call(
    fns.decideCreditApplication,
    { applicationId, decision: "approve", approvedLimit: limit, note: "ok", ...(ownerUid ? { ownerUid } : {}) },
    users.manager,
  );
  return r.customerId as string;
}
