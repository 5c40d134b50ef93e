import { loadPolicy } from "../services/policy.js";
import * as customers from "../services/customers.js";
import { callable } from "./common.js";

export const reassessCustomer = callable("reassessCustomer", async (input, { caller, now }) =>
  customers.reassessCustomer(input, caller, now, await loadPolicy(now)),
);
