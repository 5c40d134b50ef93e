import { loadPolicy } from "../services/policy.js";
import * as orders from "../services/orders.js";
import { callable } from "./common.js";

export const checkOrder = callable("checkOrder", async (input, { caller, now }) =>
  orders.checkOrder(input, caller, now, await loadPolicy(now)),
);
