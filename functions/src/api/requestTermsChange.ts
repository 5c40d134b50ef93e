import { loadPolicy } from "../services/policy.js";
import * as terms from "../services/terms.js";
import { callable } from "./common.js";

export const requestTermsChange = callable("requestTermsChange", async (input, { caller, now }) =>
  terms.requestTermsChange(input, caller, now, await loadPolicy(now)),
);
