import { checkOrderInput } from "../schemas/callables.js";
import { loadPolicy } from "../services/policy.js";
import * as orders from "../services/orders.js";
import { callable } from "./common.js";

export const checkOrder = callable({
  name: "checkOrder",
  allow: ["sales", "analyst", "manager", "integration"],
  input: checkOrderInput,
  run: async (input, { caller, now }) => orders.checkOrder(input, caller, now, await loadPolicy(now)),
});
