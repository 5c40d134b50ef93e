import { loadPolicy } from "../services/policy.js";
import { reviewApplication } from "../services/applications.js";
import { callable } from "./common.js";

export const reviewCreditApplication = callable("reviewCreditApplication", async (input, { caller, now }) =>
  reviewApplication(input, caller, now, await loadPolicy(now)),
);
