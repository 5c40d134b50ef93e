import { checkOrderInput } from "../schemas/callables.js";
import { loadPolicy } from "../services/policy.js";
import * as customers from "../services/customers.js";
import { callable } from "./common.js";

export const checkOrder = callable({
  name: "checkOrder",
  allow: ["sales", "analyst", "manager", "integration"],
  input: checkOrderInput,
  run: async (input, { caller, now }) => customers.checkOrder(input, caller, now, await loadPolicy(now)),
});
