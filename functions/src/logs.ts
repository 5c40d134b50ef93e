/**
 * One named function per log event. Logs carry ids and codes only: never names,
 * contact details, or financial figures.
 */
import { logger } from "firebase-functions";

const MAX_FRAMES = 30;

/**
 * Where an unexpected error came from, without what it said: its name, its code, and the
 * stack's frames (file, line, function). The message and the stack's first line are left
 * out because messages can carry input values (personal data, figures); so are causes'.
 */
export function errorTrace(err: unknown): {
  error: string;
  code: string | number | null;
  stack: string[];
  cause: string | null;
} {
  const e = err instanceof Error ? err : null;
  const rawCode = (err as { code?: unknown } | null)?.code;
  const frames = (e?.stack ?? "")
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .slice(0, MAX_FRAMES)
    .map((line) => line.trim());
  const cause = e && e.cause instanceof Error ? e.cause.name : null;
  return {
    error: e ? e.name : typeof err,
    code: typeof rawCode === "string" || typeof rawCode === "number" ? rawCode : null,
    stack: frames,
    cause,
  };
}

/**
 * An Error to log whose stack is the original's frames under a message we wrote: Cloud Error
 * Reporting groups entries by the stack in the log message, so an unexpected error is
 * reported where it was thrown, not where it was logged, and still without its message.
 */
function reportable(message: string, frames: readonly string[]): Error {
  const e = new Error(message);
  e.stack = [`Error: ${message}`, ...frames.map((f) => `    ${f}`)].join("\n");
  return e;
}

export const logs = {
  policyInvalid: (issues: Array<{ path: string }>) =>
    logger.error("credit_policy_invalid", { code: "POLICY_INVALID", paths: issues.map((i) => i.path).slice(0, 20) }),
  policyLoaded: (version: number) => logger.debug("credit_policy_loaded", { version }),
  fxRatesInvalid: (issues: Array<{ path: string }>) =>
    logger.error("fx_rates_invalid", { code: "FX_RATES_INVALID", paths: issues.map((i) => i.path).slice(0, 20) }),
  fxRatesChecked: (ageDays: number, stale: boolean) => logger.info("fx_rates_checked", { ageDays, stale }),
  /** Once per instance, at cold start: whether callables enforce App Check, and why. */
  appCheckMode: (enforced: boolean, reason: string) =>
    (enforced ? logger.info : logger.warn)("app_check_mode", { enforced, reason }),
  callableRejected: (callable: string, code: string, uid: string | null) =>
    logger.info("callable_rejected", { callable, code, uid }),
  /** An unexpected error in a callable, under the error id its caller was given. */
  callableFailed: (callable: string, uid: string | null, errorId: string, err: unknown) => {
    const trace = errorTrace(err);
    logger.error(reportable(`callable_failed ${errorId} (${trace.error})`, trace.stack), {
      callable,
      uid,
      errorId,
      ...trace,
    });
  },
  applicationSubmitted: (applicationId: string) => logger.info("application_submitted", { applicationId }),
  applicationReviewed: (applicationId: string, grade: string) =>
    logger.info("application_reviewed", { applicationId, grade }),
  applicationDecided: (applicationId: string, decision: string, customerId: string | null) =>
    logger.info("application_decided", { applicationId, decision, customerId }),
  customerReassessed: (customerId: string, grade: string, tier: string) =>
    logger.info("customer_reassessed", { customerId, grade, tier }),
  orderChecked: (customerId: string, decision: string) => logger.info("order_checked", { customerId, decision }),
  creditGroupSet: (groupId: string, members: number, added: number, removed: number) =>
    logger.info("credit_group_set", { groupId, members, added, removed }),
  /** Field names and signal codes only: never the values. */
  customerProfileUpdated: (customerId: string, changed: readonly string[], fraudSignals: readonly string[]) =>
    logger.info("customer_profile_updated", { customerId, changed, fraudSignals }),
  disputeOpened: (customerId: string, disputeId: string) => logger.info("dispute_opened", { customerId, disputeId }),
  disputeResolved: (customerId: string, disputeId: string, outcome: string) =>
    logger.info("dispute_resolved", { customerId, disputeId, outcome }),
  classOverridden: (customerId: string, overrideId: string, tier: string) =>
    logger.info("class_overridden", { customerId, overrideId, tier }),
  fraudHoldCleared: (customerId: string) => logger.info("fraud_hold_cleared", { customerId }),
  termsChangeRequested: (customerId: string, termsChangeId: string, status: string) =>
    logger.info("terms_change_requested", { customerId, termsChangeId, status }),
  termsChangeDecided: (customerId: string, termsChangeId: string, status: string) =>
    logger.info("terms_change_decided", { customerId, termsChangeId, status }),
  roleSet: (uid: string, role: string | null) => logger.info("role_set", { uid, role }),
  confidentialityAcknowledged: (uid: string, version: number) =>
    logger.info("confidentiality_acknowledged", { uid, version }),
  alertRaised: (alertId: string, type: string, subjectId: string) =>
    logger.warn("alert_raised", { alertId, type, subjectId }),
  alertResolved: (alertId: string, type: string) => logger.info("alert_resolved", { alertId, type }),
  transactionsRecorded: (customerId: string, recorded: number, duplicates: number, rejected: number) =>
    logger.info("transactions_recorded", { customerId, recorded, duplicates, rejected }),
  /** The transaction trigger's outcome for one record (applied, duplicate, stale, skipped, rejected). */
  transactionEventApplied: (customerId: string, externalId: string, outcome: string) =>
    logger.info("transaction_event", { customerId, externalId, outcome }),
  /** A customer's group commit: how many pending records one drain took, applied and rejected (counts only). */
  transactionsDrained: (customerId: string, records: number, applied: number, rejected: number, mode: string) =>
    logger.info("transactions_drained", { customerId, records, applied, rejected, mode }),
  /** A change no service made (an edit in the console) was put on the subject's audit chain. */
  consoleEditRecorded: (kind: string, subjectId: string, fields: number) =>
    logger.warn("console_edit_recorded", { kind, subjectId, fields }),
  /** A trigger's event that failed for a reason no retry cures (logged, not retried). */
  triggerFailed: (fn: string, eventId: string, code: string) => logger.error("trigger_failed", { fn, eventId, code }),
  triggerDuplicate: (fn: string, eventId: string) => logger.debug("trigger_duplicate_event", { fn, eventId }),
  jobProgress: (job: string, processed: number, remaining: boolean) =>
    logger.info("job_progress", { job, processed, remaining }),
  /** One customer of a job's page failed (the job goes on with the others; the customer stays due). */
  jobCustomerFailed: (job: string, customerId: string, err: unknown) => {
    const trace = errorTrace(err);
    logger.error(reportable(`job_customer_failed ${job} (${trace.error})`, trace.stack), { job, customerId, ...trace });
  },
  /** One step of a schedule failed; the other steps ran, and the schedule is retried. */
  jobStepFailed: (job: string, step: string, err: unknown) => {
    const trace = errorTrace(err);
    logger.error(reportable(`job_step_failed ${job}/${step} (${trace.error})`, trace.stack), { job, step, ...trace });
  },
  /** The portfolio report's monthly snapshot (reports/{period}); counts only. */
  reportSnapshotWritten: (period: string, customers: number, keptMigration: boolean) =>
    logger.info("report_snapshot_written", { period, customers, keptMigration }),
  /** A policy what-if: how it ran (direct or as a job) and how many customers it evaluated. */
  simulationProgress: (simulationId: string | null, mode: string, evaluated: number, done: boolean) =>
    logger.info("simulation_progress", { simulationId, mode, evaluated, done }),
  /** So many customers failed that the job stopped rather than retry them page after page. */
  jobStuck: (job: string, failed: number) => logger.error("job_stuck", { job, failed }),
  auditChainVerified: (chainId: string, checked: number) => logger.info("audit_chain_verified", { chainId, checked }),
  auditChainBroken: (chainId: string, seq: number, problem: string) =>
    logger.error("audit_chain_broken", { chainId, seq, problem }),
  backupStarted: (backupId: string, operation: string | null) => logger.info("backup_started", { backupId, operation }),
  backupFinished: (backupId: string, status: string) => logger.info("backup_finished", { backupId, status }),
  backupFailed: (backupId: string, code: string) => logger.error("backup_failed", { backupId, code }),
  backupExpired: (backupId: string, deletedObjects: number) =>
    logger.info("backup_expired", { backupId, deletedObjects }),
  /** The system chain's head after the seal goes to Cloud Logging too: an anchor a Firestore writer cannot edit. */
  auditSealed: (sealId: string, sealed: number, broken: number, systemSeq: number, systemHash: string) =>
    logger.info("audit_sealed", { sealId, sealed, broken, systemSeq, systemHash }),
  auditSealIncomplete: (sealId: string, sealed: number, code: string) =>
    logger.warn("audit_seal_incomplete", { sealId, sealed, code }),
  auditLegacyMigrated: (migrated: number, broken: number) => logger.info("audit_legacy_migrated", { migrated, broken }),
  /** Not a failed backup: a poll that could not reach the operation, or retention that could not delete (retried next run). */
  backupWarning: (backupId: string, code: string, error: string | null) =>
    logger.warn("backup_warning", { backupId, code, error: error ? error.slice(0, 200) : null }),
};
