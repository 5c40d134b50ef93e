/** Every callable of the API contract (../shared/API.md). */
export const API_CALLABLES = [
  "submitCreditApplication",
  "reviewCreditApplication",
  "decideCreditApplication",
  "checkOrder",
  "cancelReservation",
  "releaseOrderBlock",
  "recordTransactions",
  "updateFinancials",
  "reassessCustomer",
  "requestLimitChange",
  "decideLimitChange",
  "setCreditStatus",
  "resolveAlert",
  "setUserRole",
  "verifyAuditTrail",
  "runJobNow",
  "getPortfolioReport",
] as const;
export type CallableName = (typeof API_CALLABLES)[number];
