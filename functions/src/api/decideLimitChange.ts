import { decideLimitChangeInput } from "../schemas/callables.js";
import { loadPolicy } from "../services/policy.js";
import * as limits from "../services/limits.js";
import { callable } from "./common.js";

export const decideLimitChange = callable({
  name: "decideLimitChange",
  allow: ["analyst", "manager", "admin"],
  input: decideLimitChangeInput,
  run: async (input, { caller, now }) => limits.decideLimitChange(input, caller, now, await loadPolicy(now)),
});
