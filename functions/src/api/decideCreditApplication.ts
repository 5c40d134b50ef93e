import { loadPolicy } from "../services/policy.js";
import { decideApplication } from "../services/applications.js";
import { callable } from "./common.js";

export const decideCreditApplication = callable("decideCreditApplication", async (input, { caller, now }) =>
  decideApplication(input, caller, now, await loadPolicy(now)),
);
