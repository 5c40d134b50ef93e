import * as confidentiality from "../services/confidentiality.js";
import { callable } from "./common.js";

export const recordTraining = callable("recordTraining", (input, { caller, now }) =>
  confidentiality.recordTraining(input, caller, now),
);
