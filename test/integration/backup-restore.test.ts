/**
 * The restore drill: seed a portfolio with every kind of document, export it, wipe the
 * database, restore, and compare every document field by field, types included.
 * Plus the ways a restore must refuse: no manifest (interrupted export), a non-empty
 * target, a tampered file.
 */
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { chmod, cp, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GeoPoint, Timestamp, type DocumentData, type Firestore } from "firebase-admin/firestore";
import { auditKeyring } from "../../functions/src/config.js";
import { firestore } from "../../functions/src/data/firebase.js";
import { AuditAppender, chains, headOf } from "../../functions/src/data/audit.js";
import { paths } from "../../functions/src/data/paths.js";
import { raiseAlert } from "../../functions/src/services/alerts.js";
import { runAuditSeal } from "../../functions/src/services/auditSeal.js";
import { collectionPatterns } from "../../functions/src/domain/backup.js";
import { parseAuditKeyring } from "../../functions/src/domain/audit.js";
import { DATA_TREE } from "../../functions/src/data/paths.js";
import {
  FirestoreDouble,
  dumpDatabase,
  exportLogical,
  importLogical,
  isDatabaseEmpty,
  openBackupDatabase,
  walkTree,
  wipeDatabase,
  type Progress,
} from "../../functions/src/tools/logicalBackup.js";

const NOW = Date.UTC(2024, 4, 1, 9, 30, 0);
const KEYRING = auditKeyring();
const db = openBackupDatabase("demo-credit");
const clearServer = () =>
  (globalThis as unknown as { __creditDeskFirestore?: { clear(): void } }).__creditDeskFirestore?.clear();
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "credit-backup-"));
  dirs.push(d);
  return d;
}

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  await db.terminate();
});

async function auditAppend(chain: ReturnType<typeof chains.customer>, action: string, target: string) {
  const app = firestore();
  await app.runTransaction(async (tx) => {
    const head = await tx.get(chain.headDoc);
    new AuditAppender(tx, chain, headOf(head.data()), NOW).append({
      action,
      actor: { uid: "u-analyst", role: "analyst" },
      target,
      before: null,
      after: { status: "active" },
      reason: null,
      requestId: "r1",
    });
  });
}

/** Every kind of document the system holds, with every Firestore value type. */
async function seedPortfolio(customers = 3, transactionsPerCustomer = 4): Promise<void> {
  const app = firestore();
  const ts = (ms: number) => Timestamp.fromMillis(ms);
  let batch = app.batch();
  let n = 0;
  const flush = async (force = false) => {
    if (n >= 400 || (force && n > 0)) {
      await batch.commit();
      batch = app.batch();
      n = 0;
    }
  };
  for (let i = 1; i <= customers; i++) {
    const id = `c${i}`;
    batch.set(app.doc(paths.customer(id)), {
      name: `Customer ${i} — Müller & Söhne 株式会社`,
      status: "active",
      tier: i % 2 ? "premium" : "standard",
      grade: "B",
      limit: 50_000_00 * i,
      exposure: 12_345_67,
      utilization: 0.2469,
      scoreAsDouble: new FirestoreDouble(70),
      terms: { days: 30, discount: { days: 10, pct: 0.02 } },
      flags: ["watch", "new"],
      ownerRef: app.doc(`users/sales-${i}`),
      location: new GeoPoint(47.3769, 8.5417),
      fingerprint: Buffer.from([1, 2, 3, i]),
      nextReviewAt: ts(NOW + 90 * 86_400_000),
      createdAt: new Timestamp(1_700_000_000, 123_456_789),
      aggregates: { openBalance: 1_000_00, buckets: { current: 1, d30: 0, d60: 0, d90: 0 }, volume12m: [1, 2, 3.5] },
      notes: null,
      emptyMap: {},
      emptyList: [],
      "field.with.dots": true,
      weird: { $ts: "user data that looks like a tag" },
      specials: { negZero: -0, nan: NaN, inf: Infinity },
    });
    batch.set(app.doc(paths.customerPrivate(id, "financials")), {
      statements: [{ year: 2023, revenue: 1_000_000_00, equity: 250_000_00, currentRatio: 1.7 }],
      updatedAt: ts(NOW),
    });
    batch.set(app.doc(paths.customerPrivate(id, "assessment")), {
      score: 71,
      factors: { payment: 80.5, financial: 60 },
      reasonCodes: ["LOW_EQUITY"],
      fraudSignals: [],
    });
    batch.set(app.doc(paths.customerPrivate(id, "contacts")), {
      people: [{ name: "A. Person", email: "a@example.com" }],
    });
    for (let t = 1; t <= transactionsPerCustomer; t++) {
      const txId = `t${t}`;
      batch.set(app.doc(paths.transaction(id, txId)), {
        kind: t % 2 ? "invoice" : "payment",
        amount: 1_000_00 * t,
        currency: "EUR",
        issuedAt: ts(NOW - t * 86_400_000),
        dueAt: ts(NOW + t * 86_400_000),
        version: 1,
        lines: [{ sku: "X", qty: 2, price: 12.5 }],
      });
      batch.set(app.doc(paths.ledgerEntry(id, txId)), {
        applied: { openDelta: 1_000_00 * t },
        version: 1,
        at: ts(NOW),
      });
      n += 2;
      await flush();
    }
    batch.set(app.doc(`${paths.reviews(id)}/r1`), { score: 71, grade: "B", at: ts(NOW), kind: "monthly" });
    batch.set(app.doc(`${paths.statusChanges(id)}/s1`), {
      customerId: id,
      after: { status: "on_hold" },
      note: "dispute",
      reasonCodes: ["MANUAL_HOLD"],
      decidedBy: "u-manager",
      decidedByRole: "manager",
      decidedAt: ts(NOW),
    });
    n += 6;
    await flush();
  }
  await flush(true);
  await app.doc(paths.application("a1")).set({
    status: "submitted",
    company: { name: "Prospect GmbH", founded: 2011 },
    requestedLimit: 20_000_00,
    submittedAt: ts(NOW),
  });
  await app
    .doc(`${paths.application("a1")}/private/assessment`)
    .set({ score: 64, grade: "C", reasonCodes: ["SHORT_HISTORY"], at: ts(NOW) });
  await app
    .doc(paths.limitRequest("l1"))
    .set({ customerId: "c1", from: 50_000_00, to: 75_000_00, requestedBy: "u-sales", status: "pending" });
  await app.doc(paths.creditGroup("g1")).set({
    name: "Group One",
    currency: "USD",
    groupLimit: 100_000_00,
    memberIds: ["c1"],
    claims: { c1: { amount: 5_000_00, currency: "USD", changedAt: ts(NOW) } },
    exposure: 5_000_00,
    availableCredit: 95_000_00,
    exposureInBase: 5_000_00,
    updatedAt: ts(NOW),
  });
  await app
    .doc(paths.confidentialityAck("u-analyst"))
    .set({ uid: "u-analyst", version: 1, acknowledgedAt: ts(NOW), until: ts(NOW + 365 * 86_400_000) });
  await app.doc(paths.applicant("u-applicant")).set({ open: 1, updatedAt: ts(NOW) });
  await app.doc(paths.trainingRecord("t1")).set({ uid: "u-analyst", course: "Confidentiality", completedAt: ts(NOW) });
  await app.doc(paths.orderBlock("b1")).set({
    customerId: "c1",
    ownerUid: "u-sales",
    orderRef: "PO-1",
    amount: 9_000_00,
    reasons: ["EXCEEDS_AVAILABLE_CREDIT"],
    status: "open",
    createdAt: ts(NOW),
  });
  await app.doc(paths.dispute("d1")).set({
    customerId: "c1",
    ownerUid: "u-sales",
    invoiceExternalId: "INV-c1-1",
    amount: 1_000_00,
    status: "open",
    reasonCodes: [],
    openedAt: ts(NOW),
  });
  await app.doc(paths.termsChange("tc1")).set({
    customerId: "c1",
    requestedBy: "u-sales",
    currentTermsDays: 30,
    paymentTermsDays: 45,
    status: "pending",
    createdAt: ts(NOW),
  });
  await app.doc(paths.classOverride("co1")).set({
    customerId: "c1",
    tier: "standard",
    computedTier: "premium",
    reason: "watch list",
    expiresAt: ts(NOW + 30 * 86_400_000),
    reasonCodes: ["CLASS_OVERRIDDEN_TO_STANDARD"],
  });
  await app.doc(paths.report("2024-04")).set({
    period: "2024-04",
    source: "monthlyJob",
    takenAt: ts(NOW),
    totals: { customers: 30, exposure: 90_000_00 },
    migration: { period: "2024-04", reviewed: 30, matrix: { premium: { premium: 10, standard: 1, risky: 0 } } },
    cei: null,
  });
  await app.doc(paths.simulation("s1")).set({
    status: "done",
    part: 2,
    cursor: { afterMs: NOW, seenAtAfter: ["c1"] },
    tally: { evaluated: 30 },
    candidatePolicyJson: "{}",
    createdAt: ts(NOW),
    result: null,
  });
  await app
    .doc(paths.policy())
    .set({ version: 3, groupWeights: { payment: 40, financial: 30, trading: 15, profile: 15 } });
  await app.doc(paths.backup("daily-20240430T020000Z")).set({
    status: "succeeded",
    startedAt: ts(NOW - 86_400_000),
    endedAt: ts(NOW - 86_000_000),
    outputUriPrefix: "gs://b/firestore/2024-04-30/daily-20240430T020000Z",
    expired: false,
  });
  await app
    .doc(paths.request("k1"))
    .set({ callable: "submitApplication", uid: "u1", result: { applicationId: "a1" }, at: ts(NOW) });
  await app.doc(paths.identity("taxId_DE123")).set({ customers: ["c1"], applications: ["a1"] });
  await app.doc(paths.processedEvent("evt-1")).set({ at: ts(NOW) });
  await app.doc(paths.invoiceOwner("INV-c1-1")).set({ customerId: "c1" });
  // alerts and the system chain (audit/system exists), a customer and an application chain (no audit/{chainId} document)
  await raiseAlert({ type: "backup_failed", subject: { kind: "system", id: "backup" }, code: "EXPORT_FAILED" }, NOW);
  await raiseAlert({ type: "overdue_30", subject: { kind: "customer", id: "c1" }, code: "OVERDUE_30" }, NOW);
  await auditAppend(chains.customer("c1"), "customer.create", paths.customer("c1"));
  await auditAppend(chains.customer("c1"), "limit.change", paths.customer("c1"));
  await auditAppend(chains.application("a1"), "application.submit", paths.application("a1"));
}

/** Every document of the tree, raw (as the SDK returns it with useBigInt). */
async function rawDocs(d: Firestore): Promise<Map<string, DocumentData>> {
  const out = new Map<string, DocumentData>();
  await walkTree(d, (_p, path, data) => {
    out.set(path, data);
  });
  return new Map([...out.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

beforeEach(() => {
  clearServer();
});

describe("logical backup and restore drill", () => {
  it("restores every document field by field, types included", async () => {
    await seedPortfolio();
    const beforeTagged = await dumpDatabase(db);
    const beforeRaw = await rawDocs(db);
    const patternsSeen = new Set<string>();
    await walkTree(db, (p) => {
      patternsSeen.add(p);
    });
    expect([...patternsSeen].sort()).toEqual(collectionPatterns(DATA_TREE).sort()); // the seed covers every kind
    expect(beforeRaw.has("audit/customer_c1/entries/000000000002")).toBe(true); // parent document does not exist
    expect(beforeRaw.has("audit/application_a1/entries/000000000001")).toBe(true);
    expect(beforeRaw.has("alerts/system_backup_backup_failed")).toBe(true);

    const dir = await tempDir();
    const { manifest } = await exportLogical(db, {
      keyring: KEYRING,
      outDir: dir,
      projectId: "demo-credit",
      host: process.env.FIRESTORE_EMULATOR_HOST ?? null,
      now: NOW,
    });
    expect(manifest.totalDocuments).toBe(beforeRaw.size);
    expect(manifest.collections.find((c) => c.collection === "customers/*/transactions")?.documents).toBe(12);
    expect(manifest.collections.find((c) => c.collection === "audit/*/entries")?.documents).toBe(5);
    expect((await readdir(dir)).sort()).toContain("manifest.json");

    const deleted = await wipeDatabase(db);
    expect(deleted).toBe(beforeRaw.size);
    expect(await isDatabaseEmpty(db)).toBe(true);
    expect((await dumpDatabase(db)).size).toBe(0);

    const result = await importLogical(db, { keyring: KEYRING, dir });
    expect(result.written).toBe(beforeRaw.size);
    expect(result.verified.contentHash).toBe(manifest.contentHash);
    expect(result.extraDocuments).toBe(0);
    expect(result.chains).toEqual({ chains: 3, entries: 5, broken: [] }); // system, customer_c1, application_a1

    const afterTagged = await dumpDatabase(db);
    const afterRaw = await rawDocs(db);
    expect([...afterTagged.keys()]).toEqual([...beforeTagged.keys()]);
    for (const [path, data] of beforeTagged) expect(afterTagged.get(path), path).toEqual(data);
    for (const [path, data] of beforeRaw) expect(afterRaw.get(path), path).toEqual(data);

    // the types themselves, spelled out
    const c1 = afterRaw.get("customers/c1")!;
    expect(typeof c1.limit).toBe("bigint"); // integer
    expect(typeof c1.utilization).toBe("number"); // double
    expect(c1.scoreAsDouble).toBe(70); // an integral double stays a double (number, not bigint)
    expect(Object.is(c1.specials.negZero, -0)).toBe(true);
    expect(c1.specials.nan).toBeNaN();
    expect(c1.createdAt).toBeInstanceOf(Timestamp);
    expect(c1.createdAt.nanoseconds).toBe(123_456_789);
    expect(c1.location).toBeInstanceOf(GeoPoint);
    expect(c1.ownerRef.path).toBe("users/sales-1");
    expect(Buffer.isBuffer(c1.fingerprint)).toBe(true);
    expect(c1.weird).toEqual({ $ts: "user data that looks like a tag" });
    expect(c1["field.with.dots"]).toBe(true);
    expect(c1.emptyMap).toEqual({});
  }, 60_000);

  it("restores into an in-process server cleared outright, with progress, batches over 500", async () => {
    await seedPortfolio(45, 10); // 45 × (1 + 3 + 20 + 1) + the rest ≈ 1,140 documents
    const before = await dumpDatabase(db);
    const dir = await tempDir();
    const exportProgress: Progress[] = [];
    await exportLogical(db, {
      keyring: KEYRING,
      outDir: dir,
      projectId: "demo-credit",
      onProgress: (p) => exportProgress.push(p),
    });
    expect(exportProgress.filter((p) => p.documents % 500 === 0 && p.documents > 0).length).toBeGreaterThanOrEqual(2);

    clearServer();
    expect(await isDatabaseEmpty(db)).toBe(true);
    const importProgress: Progress[] = [];
    const result = await importLogical(db, { keyring: KEYRING, dir, onProgress: (p) => importProgress.push(p) });
    expect(result.written).toBe(before.size);
    expect(importProgress.some((p) => p.phase === "write" && p.documents >= 1000)).toBe(true);
    expect(await dumpDatabase(db)).toEqual(before);
  }, 120_000);

  it("an export interrupted half-way leaves no manifest, and restore refuses the directory", async () => {
    await seedPortfolio();
    const dir = await tempDir();
    await expect(
      exportLogical(db, {
        keyring: KEYRING,
        outDir: dir,
        projectId: "demo-credit",
        faultInjection: { afterDocuments: 20 },
      }),
    ).rejects.toThrow(/INJECTED_FAULT/);
    const files = await readdir(dir);
    expect(files).not.toContain("manifest.json");
    expect(files).not.toContain("manifest.json.tmp");
    expect(files.some((f) => f.endsWith(".jsonl"))).toBe(true); // partial data is there, unclaimed

    clearServer();
    await expect(importLogical(db, { keyring: KEYRING, dir })).rejects.toThrow(/NO_MANIFEST/);
    expect(await isDatabaseEmpty(db)).toBe(true);
  });

  it("refuses to export into a directory that is not empty", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "old.txt"), "x");
    await expect(exportLogical(db, { keyring: KEYRING, outDir: dir, projectId: "demo-credit" })).rejects.toThrow(
      /OUT_DIR_NOT_EMPTY/,
    );
  });

  it("refuses to restore into a non-empty database unless forced", async () => {
    await seedPortfolio(2, 2);
    const dir = await tempDir();
    const { manifest } = await exportLogical(db, { keyring: KEYRING, outDir: dir, projectId: "demo-credit" });
    const app = firestore();
    await app.doc("customers/c1").update({ status: "changed-after-backup" });
    await app.doc("customers/c99").set({ status: "not in backup" });

    await expect(importLogical(db, { keyring: KEYRING, dir })).rejects.toThrow(/TARGET_NOT_EMPTY/);
    expect((await app.doc("customers/c1").get()).data()?.status).toBe("changed-after-backup"); // nothing written

    // only an orphan subcollection left (top level empty): still not empty
    clearServer();
    await app.doc("audit/customer_c1/entries/000000000001").set({ seq: 1 });
    await expect(importLogical(db, { keyring: KEYRING, dir })).rejects.toThrow(/TARGET_NOT_EMPTY/);

    // --force writes over it, verifies the backup's documents, reports the extra ones
    await app.doc("customers/c99").set({ status: "not in backup" });
    const forced = await importLogical(db, { keyring: KEYRING, dir, force: true });
    expect(forced.verified.contentHash).toBe(manifest.contentHash);
    expect(forced.extraDocuments).toBe(1);
    expect((await app.doc("customers/c1").get()).data()?.status).toBe("active");
  });

  it("a tampered file fails the hash check before anything is written", async () => {
    await seedPortfolio(2, 2);
    const dir = await tempDir();
    await exportLogical(db, { keyring: KEYRING, outDir: dir, projectId: "demo-credit" });
    clearServer();

    // 1. one value changed in place
    const bad1 = await tempDir();
    await cp(dir, bad1, { recursive: true });
    const file = join(bad1, "customers.jsonl");
    const text = await readFile(file, "utf8");
    expect(text).toContain('"grade":"B"');
    await writeFile(file, text.replace('"grade":"B"', '"grade":"A"'));
    await expect(importLogical(db, { keyring: KEYRING, dir: bad1 })).rejects.toThrow(/HASH_MISMATCH.*customers\.jsonl/);
    expect(await isDatabaseEmpty(db)).toBe(true);

    // 2. the file's own hash in the manifest updated too: the manifest's signature no longer holds
    const bad2 = await tempDir();
    await cp(bad1, bad2, { recursive: true });
    const manifestPath = join(bad2, "manifest.json");
    const manifest = JSON.parse(await readFile(manifestPath, "utf8"));
    const { createHash } = await import("node:crypto");
    const entry = manifest.collections.find((c: { file: string }) => c.file === "customers.jsonl");
    entry.sha256 = createHash("sha256")
      .update(await readFile(join(bad2, "customers.jsonl")))
      .digest("hex");
    await writeFile(manifestPath, JSON.stringify(manifest));
    await expect(importLogical(db, { keyring: KEYRING, dir: bad2 })).rejects.toThrow(/BAD_SIGNATURE/);
    expect(await isDatabaseEmpty(db)).toBe(true);

    // 3. a line dropped from a file
    const bad3 = await tempDir();
    await cp(dir, bad3, { recursive: true });
    const txFile = join(bad3, "customers__transactions.jsonl");
    const lines = (await readFile(txFile, "utf8")).split("\n");
    await writeFile(txFile, lines.slice(1).join("\n"));
    await expect(importLogical(db, { keyring: KEYRING, dir: bad3 })).rejects.toThrow(/HASH_MISMATCH/);

    // 4. a line moved into the wrong file (path outside its collection)
    const bad4 = await tempDir();
    await cp(dir, bad4, { recursive: true });
    const alertsFile = join(bad4, "alerts.jsonl");
    await writeFile(alertsFile, (await readFile(alertsFile, "utf8")).replace('"path":"alerts/', '"path":"config/'));
    await expect(importLogical(db, { keyring: KEYRING, dir: bad4 })).rejects.toThrow(/HASH_MISMATCH|BAD_LINE/);
    expect(await isDatabaseEmpty(db)).toBe(true);

    // the untouched backup still restores
    const ok = await importLogical(db, { keyring: KEYRING, dir });
    expect(ok.written).toBeGreaterThan(0);
  });
});

describe("signed backups (issue 10)", () => {
  /** Rewrites one file with `edit`, then recomputes its sha256 and the content hash in the manifest, as a careful forger would. */
  async function forge(dir: string, file: string, edit: (text: string) => string): Promise<Record<string, unknown>> {
    const { createHash } = await import("node:crypto");
    const { ContentHasher } = await import("../../functions/src/domain/backup.js");
    const path = join(dir, file);
    await writeFile(path, edit(await readFile(path, "utf8")));
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    const hasher = new ContentHasher();
    for (const c of manifest.collections as Array<{ file: string; sha256: string }>) {
      const text = await readFile(join(dir, c.file), "utf8");
      c.sha256 = createHash("sha256").update(text).digest("hex");
      for (const line of text.split("\n").filter(Boolean)) {
        const { path: p, data } = JSON.parse(line);
        hasher.add(p, data);
      }
    }
    manifest.contentHash = hasher.digest();
    await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
    return manifest;
  }

  it("reproduction: an export edited (a 99M limit), its file hash and content hash recomputed → BAD_SIGNATURE, nothing written", async () => {
    await seedPortfolio(2, 2);
    const dir = await tempDir();
    await exportLogical(db, { keyring: KEYRING, outDir: dir, projectId: "demo-credit" });
    clearServer();
    await forge(dir, "customers.jsonl", (t) => t.replace('"limit":5000000', '"limit":9900000000'));
    expect(await readFile(join(dir, "customers.jsonl"), "utf8")).toContain('"limit":9900000000');
    await expect(importLogical(db, { keyring: KEYRING, dir })).rejects.toThrow(/BAD_SIGNATURE/);
    expect(await isDatabaseEmpty(db)).toBe(true);
  });

  it("reproduction: an unsigned manifest (signature removed, or a version-1 manifest) → UNSIGNED_MANIFEST, nothing written", async () => {
    await seedPortfolio(1, 1);
    const dir = await tempDir();
    await exportLogical(db, { keyring: KEYRING, outDir: dir, projectId: "demo-credit" });
    clearServer();
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    for (const variant of [
      { ...manifest, signature: undefined },
      { ...manifest, version: 1, signature: undefined },
      { ...manifest, signature: { keyId: manifest.signature.keyId } },
    ]) {
      await writeFile(join(dir, "manifest.json"), JSON.stringify(variant));
      await expect(importLogical(db, { keyring: KEYRING, dir })).rejects.toThrow(/UNSIGNED_MANIFEST/);
      expect(await isDatabaseEmpty(db)).toBe(true);
    }
  });

  it("a manifest signed by a key the keyring lacks is refused; after a rotation, a backup signed with the old key still restores", async () => {
    await seedPortfolio(1, 1);
    const dir = await tempDir();
    await exportLogical(db, { keyring: KEYRING, outDir: dir, projectId: "demo-credit" });
    clearServer();
    const other = parseAuditKeyring(`other:${randomBytes(32).toString("base64")}`);
    await expect(importLogical(db, { keyring: other, dir })).rejects.toThrow(/UNKNOWN_KEY/);
    const sameIdOtherSecret = parseAuditKeyring(`${KEYRING.signing.id}:${randomBytes(32).toString("base64")}`);
    await expect(importLogical(db, { keyring: sameIdOtherSecret, dir })).rejects.toThrow(/BAD_SIGNATURE/);
    expect(await isDatabaseEmpty(db)).toBe(true);
    const rotated = parseAuditKeyring(
      `new:${randomBytes(32).toString("base64")},${process.env.CREDIT_DESK_AUDIT_KEYS}`,
    );
    const res = await importLogical(db, { keyring: rotated, dir });
    expect(res.chains.broken).toEqual([]);
  });

  it("export files are owner-only: directory 0700, files 0600", async () => {
    await seedPortfolio(1, 1);
    const parent = await tempDir();
    const dir = join(parent, "made-by-export");
    await exportLogical(db, { keyring: KEYRING, outDir: dir, projectId: "demo-credit" });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const files = await readdir(dir);
    expect(files).toContain("manifest.json");
    for (const f of files) expect((await stat(join(dir, f))).mode & 0o777, f).toBe(0o600);
    // an existing empty directory is made owner-only too
    const existing = await tempDir();
    await chmod(existing, 0o755);
    await exportLogical(db, { keyring: KEYRING, outDir: existing, projectId: "demo-credit" });
    expect((await stat(existing)).mode & 0o777).toBe(0o700);
  });

  it("restore verifies every audit chain in the restored data and reports the broken ones", async () => {
    await seedPortfolio(2, 1);
    await auditAppend(chains.customer("c2"), "customer.create", paths.customer("c2"));
    await auditAppend(chains.customer("c2"), "limit.change", paths.customer("c2"));
    await runAuditSeal({ now: Date.now(), settleMs: 0 });
    const app = firestore();
    // damage made in the database before the backup: the backup is consistent and signed, its chains are not
    await app.doc("audit/customer_c1/entries/000000000002").update({ reason: "edited in the console" });
    await app.doc("customers/c2").delete();
    const dir = await tempDir();
    await exportLogical(db, { keyring: KEYRING, outDir: dir, projectId: "demo-credit" });
    clearServer();
    const res = await importLogical(db, { keyring: KEYRING, dir });
    expect(res.verified.contentHash).toBe(res.manifest.contentHash);
    expect(res.chains.broken).toEqual([
      { chainId: "customer_c1", seq: 2, problem: "altered" },
      { chainId: "customer_c2", seq: 2, problem: "subject_deleted" }, // named by its seal
    ]);
    expect(res.chains.chains).toBe(4);
  });
});
