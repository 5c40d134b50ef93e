import { loadPolicy } from "../services/policy.js";
import * as limits from "../services/limits.js";
import { callable } from "./common.js";

export const setCreditStatus = callable("setCreditStatus", async (input, { caller, now }) =>
  limits.setCreditStatus(input, caller, now, await loadPolicy(now)),
);
