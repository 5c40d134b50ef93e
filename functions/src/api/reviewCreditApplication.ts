import { reviewCreditApplicationInput } from "../schemas/callables.js";
import { loadPolicy } from "../services/policy.js";
import { reviewApplication } from "../services/applications.js";
import { callable } from "./common.js";

export const reviewCreditApplication = callable({
  name: "reviewCreditApplication",
  allow: ["analyst", "manager"],
  input: reviewCreditApplicationInput,
  run: async (input, { caller, now }) => reviewApplication(input, caller, now, await loadPolicy(now)),
});
