import { loadPolicy } from "../services/policy.js";
import * as disputes from "../services/disputes.js";
import { callable } from "./common.js";

export const resolveDispute = callable("resolveDispute", async (input, { caller, now }) =>
  disputes.resolveDispute(input, caller, now, await loadPolicy(now)),
);
