/**
 * Managed Firestore exports: start the daily export, follow its operation to the end,
 * delete exports past retention. Every change to backups/{id} is one transaction with its
 * entry in the system audit chain; every failure (at start or later, or no recent
 * success at all) raises the `backup_failed` alert. Google APIs are reached through
 * `BackupPorts` (data/backups.ts), stubbed in tests.
 */
import type { DocumentData } from "firebase-admin/firestore";
import { runtimeConfig } from "../config.js";
import {
  DEFAULT_BACKUP_LIMITS,
  DEFAULT_RETENTION_DAYS,
  backupIdFor,
  chooseExpired,
  databaseName,
  exportDue,
  exportUriPrefix,
  judgeRunning,
  managedExportCollectionIds,
  normalizeBucket,
  parseExportUri,
  staleness,
  type BackupFailureCode,
  type BackupLimits,
  type BackupStatus,
  type ExportOperationState,
} from "../domain/backup.js";
import { AuditAppender, chains, headOf } from "../data/audit.js";
import {
  backupRef,
  expiredPatch,
  failedPatch,
  googleBackupPorts,
  listLiveBackups,
  newBackupDoc,
  operationPatch,
  succeededPatch,
  type BackupPorts,
} from "../data/backups.js";
import { firestore } from "../data/firebase.js";
import { DATA_TREE } from "../data/paths.js";
import { logs } from "../logs.js";
import { SYSTEM_ACTOR, raiseAlert } from "./alerts.js";

export type { BackupPorts } from "../data/backups.js";

export const BACKUP_ALERT_SUBJECT = { kind: "system", id: "backup" } as const;

// ---------------------------------------------------------------------------------------
// Audited writes to backups/{id}

interface Change {
  action: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string | null;
}

/** Creates backups/{id} unless it exists (a duplicate delivery of the same scheduled run). */
async function createRecord(id: string, doc: DocumentData, change: Change, now: number): Promise<boolean> {
  const db = firestore();
  const ref = backupRef(id);
  const chain = chains.system();
  return db.runTransaction(async (tx) => {
    const [snap, head] = await Promise.all([tx.get(ref), tx.get(chain.headDoc)]);
    if (snap.exists) return false;
    tx.set(ref, doc);
    new AuditAppender(tx, chain, headOf(head.data()), now).append({
      ...change,
      actor: SYSTEM_ACTOR,
      target: ref.path,
      requestId: null,
    });
    return true;
  });
}

/** Applies `patch` when `guard` accepts the stored document (else nothing, returns false). */
async function updateRecord(
  id: string,
  guard: (data: DocumentData) => boolean,
  patch: DocumentData,
  change: Change,
  now: number,
): Promise<boolean> {
  const db = firestore();
  const ref = backupRef(id);
  const chain = chains.system();
  return db.runTransaction(async (tx) => {
    const [snap, head] = await Promise.all([tx.get(ref), tx.get(chain.headDoc)]);
    const data = snap.data();
    if (!data || !guard(data)) return false;
    tx.update(ref, patch);
    new AuditAppender(tx, chain, headOf(head.data()), now).append({
      ...change,
      actor: SYSTEM_ACTOR,
      target: ref.path,
      requestId: null,
    });
    return true;
  });
}

const isRunning = (d: DocumentData) => d.status === ("running" satisfies BackupStatus);

async function markFailed(backupId: string, code: BackupFailureCode, detail: string, now: number): Promise<boolean> {
  const changed = await updateRecord(
    backupId,
    isRunning,
    failedPatch(code, detail, now),
    {
      action: "backup.fail",
      before: { status: "running" },
      after: { status: "failed", errorCode: code },
      reason: code,
    },
    now,
  );
  if (changed) {
    logs.backupFailed(backupId, code);
    await raiseAlert({ type: "backup_failed", subject: BACKUP_ALERT_SUBJECT, code, details: { backupId } }, now);
  }
  return changed;
}

function errorDetail(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = e && (typeof e.code === "number" || typeof e.code === "string") ? `code ${e.code}: ` : "";
  const message = e && typeof e.message === "string" ? e.message : String(err);
  return `${code}${message}`.slice(0, 300);
}

// ---------------------------------------------------------------------------------------
// Start

export interface StartExportOptions {
  now: number;
  /** The scheduled time of the run (names the record and the prefix); defaults to now. */
  scheduledAt?: number;
  /** BACKUP_BUCKET: "name" or "gs://name"; empty means not configured. */
  bucket: string | null | undefined;
  projectId?: string;
  databaseId?: string;
  ports: BackupPorts;
  trigger?: "schedule" | "manual";
}

export interface StartExportResult {
  backupId: string;
  /** "duplicate": a record for this scheduled run exists already; "not_due": the last export is recent (policy backup.exportEveryDays). */
  status: "running" | "failed" | "duplicate" | "not_due";
  outputUriPrefix: string | null;
  operationName: string | null;
  errorCode: BackupFailureCode | null;
}

export async function startManagedExport(opts: StartExportOptions): Promise<StartExportResult> {
  const now = opts.now;
  const scheduledAt = opts.scheduledAt ?? now;
  const backupId = backupIdFor(scheduledAt);
  const bucket = normalizeBucket(opts.bucket);
  const name = databaseName(opts.projectId ?? runtimeConfig().projectId, opts.databaseId);
  const outputUriPrefix = bucket.ok ? exportUriPrefix(bucket.bucket, scheduledAt, backupId) : null;
  const collectionIds = managedExportCollectionIds(DATA_TREE);

  const created = await createRecord(
    backupId,
    newBackupDoc({
      id: backupId,
      scheduledFor: scheduledAt,
      startedAt: now,
      databaseName: name,
      outputUriPrefix,
      collectionIds,
      trigger: opts.trigger ?? "schedule",
    }),
    {
      action: "backup.start",
      before: null,
      after: { status: "running", outputUriPrefix, databaseName: name },
      reason: opts.trigger ?? "schedule",
    },
    now,
  );
  if (!created) return { backupId, status: "duplicate", outputUriPrefix, operationName: null, errorCode: null };

  if (!bucket.ok) {
    await markFailed(
      backupId,
      bucket.code,
      bucket.code === "BUCKET_NOT_CONFIGURED"
        ? "CREDIT_DESK_BACKUP_BUCKET is empty"
        : "CREDIT_DESK_BACKUP_BUCKET is not a bucket name",
      now,
    );
    return { backupId, status: "failed", outputUriPrefix: null, operationName: null, errorCode: bucket.code };
  }

  let operationName: string;
  try {
    ({ operationName } = await opts.ports.exportDocuments({ name, outputUriPrefix: outputUriPrefix!, collectionIds }));
  } catch (err) {
    await markFailed(backupId, "EXPORT_START_FAILED", errorDetail(err), now);
    return { backupId, status: "failed", outputUriPrefix, operationName: null, errorCode: "EXPORT_START_FAILED" };
  }
  await updateRecord(
    backupId,
    isRunning,
    operationPatch(operationName),
    { action: "backup.export_started", before: { operationName: null }, after: { operationName }, reason: null },
    now,
  );
  logs.backupStarted(backupId, operationName);
  return { backupId, status: "running", outputUriPrefix, operationName, errorCode: null };
}

// ---------------------------------------------------------------------------------------
// Follow running exports

export interface CheckOptions {
  now: number;
  ports: BackupPorts;
  limits?: BackupLimits;
}

export interface CheckResult {
  running: number;
  succeeded: string[];
  failed: string[];
  /** Set when the staleness check raised (or found open) the alert. */
  stale: "NO_RECENT_BACKUP" | null;
}

/** Polls every running export once and records the ones that ended (or are stuck). */
export async function checkRunningBackups(opts: CheckOptions): Promise<Omit<CheckResult, "stale">> {
  const limits = opts.limits ?? DEFAULT_BACKUP_LIMITS;
  const running = (await listLiveBackups()).filter((r) => r.status === "running");
  const succeeded: string[] = [];
  const failed: string[] = [];
  for (const record of running) {
    let op: ExportOperationState | null = null;
    if (record.operationName) {
      try {
        op = await opts.ports.getOperation(record.operationName);
      } catch (err) {
        // Asking failed (transient): judged as still running; the timeout still applies.
        logs.backupWarning(record.id, "POLL_FAILED", errorDetail(err));
      }
    }
    const verdict = judgeRunning(record, op, opts.now, limits);
    if (verdict.kind === "succeeded") {
      const changed = await updateRecord(
        record.id,
        isRunning,
        succeededPatch(verdict.endedAt, verdict.documents, verdict.bytes),
        {
          action: "backup.succeed",
          before: { status: "running" },
          after: { status: "succeeded", documents: verdict.documents },
          reason: null,
        },
        opts.now,
      );
      if (changed) {
        succeeded.push(record.id);
        logs.backupFinished(record.id, "succeeded");
      }
    } else if (verdict.kind === "failed") {
      if (await markFailed(record.id, verdict.code, verdict.detail, opts.now)) failed.push(record.id);
    }
  }
  return { running: running.length - succeeded.length - failed.length, succeeded, failed };
}

/** The follow-up job's work: poll running exports, then alert when no recent export succeeded. */
export async function checkBackups(opts: Omit<CheckOptions, "ports"> & { ports?: BackupPorts }): Promise<CheckResult> {
  const result = await checkRunningBackups({ ...opts, ports: opts.ports ?? googleBackupPorts() });
  const stale = staleness(await listLiveBackups(), opts.now, opts.limits ?? DEFAULT_BACKUP_LIMITS);
  if (stale) await raiseAlert({ type: "backup_failed", subject: BACKUP_ALERT_SUBJECT, code: stale }, opts.now);
  return { ...result, stale };
}

// ---------------------------------------------------------------------------------------
// Retention

export interface RetentionOptions {
  now: number;
  ports: BackupPorts;
  /** From the credit policy (backup.retentionDays); default 35. */
  retentionDays?: number;
}

export interface RetentionResult {
  expired: string[];
  /** Records retention would delete but could not (storage error, or a URI it does not own). */
  skipped: string[];
}

/** Deletes exports older than the retention window, never the newest succeeded one. */
export async function applyRetention(opts: RetentionOptions): Promise<RetentionResult> {
  const retentionDays = opts.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const candidates = chooseExpired(await listLiveBackups(), opts.now, retentionDays);
  const expired: string[] = [];
  const skipped: string[] = [];
  for (const record of candidates) {
    let deletedObjects = 0;
    if (record.outputUriPrefix) {
      const location = parseExportUri(record.outputUriPrefix, record.id);
      if (!location) {
        logs.backupWarning(record.id, "RETENTION_UNEXPECTED_URI", null);
        skipped.push(record.id);
        continue;
      }
      try {
        deletedObjects = await opts.ports.deletePrefix(location);
      } catch (err) {
        logs.backupWarning(record.id, "RETENTION_DELETE_FAILED", errorDetail(err));
        skipped.push(record.id);
        continue;
      }
    }
    const changed = await updateRecord(
      record.id,
      (d) => d.expired !== true && d.status !== "running",
      expiredPatch(deletedObjects, opts.now),
      {
        action: "backup.expire",
        before: { expired: false },
        after: { expired: true, deletedObjects },
        reason: `retention_${retentionDays}d`,
      },
      opts.now,
    );
    if (changed) {
      expired.push(record.id);
      logs.backupExpired(record.id, deletedObjects);
    }
  }
  return { expired, skipped };
}

// ---------------------------------------------------------------------------------------
// The daily run

export interface DailyBackupOptions extends Omit<StartExportOptions, "ports"> {
  ports?: BackupPorts;
  retentionDays?: number;
  /** Start an export only when the last one started this many days ago (policy backup.exportEveryDays; default 1: every run). */
  exportEveryDays?: number;
  limits?: BackupLimits;
}

export interface DailyBackupResult {
  start: StartExportResult;
  check: Omit<CheckResult, "stale">;
  retention: RetentionResult;
}

/**
 * Follows up running exports, starts one when the policy's period has passed since the last
 * (`exportEveryDays`: weekly by default — a full export reads every stored document, while
 * Firestore's scheduled backups and point-in-time recovery are the primary recovery path:
 * docs/backup-and-restore.md), applies retention. Expected failures are recorded and alerted,
 * not thrown (a rethrow would only make the scheduler retry into a duplicate record);
 * unexpected ones (Firestore unavailable) propagate.
 */
export async function runDailyBackup(opts: DailyBackupOptions): Promise<DailyBackupResult> {
  const ports = opts.ports ?? googleBackupPorts();
  const check = await checkRunningBackups({ now: opts.now, ports, limits: opts.limits });
  const due = exportDue(await listLiveBackups(), opts.now, opts.exportEveryDays ?? 1);
  const start: StartExportResult = due
    ? await startManagedExport({ ...opts, ports })
    : {
        backupId: backupIdFor(opts.scheduledAt ?? opts.now),
        status: "not_due",
        outputUriPrefix: null,
        operationName: null,
        errorCode: null,
      };
  const retention = await applyRetention({ now: opts.now, ports, retentionDays: opts.retentionDays });
  return { start, check, retention };
}
