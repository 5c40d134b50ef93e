import * as jobs from "../services/jobs.js";
import { loadPolicy } from "../services/policy.js";
import { callable } from "./common.js";

export const runJobNow = callable("runJobNow", async (input, { caller, now }) =>
  jobs.runJobNow(input, caller, now, await loadPolicy(now)),
);
