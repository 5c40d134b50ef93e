import { loadPolicy } from "../services/policy.js";
import * as classification from "../services/classification.js";
import { callable } from "./common.js";

export const clearFraudHold = callable("clearFraudHold", async (input, { caller, now }) =>
  classification.clearFraudHold(input, caller, now, await loadPolicy(now)),
);
