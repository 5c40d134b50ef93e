import { resolveAlertInput } from "../schemas/callables.js";
import * as alerts from "../services/alerts.js";
import { callable } from "./common.js";

export const resolveAlert = callable({
  name: "resolveAlert",
  allow: ["analyst", "manager"],
  input: resolveAlertInput,
  run: (input, { caller, now }) => alerts.resolveAlertByPerson(input, caller, now),
});
