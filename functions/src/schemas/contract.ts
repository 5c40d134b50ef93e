/**
 * The callable API in one registry: for every callable, who may call it, its input and
 * output schemas and one line saying what it does. This is the contract:
 *
 * - api/common.ts `callable(name, run)` takes the role guard and the input schema from here,
 *   and types `run` so its result must fit the output schema;
 * - docs/API.md is generated from it (`npm run docs`; a test fails when it is out of date);
 * - the client module (functions/src/client, `credit-desk-functions/client`) exports it.
 *
 * A new callable is one entry here (plus its api/ file and its export in index.ts; a test
 * fails until all three exist). Pure zod: no Firebase import, so clients can load it.
 */
import { z } from "zod";
import { ROLES, type Role } from "../domain/roles.js";
import { verifyAuditTrailInput } from "./audit.js";
import {
  acknowledgeConfidentialityInput,
  cancelReservationInput,
  checkOrderInput,
  clearFraudHoldInput,
  decideTermsChangeInput,
  openDisputeInput,
  overrideClassificationInput,
  requestTermsChangeInput,
  resolveDisputeInput,
  releaseOrderBlockInput,
  decideCreditApplicationInput,
  decideLimitChangeInput,
  getPortfolioReportInput,
  simulatePolicyInput,
  reassessCustomerInput,
  recordTransactionsInput,
  requestLimitChangeInput,
  resolveAlertInput,
  reviewCreditApplicationInput,
  runJobNowInput,
  setCreditGroupInput,
  setCreditStatusInput,
  setUserRoleInput,
  submitCreditApplicationInput,
  updateCustomerProfileInput,
  recordTrainingInput,
  updateContactsInput,
  updateFinancialsInput,
} from "./callables.js";
import {
  acknowledgeConfidentialityOutput,
  cancelReservationOutput,
  recordTrainingOutput,
  checkOrderOutput,
  clearFraudHoldOutput,
  decideTermsChangeOutput,
  openDisputeOutput,
  overrideClassificationOutput,
  requestTermsChangeOutput,
  resolveDisputeOutput,
  releaseOrderBlockOutput,
  decideCreditApplicationOutput,
  decideLimitChangeOutput,
  getPortfolioReportOutput,
  simulatePolicyOutput,
  reassessCustomerOutput,
  recordTransactionsOutput,
  requestLimitChangeOutput,
  resolveAlertOutput,
  reviewCreditApplicationOutput,
  runJobNowOutput,
  setCreditGroupOutput,
  setCreditStatusOutput,
  setUserRoleOutput,
  submitCreditApplicationOutput,
  updateCustomerProfileOutput,
  updateContactsOutput,
  updateFinancialsOutput,
  verifyAuditTrailOutput,
} from "./outputs.js";

/** Who may call: a role, or "applicant" for a signed-in user without a role. */
export type Audience = Role | "applicant";
export const AUDIENCES: readonly Audience[] = ["applicant", ...ROLES];

export interface CallableContract<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** One line: what it does, in the credit department's words. */
  summary: string;
  allow: readonly Audience[];
  /** What the client sends (strict: unknown keys are refused). */
  input: I;
  /** What the client receives. */
  output: O;
}

const entry = <I extends z.ZodType, O extends z.ZodType>(c: CallableContract<I, O>): CallableContract<I, O> => c;

export const CALLABLES = {
  submitCreditApplication: entry({
    summary: "A prospect applies for credit with its company data, contacts and (optionally) a financial statement.",
    allow: AUDIENCES,
    input: submitCreditApplicationInput,
    output: submitCreditApplicationOutput,
  }),
  reviewCreditApplication: entry({
    summary: "Score a submitted application: score, grade, tier, recommended limit, reason codes and fraud signals.",
    allow: ["analyst", "manager"],
    input: reviewCreditApplicationInput,
    output: reviewCreditApplicationOutput,
  }),
  decideCreditApplication: entry({
    summary:
      "Approve or reject a reviewed application within the decider's authority (never the submitter); approval creates the credit file.",
    allow: ["analyst", "manager", "admin"],
    input: decideCreditApplicationInput,
    output: decideCreditApplicationOutput,
  }),
  checkOrder: entry({
    summary:
      "Answer whether an order fits the customer's available credit and, for a member of a credit group, the group's (one document read, two for a member); with reserve, hold the credit of an approved order (on the group too) or block the order for a person to release; sales only for their own customers.",
    allow: ["sales", "analyst", "manager", "integration"],
    input: checkOrderInput,
    output: checkOrderOutput,
  }),
  cancelReservation: entry({
    summary:
      "Release an order's reservation (the order was cancelled or will not be recorded) and close its open block, if any.",
    allow: ["sales", "integration", "analyst", "manager"],
    input: cancelReservationInput,
    output: cancelReservationOutput,
  }),
  releaseOrderBlock: entry({
    summary:
      "Release (reserve the order's credit) or reject a blocked order, within authority by amount, never whoever ran the check; a suspended file's order only by a manager or admin.",
    allow: ["analyst", "manager", "admin"],
    input: releaseOrderBlockInput,
    output: releaseOrderBlockOutput,
  }),
  recordTransactions: entry({
    summary: "Record orders, invoices, payments and credit notes (up to 500 per call), idempotent by externalId.",
    allow: ["integration", "analyst", "manager"],
    input: recordTransactionsInput,
    output: recordTransactionsOutput,
  }),
  updateFinancials: entry({
    summary: "File a new financial statement for a customer and rescore it.",
    allow: ["analyst", "manager"],
    input: updateFinancialsInput,
    output: updateFinancialsOutput,
  }),
  updateCustomerProfile: entry({
    summary:
      "Correct or update a customer's base data (name, registration, address, ISIC industry, country, bank account; the owning sales rep by a manager only; bank details from the ERP feed), audited with before and after; the identity index follows, and a bank change opens the fraud window for large orders.",
    allow: ["analyst", "manager", "integration"],
    input: updateCustomerProfileInput,
    output: updateCustomerProfileOutput,
  }),
  reassessCustomer: entry({
    summary: "Rescore a customer now from its file and latest statement, with a new recommended limit.",
    allow: ["analyst", "manager"],
    input: reassessCustomerInput,
    output: reassessCustomerOutput,
  }),
  requestLimitChange: entry({
    summary: "Ask for a new credit limit, permanent or temporary (with expiresAt); sales only for their own customers.",
    allow: ["sales", "analyst", "manager"],
    input: requestLimitChangeInput,
    output: requestLimitChangeOutput,
  }),
  decideLimitChange: entry({
    summary: "Approve or reject a pending limit request within the decider's authority (never the requester).",
    allow: ["analyst", "manager", "admin"],
    input: decideLimitChangeInput,
    output: decideLimitChangeOutput,
  }),
  setCreditStatus: entry({
    summary: "Put a customer on a manual hold, suspend it, or make it active again.",
    allow: ["manager", "admin"],
    input: setCreditStatusInput,
    output: setCreditStatusOutput,
  }),
  setCreditGroup: entry({
    summary:
      "Create a credit group or replace its name, limit and members (a manager within authority, or an admin): a customer belongs to one group at most, and checkOrder then answers for the customer's and the group's available credit.",
    allow: ["manager", "admin"],
    input: setCreditGroupInput,
    output: setCreditGroupOutput,
  }),
  resolveAlert: entry({
    summary: "Close an open alert with a resolution and a note.",
    allow: ["analyst", "manager"],
    input: resolveAlertInput,
    output: resolveAlertOutput,
  }),
  updateContacts: entry({
    summary:
      "Replace a customer's contact persons (validated, audited with before and after, entered in the identity index); sales only for their own customers.",
    allow: ["sales", "analyst", "manager"],
    input: updateContactsInput,
    output: updateContactsOutput,
  }),
  acknowledgeConfidentiality: entry({
    summary:
      "A staff member acknowledges the confidentiality policy in force; staff roles take effect only while acknowledged (custom claim ack, refresh the token).",
    allow: ["sales", "analyst", "manager", "auditor", "admin"],
    input: acknowledgeConfidentialityInput,
    output: acknowledgeConfidentialityOutput,
  }),
  recordTraining: entry({
    summary: "An admin records a staff member's completed training (course and date).",
    allow: ["admin"],
    input: recordTrainingInput,
    output: recordTrainingOutput,
  }),
  setUserRole: entry({
    summary: "Give a user a role, or take it away (null); the user's refresh tokens are revoked.",
    allow: ["admin"],
    input: setUserRoleInput,
    output: setUserRoleOutput,
  }),
  verifyAuditTrail: entry({
    summary: "Check one audit chain (a customer's, an application's or the system's) for tampering.",
    allow: ["auditor", "admin"],
    input: verifyAuditTrailInput,
    output: verifyAuditTrailOutput,
  }),
  runJobNow: entry({
    summary:
      "Run a scheduled job now, or pause or resume its schedule (production); on the local stack, run it as of a date.",
    allow: ["admin"],
    input: runJobNowInput,
    output: runJobNowOutput,
  }),
  getPortfolioReport: entry({
    summary:
      "Portfolio figures in the base currency: exposure and limits by class, grade, credit group and currency, aging with disputed amounts apart, DSO, best possible DSO, average days delinquent, CEI, customers over limit, blocked orders and their release turnaround, application approval turnaround, the class migration of the month's reviews, top 10 exposures, open alerts by type, and the last 12 monthly snapshots for the trends.",
    allow: ["manager", "auditor", "admin"],
    input: getPortfolioReportInput,
    output: getPortfolioReportOutput,
  }),
  simulatePolicy: entry({
    summary:
      "What a candidate policy (a partial policy, validated like the real one) would do to the portfolio, beside the policy in force, writing nothing to the credit files: class migration, limits that would rise or fall and by how much, customers that would go over limit or on hold, orders of the last 30 days that would have been blocked. Large portfolios run as a job (simulations/{simulationId}).",
    allow: ["manager", "admin"],
    input: simulatePolicyInput,
    output: simulatePolicyOutput,
  }),
  openDispute: entry({
    summary:
      "Dispute (part of) an invoice: the amount stays in exposure but leaves penalty aging (its own disputed bucket) until resolved; sales only for their own customers.",
    allow: ["sales", "analyst", "manager", "integration"],
    input: openDisputeInput,
    output: openDisputeOutput,
  }),
  resolveDispute: entry({
    summary:
      "Resolve a dispute: customer_right credits it (a credit note, within the decider's authority), customer_wrong puts it back to age from the original due date, partial does both; the outcome enters the customer's dispute record.",
    allow: ["analyst", "manager"],
    input: resolveDisputeInput,
    output: resolveDisputeOutput,
  }),
  overrideClassification: entry({
    summary:
      "Override a customer's class with a documented reason until a date; then the computed class applies again.",
    allow: ["manager"],
    input: overrideClassificationInput,
    output: overrideClassificationOutput,
  }),
  clearFraudHold: entry({
    summary:
      "Clear a fraud hold found to be a false positive: the flag and the hold it caused go, the signals stay in the file's history.",
    allow: ["manager"],
    input: clearFraudHoldInput,
    output: clearFraudHoldOutput,
  }),
  requestTermsChange: entry({
    summary:
      "Ask for new payment terms: shorter terms apply at once; longer terms (an incentive for eligible customers, within the policy's extension) wait for a second person; sales only for their own customers.",
    allow: ["sales", "analyst", "manager"],
    input: requestTermsChangeInput,
    output: requestTermsChangeOutput,
  }),
  decideTermsChange: entry({
    summary:
      "Approve or reject a pending payment-terms change (never the requester); approval checks the customer is still eligible.",
    allow: ["analyst", "manager"],
    input: decideTermsChangeInput,
    output: decideTermsChangeOutput,
  }),
} as const;

/** The error codes a callable answers with (FunctionsError code `functions/<code>` on the client), and when. */
export const ERROR_CODES = {
  unauthenticated: "No signed-in user.",
  "permission-denied":
    "The caller's role may not call it; a sales rep acting on another rep's customer; an amount above the caller's approval authority.",
  "invalid-argument":
    "Bad input: the message names the field first (`company.country: must be an ISO 3166 alpha-2 code like US`); nothing is written.",
  "not-found": "An id that does not exist (customer, application, limit request, alert, user).",
  "failed-precondition":
    "The record's state forbids it: deciding a decided application, deciding your own application or request (four eyes), a limit increase blocked by policy, a decision whose basis changed since the request, releasing a penalty before its cure, extended terms for a customer who is not eligible.",
  "already-exists":
    "The requestId was used before for a call with other input: idempotency keys are bound to their payload; use a new requestId for a new request.",
  "resource-exhausted":
    "A bound of the policy is reached (e.g. open blocked orders or open disputes per customer): decide or cancel some first.",
  internal:
    "An unexpected error; nothing was changed. The message and `details.errorId` carry an error id: quote it, it finds the logged stack.",
} as const;
export type CallableErrorCode = keyof typeof ERROR_CODES;

export type Callables = typeof CALLABLES;
export type CallableName = keyof Callables;
/** Every callable's name, in the registry's order. */
export const CALLABLE_NAMES = Object.keys(CALLABLES) as CallableName[];

/** What a client sends (dates as ISO-8601 strings). */
export type CallableInput<N extends CallableName> = z.input<Callables[N]["input"]>;
/** What the service receives once the input is parsed (dates as epoch milliseconds). */
export type CallableParsedInput<N extends CallableName> = z.output<Callables[N]["input"]>;
/** What a client receives. */
export type CallableOutput<N extends CallableName> = z.output<Callables[N]["output"]>;

export function isCallableName(name: string): name is CallableName {
  return Object.hasOwn(CALLABLES, name);
}

/** JSON Schema (draft 2020-12) of a callable's input as sent on the wire, and of its output. */
export function contractJsonSchema(name: CallableName): {
  input: Record<string, unknown>;
  output: Record<string, unknown>;
} {
  const c: CallableContract = CALLABLES[name];
  return {
    input: z.toJSONSchema(c.input, { io: "input", unrepresentable: "any" }) as Record<string, unknown>,
    output: z.toJSONSchema(c.output, { io: "output", unrepresentable: "any" }) as Record<string, unknown>,
  };
}
