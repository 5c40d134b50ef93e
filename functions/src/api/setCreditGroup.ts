import * as groups from "../services/groups.js";
import { loadPolicy } from "../services/policy.js";
import { callable } from "./common.js";

export const setCreditGroup = callable("setCreditGroup", async (input, { caller, now }) =>
  groups.setCreditGroup(input, caller, now, await loadPolicy(now)),
);
