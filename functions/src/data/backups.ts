/**
 * backups/{backupId}: one document per managed export run, and the adapters to the two
 * Google APIs a backup needs (the Firestore Admin API's export operations and Cloud
 * Storage for retention). The service takes those as ports so tests use stubs.
 */
import { Timestamp, v1, type DocumentData } from "firebase-admin/firestore";
import type { BackupFailureCode, BackupRecord, BackupStatus, ExportOperationState } from "../domain/backup.js";
import { app, firestore } from "./firebase.js";
import { COLLECTIONS, paths } from "./paths.js";

// ---------------------------------------------------------------------------------------
// Ports

export interface ExportRequest {
  /** projects/{project}/databases/{database} */
  name: string;
  /** gs://bucket/firestore/YYYY-MM-DD/{backupId} */
  outputUriPrefix: string;
  collectionIds: string[];
}

export interface BackupPorts {
  /** Starts a managed export; resolves with the long-running operation's name. */
  exportDocuments(request: ExportRequest): Promise<{ operationName: string }>;
  /** The state of an export operation. */
  getOperation(operationName: string): Promise<ExportOperationState>;
  /** Deletes every object under gs://{bucket}/{objectPrefix}; resolves with how many there were. */
  deletePrefix(location: { bucket: string; objectPrefix: string }): Promise<number>;
}

function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(typeof v === "object" ? String(v) : v); // Long from protobufjs stringifies to digits
  return Number.isFinite(n) ? n : null;
}

/** The fields of google.firestore.admin.v1.ExportDocumentsMetadata read here (Longs may be objects). */
interface ExportMetadata {
  endTime?: { seconds?: unknown; nanos?: number | null } | null;
  progressDocuments?: { completedWork?: unknown } | null;
  progressBytes?: { completedWork?: unknown } | null;
}

/** The production ports: FirestoreAdminClient (as in Google's scheduled-export guide) and Cloud Storage. */
export function googleBackupPorts(): BackupPorts {
  let client: InstanceType<typeof v1.FirestoreAdminClient> | undefined;
  const admin = () => (client ??= new v1.FirestoreAdminClient());
  return {
    async exportDocuments(request) {
      const [operation] = await admin().exportDocuments(request);
      const name = operation.name ?? operation.latestResponse?.name;
      if (!name) throw new Error("exportDocuments returned no operation name");
      return { operationName: name };
    },
    async getOperation(operationName) {
      const op = await admin().checkExportDocumentsProgress(operationName);
      if (!op.done) return { done: false };
      const status = op.error ?? op.latestResponse?.error ?? null;
      const meta = op.metadata as unknown as ExportMetadata | null;
      const end = meta?.endTime
        ? (num(meta.endTime.seconds) ?? 0) * 1000 + Math.floor((meta.endTime.nanos ?? 0) / 1e6)
        : null;
      return {
        done: true,
        error: status ? { code: num(status.code) ?? 2, message: String(status.message ?? "export failed") } : null,
        endedAt: end,
        documents: num(meta?.progressDocuments?.completedWork),
        bytes: num(meta?.progressBytes?.completedWork),
      };
    },
    async deletePrefix({ bucket, objectPrefix }) {
      // Loaded here, not at module load: every function shares index.js, and only retention needs Storage.
      const { getStorage } = await import("firebase-admin/storage");
      const b = getStorage(app()).bucket(bucket);
      const [files] = await b.getFiles({ prefix: objectPrefix, autoPaginate: true });
      if (files.length > 0) await b.deleteFiles({ prefix: objectPrefix, force: true });
      return files.length;
    },
  };
}

// ---------------------------------------------------------------------------------------
// Records

export function backupRef(backupId: string) {
  return firestore().doc(paths.backup(backupId));
}

const ms = (v: unknown): number | null => (v instanceof Timestamp ? v.toMillis() : typeof v === "number" ? v : null);

export function toBackupRecord(id: string, data: DocumentData): BackupRecord {
  return {
    id,
    status: data.status as BackupStatus,
    startedAt: ms(data.startedAt) ?? 0,
    endedAt: ms(data.endedAt),
    outputUriPrefix: typeof data.outputUriPrefix === "string" ? data.outputUriPrefix : null,
    operationName: typeof data.operationName === "string" ? data.operationName : null,
    expired: data.expired === true,
  };
}

/**
 * Every record whose export files still exist (running, failed or succeeded, not yet
 * expired). Bounded by the retention window, so it is read whole; an equality filter on
 * one field needs no composite index.
 */
export async function listLiveBackups(): Promise<BackupRecord[]> {
  const snap = await firestore().collection(COLLECTIONS.backups).where("expired", "==", false).get();
  return snap.docs.map((d) => toBackupRecord(d.id, d.data()));
}

export interface NewBackup {
  id: string;
  scheduledFor: number;
  startedAt: number;
  databaseName: string;
  outputUriPrefix: string | null;
  collectionIds: string[];
  trigger: "schedule" | "manual";
}

export function newBackupDoc(b: NewBackup): DocumentData {
  return {
    kind: "managed_export",
    trigger: b.trigger,
    status: "running" satisfies BackupStatus,
    scheduledFor: Timestamp.fromMillis(b.scheduledFor),
    startedAt: Timestamp.fromMillis(b.startedAt),
    endedAt: null,
    databaseName: b.databaseName,
    outputUriPrefix: b.outputUriPrefix,
    collectionIds: b.collectionIds,
    operationName: null,
    errorCode: null,
    errorDetail: null,
    documents: null,
    bytes: null,
    expired: false,
    expiredAt: null,
    deletedObjects: null,
  };
}

export function operationPatch(operationName: string): DocumentData {
  return { operationName };
}

export function failedPatch(code: BackupFailureCode, detail: string, now: number): DocumentData {
  return {
    status: "failed" satisfies BackupStatus,
    errorCode: code,
    errorDetail: detail.slice(0, 300),
    endedAt: Timestamp.fromMillis(now),
  };
}

export function succeededPatch(endedAt: number, documents: number | null, bytes: number | null): DocumentData {
  return { status: "succeeded" satisfies BackupStatus, endedAt: Timestamp.fromMillis(endedAt), documents, bytes };
}

export function expiredPatch(deletedObjects: number, now: number): DocumentData {
  return { expired: true, expiredAt: Timestamp.fromMillis(now), deletedObjects };
}
