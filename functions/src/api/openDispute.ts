import { loadPolicy } from "../services/policy.js";
import * as disputes from "../services/disputes.js";
import { callable } from "./common.js";

export const openDispute = callable("openDispute", async (input, { caller, now }) =>
  disputes.openDispute(input, caller, now, await loadPolicy(now)),
);
