import { loadPolicy } from "../services/policy.js";
import * as customers from "../services/customers.js";
import { callable } from "./common.js";

export const updateFinancials = callable("updateFinancials", async (input, { caller, now }) =>
  customers.updateFinancials(input, caller, now, await loadPolicy(now)),
);
