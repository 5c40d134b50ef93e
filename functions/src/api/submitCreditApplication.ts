import { loadPolicy } from "../services/policy.js";
import { submitApplication } from "../services/applications.js";
import { callable } from "./common.js";

export const submitCreditApplication = callable("submitCreditApplication", async (input, { caller, now }) =>
  submitApplication(input, caller, now, await loadPolicy(now)),
);
