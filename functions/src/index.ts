/** Exports only: every deployed function, by name (the callable names are the API contract). */
export { submitCreditApplication } from "./api/submitCreditApplication.js";
export { reviewCreditApplication } from "./api/reviewCreditApplication.js";
export { decideCreditApplication } from "./api/decideCreditApplication.js";
export { checkOrder } from "./api/checkOrder.js";
export { updateFinancials } from "./api/updateFinancials.js";
export { reassessCustomer } from "./api/reassessCustomer.js";
export { setUserRole } from "./api/setUserRole.js";
