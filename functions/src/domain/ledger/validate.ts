/**
 * Validation of a ledger record before it is applied, and its reduction to the applied version.
 */
import {
  type AppliedVersion,
  type LedgerRecord,
  LedgerError,
  MAX_RECORD_AMOUNT,
  MAX_TIMESTAMP,
  ORDER_STATUSES,
  PAYMENT_STATUSES,
  RECORD_TYPES,
} from "./model.js";
import { DAY_MS } from "../time.js";

export interface LedgerRejection {
  code: string;
  field: string;
  message: string;
}

export interface ValidationContext {
  /** The customer's currency; a record in another currency is rejected. */
  customerCurrency: string;
  /**
   * The caller found that the referenced invoice id belongs to another customer
   * (e.g. via its transaction document). The ledger cannot see that by itself.
   */
  referenceBelongsToOtherCustomer?: boolean;
  /** The policy's bounds on a record, as of the time it is recorded (schemas/policy.ts `ledger`). */
  bounds?: { asOf: number; maxAmount: number; maxFutureDays: number; maxPastDays: number };
}

const reject = (code: string, field: string, message: string): LedgerRejection => ({ code, field, message });

/** Firestore document id rules: non-empty, no "/", not "." or "..", not __reserved__, short. */
function badId(id: unknown): string | null {
  if (typeof id !== "string" || id.length === 0) return "must be a non-empty string";
  if (id.length > 500) return "must be at most 500 characters";
  if (id.includes("/")) return "must not contain '/'";
  if (id === "." || id === "..") return "must not be '.' or '..'";
  if (/^__.*__$/.test(id)) return "must not look like __reserved__";
  return null;
}

function badTimestamp(ms: unknown): string | null {
  if (typeof ms !== "number" || !Number.isSafeInteger(ms)) return "must be an integer epoch time in ms";
  if (ms < 0 || ms > MAX_TIMESTAMP) return "must lie between 1970 and 9999";
  return null;
}

/** The checks that do not need the customer's context. */
export function structuralRejection(record: LedgerRecord): LedgerRejection | null {
  if (record === null || typeof record !== "object")
    return reject("invalid_record", "record", "record must be an object");
  const idProblem = badId(record.externalId);
  if (idProblem) return reject("invalid_external_id", "externalId", `externalId ${idProblem}`);
  if (!RECORD_TYPES.includes(record.type)) {
    return reject("unsupported_type", "type", `type must be one of ${RECORD_TYPES.join(", ")}`);
  }
  const amount: unknown = record.amount;
  if (typeof amount !== "number" || !Number.isSafeInteger(amount) || amount <= 0) {
    return reject("invalid_amount", "amount", "amount must be a positive integer in minor units");
  }
  if (amount > MAX_RECORD_AMOUNT) {
    return reject("amount_too_large", "amount", `amount must not exceed ${MAX_RECORD_AMOUNT} minor units`);
  }
  const issuedProblem = badTimestamp(record.issuedAt);
  if (issuedProblem) return reject("invalid_date", "issuedAt", `issuedAt ${issuedProblem}`);

  if (record.type === "invoice") {
    if (record.dueAt === undefined || record.dueAt === null) {
      return reject("missing_due_date", "dueAt", "an invoice needs dueAt");
    }
    const dueProblem = badTimestamp(record.dueAt);
    if (dueProblem) return reject("invalid_date", "dueAt", `dueAt ${dueProblem}`);
    if (record.dueAt < record.issuedAt) return reject("due_before_issue", "dueAt", "dueAt must not be before issuedAt");
  }

  const ref: unknown = record.invoiceExternalId;
  if (ref !== undefined && ref !== null) {
    if (record.type === "order" || record.type === "invoice") {
      return reject("unexpected_reference", "invoiceExternalId", `a ${record.type} cannot reference an invoice`);
    }
    const refProblem = badId(ref);
    if (refProblem) return reject("invalid_reference", "invoiceExternalId", `invoiceExternalId ${refProblem}`);
    if (ref === record.externalId)
      return reject("self_reference", "invoiceExternalId", "a record cannot reference itself");
  }

  const status: unknown = record.status;
  if (status !== undefined && status !== null) {
    const allowed: readonly string[] =
      record.type === "order" ? ORDER_STATUSES : record.type === "payment" ? PAYMENT_STATUSES : [];
    if (typeof status !== "string" || !allowed.includes(status)) {
      return reject(
        "unsupported_status",
        "status",
        allowed.length === 0
          ? `a ${record.type} takes no status`
          : `status of a ${record.type} must be one of ${allowed.join(", ")}`,
      );
    }
  }
  return null;
}

/**
 * Null when the record may be applied, else why not. Codes: invalid_record, invalid_external_id,
 * unsupported_type, invalid_amount, amount_too_large, invalid_date, missing_due_date,
 * due_before_issue, unexpected_reference, invalid_reference, self_reference, unsupported_status,
 * currency_mismatch, foreign_reference, and with the policy's bounds amount_above_policy,
 * dated_in_future, dated_too_long_ago.
 */
export function validateRecord(record: LedgerRecord, ctx: ValidationContext): LedgerRejection | null {
  const structural = structuralRejection(record);
  if (structural) return structural;
  if (record.currency !== undefined && record.currency !== null && record.currency !== ctx.customerCurrency) {
    return reject(
      "currency_mismatch",
      "currency",
      `currency ${String(record.currency)} is not the customer's currency ${ctx.customerCurrency}`,
    );
  }
  if (record.invoiceExternalId !== undefined && ctx.referenceBelongsToOtherCustomer === true) {
    return reject("foreign_reference", "invoiceExternalId", "the referenced invoice belongs to another customer");
  }
  const b = ctx.bounds;
  if (b) {
    if (record.amount > b.maxAmount)
      return reject(
        "amount_above_policy",
        "amount",
        `amount must not exceed ${b.maxAmount} minor units (policy ledger.maxAmount)`,
      );
    if (record.issuedAt > b.asOf + b.maxFutureDays * DAY_MS) {
      return reject(
        "dated_in_future",
        "issuedAt",
        `issuedAt must be at most ${b.maxFutureDays} days ahead (policy ledger.maxFutureDays)`,
      );
    }
    if (record.issuedAt < b.asOf - b.maxPastDays * DAY_MS) {
      return reject(
        "dated_too_long_ago",
        "issuedAt",
        `issuedAt must be at most ${b.maxPastDays} days back (policy ledger.maxPastDays)`,
      );
    }
  }
  return null;
}

/** The applied version of a valid record (throws LedgerError on an invalid one). */
export function toAppliedVersion(record: LedgerRecord): AppliedVersion {
  const problem = structuralRejection(record);
  if (problem) throw new LedgerError(problem.code, problem.field, problem.message);
  const v: AppliedVersion = { type: record.type, amount: record.amount, issuedAt: record.issuedAt };
  if (record.type === "invoice" && record.dueAt !== undefined) v.dueAt = record.dueAt;
  if (
    (record.type === "payment" || record.type === "credit_note") &&
    record.invoiceExternalId !== undefined &&
    record.invoiceExternalId !== null
  ) {
    v.invoiceExternalId = record.invoiceExternalId;
  }
  if (record.type === "order" && record.status !== undefined && record.status !== null && record.status !== "open") {
    v.status = record.status; // "open" and absent are the same version
  }
  if (record.type === "payment" && record.status === "dishonoured") v.status = "dishonoured";
  return v;
}

export function sameVersion(a: AppliedVersion, b: AppliedVersion): boolean {
  return (
    a.type === b.type &&
    a.amount === b.amount &&
    a.issuedAt === b.issuedAt &&
    a.dueAt === b.dueAt &&
    a.invoiceExternalId === b.invoiceExternalId &&
    a.status === b.status
  );
}
