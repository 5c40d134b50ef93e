import * as roles from "../services/roles.js";
import { callable } from "./common.js";

export const setUserRole = callable("setUserRole", (input, { caller, now }) => roles.setUserRole(input, caller, now));
