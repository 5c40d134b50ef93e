import { loadPolicy } from "../services/policy.js";
import { updateCustomerProfile as update } from "../services/profile.js";
import { callable } from "./common.js";

export const updateCustomerProfile = callable("updateCustomerProfile", async (input, { caller, now }) =>
  update(input, caller, now, await loadPolicy(now)),
);
