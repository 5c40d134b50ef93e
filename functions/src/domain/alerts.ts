/** Alert types and their identity: one open alert per subject and type, at most. */
export const ALERT_TYPES = [
  "overdue_30",
  "overdue_60",
  "overdue_90",
  "utilization_high",
  "over_limit",
  "order_while_suspended",
  "score_drop",
  "tier_downgrade",
  "temporary_limit_expiring",
  "temporary_limit_expired",
  "review_overdue",
  "statements_stale",
  "dispute_open_too_long",
  "fraud_signal",
  "ledger_rejected",
  "console_edit",
  "confidentiality_expiring",
  "policy_invalid",
  "fx_rates_invalid",
  "fx_rates_stale",
  "backup_failed",
  "audit_broken",
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export type AlertSubjectKind = "customer" | "application" | "system";
export type AlertSeverity = "info" | "warning" | "critical";

export interface AlertSubject {
  kind: AlertSubjectKind;
  id: string;
}

/** Deterministic id: raising the same alert twice lands on the same document. */
export function alertId(subject: AlertSubject, type: AlertType): string {
  return `${subject.kind}_${subject.id}_${type}`;
}

export const ALERT_SEVERITY: Record<AlertType, AlertSeverity> = {
  overdue_30: "warning",
  overdue_60: "critical",
  overdue_90: "critical",
  utilization_high: "info",
  over_limit: "warning",
  order_while_suspended: "critical",
  score_drop: "warning",
  tier_downgrade: "warning",
  temporary_limit_expiring: "info",
  temporary_limit_expired: "info",
  review_overdue: "warning",
  statements_stale: "info",
  dispute_open_too_long: "warning",
  fraud_signal: "critical",
  ledger_rejected: "warning",
  console_edit: "warning",
  confidentiality_expiring: "info",
  policy_invalid: "critical",
  fx_rates_invalid: "critical",
  fx_rates_stale: "warning",
  backup_failed: "critical",
  audit_broken: "critical",
};
