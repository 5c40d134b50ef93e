/** Exports only: every deployed function, by name (the callable names are the API contract). */
export { submitCreditApplication } from "./api/submitCreditApplication.js";
export { reviewCreditApplication } from "./api/reviewCreditApplication.js";
export { decideCreditApplication } from "./api/decideCreditApplication.js";
export { checkOrder } from "./api/checkOrder.js";
export { updateFinancials } from "./api/updateFinancials.js";
export { reassessCustomer } from "./api/reassessCustomer.js";
export { setUserRole } from "./api/setUserRole.js";
export { recordTransactions } from "./api/recordTransactions.js";
export { onTransactionWritten } from "./triggers/transactionWritten.js";
export { requestLimitChange } from "./api/requestLimitChange.js";
export { decideLimitChange } from "./api/decideLimitChange.js";
export { setCreditStatus } from "./api/setCreditStatus.js";
export { resolveAlert } from "./api/resolveAlert.js";
export { dailyBackup } from "./jobs/dailyBackup.js";
export { checkBackups } from "./jobs/checkBackups.js";
export { getPortfolioReport } from "./api/getPortfolioReport.js";
