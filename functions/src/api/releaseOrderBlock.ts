import { releaseOrderBlockInput } from "../schemas/callables.js";
import { loadPolicy } from "../services/policy.js";
import * as orders from "../services/orders.js";
import { callable } from "./common.js";

export const releaseOrderBlock = callable({
  name: "releaseOrderBlock",
  allow: ["analyst", "manager", "admin"],
  input: releaseOrderBlockInput,
  run: async (input, { caller, now }) => orders.releaseOrderBlock(input, caller, now, await loadPolicy(now)),
});
