import { loadPolicy } from "../services/policy.js";
import * as confidentiality from "../services/confidentiality.js";
import { callable } from "./common.js";

export const acknowledgeConfidentiality = callable("acknowledgeConfidentiality", async (input, { caller, now }) =>
  confidentiality.acknowledgeConfidentiality(input, caller, now, await loadPolicy(now)),
);
