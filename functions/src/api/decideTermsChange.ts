import { loadPolicy } from "../services/policy.js";
import * as terms from "../services/terms.js";
import { callable } from "./common.js";

export const decideTermsChange = callable("decideTermsChange", async (input, { caller, now }) =>
  terms.decideTermsChange(input, caller, now, await loadPolicy(now)),
);
