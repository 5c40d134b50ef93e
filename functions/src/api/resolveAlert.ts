import * as alerts from "../services/alerts.js";
import { callable } from "./common.js";

export const resolveAlert = callable("resolveAlert", (input, { caller, now }) =>
  alerts.resolveAlertByPerson(input, caller, now),
);
