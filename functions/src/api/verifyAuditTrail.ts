import { verifyAuditTrail as run } from "../services/auditTrail.js";
import { callable } from "./common.js";

export const verifyAuditTrail = callable("verifyAuditTrail", (input, { caller, now }) => run(input, caller, now));
