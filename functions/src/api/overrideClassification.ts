import { loadPolicy } from "../services/policy.js";
import * as classification from "../services/classification.js";
import { callable } from "./common.js";

export const overrideClassification = callable("overrideClassification", async (input, { caller, now }) =>
  classification.overrideClassification(input, caller, now, await loadPolicy(now)),
);
