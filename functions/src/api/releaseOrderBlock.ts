import { loadPolicy } from "../services/policy.js";
import * as orders from "../services/orders.js";
import { callable } from "./common.js";

export const releaseOrderBlock = callable("releaseOrderBlock", async (input, { caller, now }) =>
  orders.releaseOrderBlock(input, caller, now, await loadPolicy(now)),
);
