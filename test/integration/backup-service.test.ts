/**
 * Managed exports through stubbed Google ports: the export call, following the
 * operation, failures raising the alert in the system audit chain, retention.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { Timestamp } from "firebase-admin/firestore";
import { firestore } from "../../functions/src/data/firebase.js";
import { fromStored, headOf } from "../../functions/src/data/audit.js";
import {
  backupRef,
  expiredPatch,
  failedPatch,
  newBackupDoc,
  operationPatch,
  succeededPatch,
  type BackupPorts,
  type ExportRequest,
} from "../../functions/src/data/backups.js";
import { ChainVerifier } from "../../functions/src/domain/audit.js";
import { auditKeyring } from "../../functions/src/config.js";
import {
  backupIdFor,
  backupLimitsFor,
  exportUriPrefix,
  managedExportCollectionIds,
  staleness,
  type ExportOperationState,
} from "../../functions/src/domain/backup.js";
import { DAY_MS, HOUR_MS } from "../../functions/src/domain/time.js";
import { DATA_TREE } from "../../functions/src/data/paths.js";
import {
  applyRetention,
  checkBackups,
  checkRunningBackups,
  runDailyBackup,
  startManagedExport,
} from "../../functions/src/services/backup.js";
import { dailyBackup } from "../../functions/src/jobs/dailyBackup.js";

const NOW = Date.UTC(2024, 4, 1, 2, 0, 3);
const SCHEDULED = Date.UTC(2024, 4, 1, 2, 0, 0);
const BUCKET = "gs://credit-desk-backups";
const ALERT = "alerts/system_backup_backup_failed";
const clearServer = () =>
  (globalThis as unknown as { __creditDeskFirestore?: { clear(): void } }).__creditDeskFirestore?.clear();

interface Stub extends BackupPorts {
  exports: ExportRequest[];
  polls: string[];
  deleted: Array<{ bucket: string; objectPrefix: string }>;
}

function stubPorts(
  opts: {
    op?: (name: string) => ExportOperationState | Promise<ExportOperationState>;
    exportFails?: Error;
    deleteFails?: (prefix: string) => boolean;
  } = {},
): Stub {
  const stub: Stub = {
    exports: [],
    polls: [],
    deleted: [],
    async exportDocuments(request) {
      stub.exports.push(request);
      if (opts.exportFails) throw opts.exportFails;
      return { operationName: `projects/demo-credit/databases/(default)/operations/op-${stub.exports.length}` };
    },
    async getOperation(name) {
      stub.polls.push(name);
      return opts.op ? opts.op(name) : { done: false };
    },
    async deletePrefix(location) {
      if (opts.deleteFails?.(location.objectPrefix)) throw new Error("storage unavailable");
      stub.deleted.push(location);
      return 3;
    },
  };
  return stub;
}

async function backupDoc(id: string) {
  return (await firestore().doc(`backups/${id}`).get()).data();
}

async function systemChain() {
  const db = firestore();
  const entries = (await db.collection("audit/system/entries").orderBy("seq").get()).docs.map((d) =>
    fromStored(d.data()),
  );
  const verifier = new ChainVerifier("system", auditKeyring());
  entries.forEach((e) => verifier.push(e));
  const verdict = verifier.finish(headOf((await db.doc("audit/system").get()).data()));
  return { entries, verdict };
}

beforeEach(() => {
  clearServer();
});

describe("daily managed export", () => {
  it("calls exportDocuments with the database name, bucket, dated prefix and collection list, and records the run", async () => {
    const ports = stubPorts();
    const res = await startManagedExport({ now: NOW, scheduledAt: SCHEDULED, bucket: BUCKET, ports });
    const id = "daily-20240501T020000Z";
    expect(res).toMatchObject({
      backupId: id,
      status: "running",
      operationName: "projects/demo-credit/databases/(default)/operations/op-1",
    });
    expect(ports.exports).toEqual([
      {
        name: "projects/demo-credit/databases/(default)",
        outputUriPrefix: `gs://credit-desk-backups/firestore/2024-05-01/${id}`,
        collectionIds: managedExportCollectionIds(DATA_TREE),
      },
    ]);
    // every collection id, at any depth, once
    expect(ports.exports[0]!.collectionIds).toEqual(
      expect.arrayContaining([
        "alerts",
        "applications",
        "audit",
        "backups",
        "config",
        "customers",
        "entries",
        "identities",
        "ledger",
        "limitRequests",
        "private",
        "processedEvents",
        "requests",
        "reviews",
        "transactions",
      ]),
    );
    expect(new Set(ports.exports[0]!.collectionIds).size).toBe(ports.exports[0]!.collectionIds.length);
    const doc = await backupDoc(id);
    expect(doc).toMatchObject({
      status: "running",
      outputUriPrefix: `gs://credit-desk-backups/firestore/2024-05-01/${id}`,
      operationName: res.operationName,
      endedAt: null,
      expired: false,
    });
    expect((doc?.startedAt as Timestamp).toMillis()).toBe(NOW);

    const { entries, verdict } = await systemChain();
    expect(verdict.ok).toBe(true);
    expect(entries.map((e) => e.action)).toEqual(["backup.start", "backup.export_started"]);
    expect(entries.every((e) => e.target === `backups/${id}` && e.actor.uid === "system")).toBe(true);
  });

  it("a duplicate delivery of the same scheduled run starts nothing", async () => {
    const ports = stubPorts();
    await startManagedExport({ now: NOW, scheduledAt: SCHEDULED, bucket: BUCKET, ports });
    const again = await startManagedExport({ now: NOW + 60_000, scheduledAt: SCHEDULED, bucket: BUCKET, ports });
    expect(again.status).toBe("duplicate");
    expect(ports.exports).toHaveLength(1);
  });

  it("follows the operation to success", async () => {
    const ports = stubPorts({
      op: () => ({ done: true, error: null, endedAt: NOW + 20 * 60_000, documents: 1234, bytes: 56789 }),
    });
    const { backupId, operationName } = await startManagedExport({
      now: NOW,
      scheduledAt: SCHEDULED,
      bucket: BUCKET,
      ports,
    });
    const res = await checkRunningBackups({ now: NOW + 30 * 60_000, ports });
    expect(res).toEqual({ running: 0, succeeded: [backupId], failed: [] });
    expect(ports.polls).toEqual([operationName]);
    const doc = await backupDoc(backupId);
    expect(doc).toMatchObject({ status: "succeeded", documents: 1234, bytes: 56789 });
    expect((doc?.endedAt as Timestamp).toMillis()).toBe(NOW + 20 * 60_000);
    expect((await firestore().doc(ALERT).get()).exists).toBe(false);
    expect((await systemChain()).entries.map((e) => e.action)).toEqual([
      "backup.start",
      "backup.export_started",
      "backup.succeed",
    ]);
    // nothing left to poll
    expect(await checkRunningBackups({ now: NOW + 60 * 60_000, ports })).toEqual({
      running: 0,
      succeeded: [],
      failed: [],
    });
    expect(ports.polls).toHaveLength(1);
  });

  it("a failed operation marks the run failed and raises the alert in the system chain", async () => {
    const ports = stubPorts({
      op: () => ({ done: true, error: { code: 7, message: "The caller does not have permission" } }),
    });
    const { backupId } = await startManagedExport({ now: NOW, scheduledAt: SCHEDULED, bucket: BUCKET, ports });
    const res = await checkBackups({ now: NOW + 30 * 60_000, ports });
    expect(res.failed).toEqual([backupId]);
    const doc = await backupDoc(backupId);
    expect(doc).toMatchObject({ status: "failed", errorCode: "EXPORT_FAILED" });
    expect(doc?.errorDetail).toContain("code 7");
    expect(doc?.endedAt).toBeInstanceOf(Timestamp);

    const alert = (await firestore().doc(ALERT).get()).data();
    expect(alert).toMatchObject({
      type: "backup_failed",
      status: "open",
      severity: "critical",
      code: "EXPORT_FAILED",
      subject: { kind: "system", id: "backup" },
      details: { backupId },
    });

    const { entries, verdict } = await systemChain();
    expect(verdict.ok).toBe(true);
    expect(entries.map((e) => e.action)).toEqual([
      "backup.start",
      "backup.export_started",
      "backup.fail",
      "alert.raise",
    ]);
    expect(entries[3]).toMatchObject({ target: ALERT, reason: "EXPORT_FAILED" });
  });

  it("a failure to start the export is recorded and alerted", async () => {
    const ports = stubPorts({
      exportFails: Object.assign(new Error("PERMISSION_DENIED: missing datastore.databases.export"), { code: 7 }),
    });
    const res = await startManagedExport({ now: NOW, scheduledAt: SCHEDULED, bucket: BUCKET, ports });
    expect(res).toMatchObject({ status: "failed", errorCode: "EXPORT_START_FAILED" });
    expect(await backupDoc(res.backupId)).toMatchObject({
      status: "failed",
      errorCode: "EXPORT_START_FAILED",
      operationName: null,
    });
    expect((await firestore().doc(ALERT).get()).data()).toMatchObject({ status: "open", code: "EXPORT_START_FAILED" });
    expect((await systemChain()).entries.map((e) => e.action)).toEqual(["backup.start", "backup.fail", "alert.raise"]);
  });

  it("a missing bucket is recorded as failed and alerted, without calling Google", async () => {
    const ports = stubPorts();
    const res = await startManagedExport({ now: NOW, scheduledAt: SCHEDULED, bucket: "", ports });
    expect(res).toMatchObject({ status: "failed", errorCode: "BUCKET_NOT_CONFIGURED", outputUriPrefix: null });
    expect(ports.exports).toHaveLength(0);
    expect(await backupDoc(res.backupId)).toMatchObject({ status: "failed", errorCode: "BUCKET_NOT_CONFIGURED" });
    expect((await firestore().doc(ALERT).get()).data()).toMatchObject({
      status: "open",
      code: "BUCKET_NOT_CONFIGURED",
    });
  });

  it("the deployed job wires the param: no bucket configured → failed run and alert", async () => {
    delete process.env.CREDIT_DESK_BACKUP_BUCKET;
    await dailyBackup.run({ scheduleTime: new Date(SCHEDULED).toISOString() } as Parameters<typeof dailyBackup.run>[0]);
    expect(await backupDoc("daily-20240501T020000Z")).toMatchObject({
      status: "failed",
      errorCode: "BUCKET_NOT_CONFIGURED",
    });
    expect((await firestore().doc(ALERT).get()).data()).toMatchObject({
      status: "open",
      code: "BUCKET_NOT_CONFIGURED",
    });
  });

  it("an export still running after 24 h is declared failed; a poll error alone is not a failure", async () => {
    let fail = true;
    const ports = stubPorts({
      op: () => {
        if (fail) throw new Error("UNAVAILABLE");
        return { done: false };
      },
    });
    const { backupId } = await startManagedExport({ now: NOW, scheduledAt: SCHEDULED, bucket: BUCKET, ports });
    expect(await checkRunningBackups({ now: NOW + HOUR_MS, ports })).toEqual({ running: 1, succeeded: [], failed: [] });
    expect((await backupDoc(backupId))?.status).toBe("running");
    fail = false;
    expect((await checkRunningBackups({ now: NOW + 25 * HOUR_MS, ports })).failed).toEqual([backupId]);
    expect((await firestore().doc(ALERT).get()).data()).toMatchObject({ code: "EXPORT_TIMEOUT" });
  });

  it("alerts when no export has succeeded for two days", async () => {
    const ports = stubPorts();
    const db = firestore();
    const id = backupIdFor(NOW - 3 * DAY_MS);
    await db.doc(`backups/${id}`).set({
      ...newBackupDoc({
        id,
        scheduledFor: NOW - 3 * DAY_MS,
        startedAt: NOW - 3 * DAY_MS,
        databaseName: "x",
        outputUriPrefix: null,
        collectionIds: [],
        trigger: "schedule",
      }),
      ...succeededPatch(NOW - 3 * DAY_MS + HOUR_MS, 1, 1),
    });
    const res = await checkBackups({ now: NOW, ports });
    expect(res.stale).toBe("NO_RECENT_BACKUP");
    expect((await db.doc(ALERT).get()).data()).toMatchObject({ status: "open", code: "NO_RECENT_BACKUP" });
  });
});

describe("retention", () => {
  async function seedRecord(
    id: string,
    ageDays: number,
    status: "succeeded" | "failed" | "running",
    opts: { expired?: boolean; uri?: string | null } = {},
  ) {
    const at = NOW - ageDays * DAY_MS;
    const uri = opts.uri === undefined ? exportUriPrefix("credit-desk-backups", at, id) : opts.uri;
    const doc = {
      ...newBackupDoc({
        id,
        scheduledFor: at,
        startedAt: at,
        databaseName: "projects/demo-credit/databases/(default)",
        outputUriPrefix: uri,
        collectionIds: [],
        trigger: "schedule",
      }),
      ...operationPatch(`op-${id}`),
    };
    const patch =
      status === "succeeded"
        ? succeededPatch(at + HOUR_MS, 10, 10)
        : status === "failed"
          ? failedPatch("EXPORT_FAILED", "x", at + HOUR_MS)
          : {};
    await backupRef(id).set({ ...doc, ...patch, ...(opts.expired ? expiredPatch(3, at + 40 * DAY_MS) : {}) });
  }

  it("deletes exports older than retention and keeps the newer ones and running ones", async () => {
    await seedRecord("b60", 60, "succeeded", { expired: true });
    await seedRecord("b50", 50, "succeeded");
    await seedRecord("b40", 40, "failed");
    await seedRecord("b39", 39, "failed", { uri: null }); // failed before anything was written
    await seedRecord("b36", 36, "running");
    await seedRecord("b20", 20, "succeeded");
    await seedRecord("b1", 1, "succeeded");
    const ports = stubPorts();
    const res = await applyRetention({ now: NOW, ports, retentionDays: 35 });
    expect(res).toEqual({ expired: ["b50", "b40", "b39"], skipped: [] });
    expect(ports.deleted.map((d) => d.objectPrefix)).toEqual([
      `firestore/${new Date(NOW - 50 * DAY_MS).toISOString().slice(0, 10)}/b50/`,
      `firestore/${new Date(NOW - 40 * DAY_MS).toISOString().slice(0, 10)}/b40/`,
    ]);
    expect(ports.deleted.every((d) => d.bucket === "credit-desk-backups")).toBe(true);
    expect(await backupDoc("b50")).toMatchObject({ expired: true, deletedObjects: 3, status: "succeeded" });
    expect(await backupDoc("b39")).toMatchObject({ expired: true, deletedObjects: 0 });
    for (const id of ["b36", "b20", "b1"]) expect((await backupDoc(id))?.expired).toBe(false);
    const { entries, verdict } = await systemChain();
    expect(verdict.ok).toBe(true);
    expect(entries.map((e) => `${e.action} ${e.target}`)).toEqual([
      "backup.expire backups/b50",
      "backup.expire backups/b40",
      "backup.expire backups/b39",
    ]);
    // running it again changes nothing
    expect(await applyRetention({ now: NOW, ports, retentionDays: 35 })).toEqual({ expired: [], skipped: [] });
  });

  it("keeps the newest succeeded export even when it is older than retention", async () => {
    await seedRecord("b90", 90, "succeeded");
    await seedRecord("b80", 80, "succeeded");
    await seedRecord("b5", 5, "failed");
    await seedRecord("b2", 2, "failed");
    const ports = stubPorts();
    const res = await applyRetention({ now: NOW, ports, retentionDays: 35 });
    expect(res.expired).toEqual(["b90"]);
    expect((await backupDoc("b80"))?.expired).toBe(false);
  });

  it("never deletes outside the record's own prefix, and retries what storage could not delete", async () => {
    await seedRecord("b50", 50, "succeeded", { uri: "gs://credit-desk-backups/" });
    await seedRecord("b45", 45, "succeeded");
    await seedRecord("b1", 1, "succeeded");
    const ports = stubPorts({ deleteFails: (p) => p.includes("b45") });
    expect(await applyRetention({ now: NOW, ports, retentionDays: 35 })).toEqual({
      expired: [],
      skipped: ["b50", "b45"],
    });
    expect(ports.deleted).toEqual([]);
    expect((await backupDoc("b45"))?.expired).toBe(false);
    const healthy = stubPorts();
    expect((await applyRetention({ now: NOW, ports: healthy, retentionDays: 35 })).expired).toEqual(["b45"]);
  });

  it("the daily run follows up, starts and applies retention in one go", async () => {
    await seedRecord("b50", 50, "succeeded");
    const ports = stubPorts();
    const res = await runDailyBackup({ now: NOW, scheduledAt: SCHEDULED, bucket: BUCKET, ports, retentionDays: 35 });
    expect(res.start.status).toBe("running");
    expect(res.retention.expired).toEqual([]); // b50 is the newest succeeded: kept while today's runs
    expect(ports.exports).toHaveLength(1);
  });

  it("weekly by policy: a run within seven days of the last export starts nothing (a failed one does not count); the alert waits for the period plus 48 hours", async () => {
    await seedRecord("b3", 3, "succeeded");
    await seedRecord("b1", 1, "failed");
    const ports = stubPorts();
    const quiet = await runDailyBackup({
      now: NOW,
      scheduledAt: SCHEDULED,
      bucket: BUCKET,
      ports,
      retentionDays: 35,
      exportEveryDays: 7,
    });
    expect(quiet.start.status).toBe("not_due");
    expect(ports.exports).toHaveLength(0);
    expect(await backupDoc(quiet.start.backupId)).toBeUndefined();
    const weekLater = await runDailyBackup({
      now: NOW + 4 * DAY_MS,
      scheduledAt: SCHEDULED + 4 * DAY_MS,
      bucket: BUCKET,
      ports,
      retentionDays: 35,
      exportEveryDays: 7,
    });
    expect(weekLater.start.status).toBe("running");
    expect(ports.exports).toHaveLength(1);
    // Staleness follows the period: eight days without a success is fine weekly, not daily.
    const records = [
      {
        id: "s",
        status: "succeeded" as const,
        startedAt: NOW - 8 * DAY_MS,
        endedAt: null,
        outputUriPrefix: null,
        operationName: null,
        expired: false,
      },
    ];
    expect(staleness(records, NOW, backupLimitsFor(7))).toBeNull();
    expect(staleness(records, NOW, backupLimitsFor(1))).toBe("NO_RECENT_BACKUP");
    expect(staleness(records, NOW + 2 * DAY_MS, backupLimitsFor(7))).toBe("NO_RECENT_BACKUP");
  });
});
