import { requestLimitChangeInput } from "../schemas/callables.js";
import { loadPolicy } from "../services/policy.js";
import * as limits from "../services/limits.js";
import { callable } from "./common.js";

export const requestLimitChange = callable({
  name: "requestLimitChange",
  allow: ["sales", "analyst", "manager"],
  input: requestLimitChangeInput,
  run: async (input, { caller, now }) => limits.requestLimitChange(input, caller, now, await loadPolicy(now)),
});
