import { setCreditStatusInput } from "../schemas/callables.js";
import * as limits from "../services/limits.js";
import { callable } from "./common.js";

export const setCreditStatus = callable({
  name: "setCreditStatus",
  allow: ["manager", "admin"],
  input: setCreditStatusInput,
  run: (input, { caller, now }) => limits.setCreditStatus(input, caller, now),
});
