import { setUserRole as run } from "../services/roles.js";
import { callable } from "./common.js";

export const setUserRole = callable("setUserRole", (input, { caller, now }) => run(input, caller, now));
