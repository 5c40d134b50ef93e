/** The local stack's backup: a folder for the bucket, the logical export for the managed one. */
import fs from "node:fs";
import path from "node:path";
import { auditKeyring } from "../config.js";
import type { BackupPorts } from "../data/backups.js";
import { firestore } from "../data/firebase.js";
import type { ExportOperationState } from "../domain/backup.js";

/**
 * The local stack's ports: the "bucket" is a folder (default: the OS temp dir), the export
 * is the logical export of tools/logicalBackup.ts, finished when it returns. The same
 * service path as production (records, audit, alerts, retention) runs against it.
 */
export function localBackupPorts(rootDir: string, projectId: string): BackupPorts {
  const dirOf = (bucket: string, objectPrefix: string) =>
    path.join(rootDir, bucket.replace(/^gs:\/\//, ""), objectPrefix);
  const done = new Map<string, ExportOperationState>();
  return {
    async exportDocuments(request) {
      const { bucket, objectPrefix } = splitGsUri(request.outputUriPrefix);
      const { exportLogical } = await import("../tools/logicalBackup.js");
      const operationName = `local-export/${objectPrefix}`;
      try {
        const r = await exportLogical(firestore(), {
          outDir: dirOf(bucket, objectPrefix),
          projectId,
          host: process.env.FIRESTORE_EMULATOR_HOST ?? null,
          keyring: auditKeyring(),
        });
        done.set(operationName, {
          done: true,
          error: null,
          endedAt: Date.now(),
          documents: r.manifest.totalDocuments,
          bytes: null,
        });
      } catch (err) {
        done.set(operationName, {
          done: true,
          error: { code: 13, message: (err as Error).name },
          endedAt: Date.now(),
          documents: null,
          bytes: null,
        });
      }
      return { operationName };
    },
    async getOperation(operationName) {
      return done.get(operationName) ?? { done: true, error: null, endedAt: null, documents: null, bytes: null };
    },
    async deletePrefix({ bucket, objectPrefix }) {
      const dir = dirOf(bucket, objectPrefix);
      const existed = fs.existsSync(dir);
      fs.rmSync(dir, { recursive: true, force: true });
      return existed ? 1 : 0;
    },
  };
}

function splitGsUri(uri: string): { bucket: string; objectPrefix: string } {
  const m = /^gs:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!m) throw new Error("not a gs:// uri");
  return { bucket: m[1]!, objectPrefix: m[2]! };
}
