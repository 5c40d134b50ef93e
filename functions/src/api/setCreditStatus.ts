import * as limits from "../services/limits.js";
import { callable } from "./common.js";

export const setCreditStatus = callable("setCreditStatus", (input, { caller, now }) => limits.setCreditStatus(input, caller, now));
