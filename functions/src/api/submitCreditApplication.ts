import { submitCreditApplicationInput } from "../schemas/callables.js";
import { loadPolicy } from "../services/policy.js";
import { submitApplication } from "../services/applications.js";
import { callable } from "./common.js";

export const submitCreditApplication = callable({
  name: "submitCreditApplication",
  allow: ["applicant", "sales", "analyst", "manager", "auditor", "admin", "integration"],
  input: submitCreditApplicationInput,
  run: async (input, { caller, now }) => submitApplication(input, caller, now, await loadPolicy(now)),
});
