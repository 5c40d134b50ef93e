/**
 * Errors a use-case may end in, named by the callable error code clients see
 * (see docs/API.md). Services throw these; api/ maps them to HttpsError one to one.
 */
export type CreditDeskErrorCode =
  | "invalid-argument"
  | "permission-denied"
  | "not-found"
  | "failed-precondition"
  | "already-exists"
  | "resource-exhausted";

export class CreditDeskError extends Error {
  constructor(
    readonly code: CreditDeskErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "CreditDeskError";
  }
}

export const notFound = (what: string, id: string) =>
  new CreditDeskError("not-found", `${what} ${id} not found`, { id });
export const precondition = (message: string, details?: Record<string, unknown>) =>
  new CreditDeskError("failed-precondition", message, details);
export const denied = (message: string) => new CreditDeskError("permission-denied", message);
export const invalid = (field: string, message: string) =>
  new CreditDeskError("invalid-argument", `${field}: ${message}`, { field });
