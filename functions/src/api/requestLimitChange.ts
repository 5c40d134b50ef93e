import { loadPolicy } from "../services/policy.js";
import * as limits from "../services/limits.js";
import { callable } from "./common.js";

export const requestLimitChange = callable("requestLimitChange", async (input, { caller, now }) =>
  limits.requestLimitChange(input, caller, now, await loadPolicy(now)),
);
