import { decideCreditApplicationInput } from "../schemas/callables.js";
import { loadPolicy } from "../services/policy.js";
import { decideApplication } from "../services/applications.js";
import { callable } from "./common.js";

export const decideCreditApplication = callable({
  name: "decideCreditApplication",
  allow: ["analyst", "manager", "admin"],
  input: decideCreditApplicationInput,
  run: async (input, { caller, now }) => decideApplication(input, caller, now, await loadPolicy(now)),
});
