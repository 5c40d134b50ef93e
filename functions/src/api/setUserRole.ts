import { setUserRoleInput } from "../schemas/callables.js";
import { setUserRole as run } from "../services/roles.js";
import { callable } from "./common.js";

export const setUserRole = callable({
  name: "setUserRole",
  allow: ["admin"],
  input: setUserRoleInput,
  run: (input, { caller, now }) => run(input, caller, now),
});
