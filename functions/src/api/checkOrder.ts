import { loadPolicy } from "../services/policy.js";
import * as customers from "../services/customers.js";
import { callable } from "./common.js";

export const checkOrder = callable("checkOrder", async (input, { caller, now }) => customers.checkOrder(input, caller, now, await loadPolicy(now)));
