import { verifyAuditTrailInput } from "../schemas/audit.js";
import { verifyAuditTrail as run } from "../services/auditTrail.js";
import { callable } from "./common.js";

export const verifyAuditTrail = callable({
  name: "verifyAuditTrail",
  allow: ["auditor", "admin"],
  input: verifyAuditTrailInput,
  run: (input, { caller, now }) => run(input, caller, now),
});
