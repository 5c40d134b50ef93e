import * as auditTrail from "../services/auditTrail.js";
import { callable } from "./common.js";

export const verifyAuditTrail = callable("verifyAuditTrail", (input, { caller, now }) =>
  auditTrail.verifyAuditTrail(input, caller, now),
);
