import { loadPolicy } from "../services/policy.js";
import * as limits from "../services/limits.js";
import { callable } from "./common.js";

export const decideLimitChange = callable("decideLimitChange", async (input, { caller, now }) =>
  limits.decideLimitChange(input, caller, now, await loadPolicy(now)),
);
