import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseAuditKeyring } from "../../functions/src/domain/audit.js";
import { DAY_MS, HOUR_MS } from "../../functions/src/domain/time.js";
import {
  ContentHasher,
  backupIdFor,
  buildManifest,
  canonicalJson,
  chooseExpired,
  collectionPatterns,
  databaseName,
  exportUriPrefix,
  fileNameFor,
  judgeRunning,
  managedExportCollectionIds,
  newestSucceeded,
  normalizeBucket,
  parseExportUri,
  parseManifest,
  checkManifestSignature,
  signManifest,
  pathMatches,
  staleness,
  type BackupRecord,
} from "../../functions/src/domain/backup.js";
import { COLLECTIONS, CUSTOMER_SUBCOLLECTIONS, AUDIT_ENTRIES, DATA_TREE } from "../../functions/src/data/paths.js";

const NOW = Date.UTC(2024, 4, 1, 2, 0, 0);
const RING = parseAuditKeyring(`k1:${randomBytes(32).toString("base64")}`);

function rec(
  id: string,
  status: BackupRecord["status"],
  ageDays: number,
  extra: Partial<BackupRecord> = {},
): BackupRecord {
  return {
    id,
    status,
    startedAt: NOW - ageDays * DAY_MS,
    endedAt: null,
    outputUriPrefix: null,
    operationName: "op",
    expired: false,
    ...extra,
  };
}

describe("managed export names", () => {
  it("normalises the bucket param", () => {
    expect(normalizeBucket("gs://credit-backups/")).toEqual({ ok: true, bucket: "credit-backups" });
    expect(normalizeBucket("credit-backups")).toEqual({ ok: true, bucket: "credit-backups" });
    expect(normalizeBucket("")).toEqual({ ok: false, code: "BUCKET_NOT_CONFIGURED" });
    expect(normalizeBucket("   ")).toEqual({ ok: false, code: "BUCKET_NOT_CONFIGURED" });
    expect(normalizeBucket(undefined)).toEqual({ ok: false, code: "BUCKET_NOT_CONFIGURED" });
    expect(normalizeBucket("gs://Bad Bucket")).toEqual({ ok: false, code: "BUCKET_INVALID" });
    expect(normalizeBucket("gs://a/b")).toEqual({ ok: false, code: "BUCKET_INVALID" });
  });

  it("names the run and its dated prefix from the scheduled time", () => {
    const id = backupIdFor(NOW);
    expect(id).toBe("daily-20240501T020000Z");
    expect(exportUriPrefix("b-1", NOW, id)).toBe("gs://b-1/firestore/2024-05-01/daily-20240501T020000Z");
    expect(databaseName("demo-credit")).toBe("projects/demo-credit/databases/(default)");
  });

  it("parses only its own export URIs, for the record's own id", () => {
    const uri = "gs://b-1/firestore/2024-05-01/daily-20240501T020000Z";
    expect(parseExportUri(uri, "daily-20240501T020000Z")).toEqual({
      bucket: "b-1",
      objectPrefix: "firestore/2024-05-01/daily-20240501T020000Z/",
    });
    expect(parseExportUri(uri, "other")).toBeNull();
    expect(parseExportUri("gs://b-1/", "x")).toBeNull();
    expect(parseExportUri("gs://b-1/firestore/2024-05-01/", "")).toBeNull();
    expect(parseExportUri("gs://b-1/firestore/2024-05-01/../x", "x")).toBeNull();
  });

  it("exports every collection id of the data tree, top level and nested", () => {
    const ids = managedExportCollectionIds(DATA_TREE);
    for (const c of Object.values(COLLECTIONS)) expect(ids).toContain(c);
    for (const c of Object.values(CUSTOMER_SUBCOLLECTIONS)) expect(ids).toContain(c);
    expect(ids).toContain(AUDIT_ENTRIES);
    expect(ids).toEqual([...new Set(ids)].sort());
  });
});

describe("operation outcome", () => {
  it("waits, succeeds, fails, times out", () => {
    const r = rec("a", "running", 0.1);
    expect(judgeRunning(r, { done: false }, NOW)).toEqual({ kind: "wait" });
    expect(judgeRunning(r, null, NOW)).toEqual({ kind: "wait" });
    expect(judgeRunning(r, { done: true, error: null, endedAt: NOW - 5, documents: 10, bytes: 99 }, NOW)).toEqual({
      kind: "succeeded",
      endedAt: NOW - 5,
      documents: 10,
      bytes: 99,
    });
    expect(judgeRunning(r, { done: true, error: { code: 7, message: "denied" } }, NOW)).toMatchObject({
      kind: "failed",
      code: "EXPORT_FAILED",
    });
    expect(judgeRunning(rec("b", "running", 1.1), { done: false }, NOW)).toMatchObject({
      kind: "failed",
      code: "EXPORT_TIMEOUT",
    });
    expect(judgeRunning(rec("c", "running", 0.001, { operationName: null }), null, NOW)).toEqual({ kind: "wait" });
    expect(judgeRunning(rec("d", "running", 1 / 24, { operationName: null }), null, NOW)).toMatchObject({
      kind: "failed",
      code: "EXPORT_NOT_STARTED",
    });
  });
});

describe("retention", () => {
  it("deletes finished exports past retention, oldest first, never running or expired ones", () => {
    const records = [
      rec("s50", "succeeded", 50),
      rec("s40", "succeeded", 40),
      rec("f36", "failed", 36),
      rec("r40", "running", 40),
      rec("x60", "succeeded", 60, { expired: true }),
      rec("s10", "succeeded", 10),
      rec("f2", "failed", 2),
    ];
    expect(chooseExpired(records, NOW, 35).map((r) => r.id)).toEqual(["s50", "s40", "f36"]);
  });

  it("keeps the newest succeeded export even when it is older than retention", () => {
    const records = [rec("s50", "succeeded", 50), rec("s40", "succeeded", 40), rec("f3", "failed", 3)];
    expect(chooseExpired(records, NOW, 35).map((r) => r.id)).toEqual(["s50"]);
  });

  it("property: never the newest succeeded, never one inside the window", () => {
    const arb = fc.array(
      fc.record({
        status: fc.constantFrom("running", "succeeded", "failed") as fc.Arbitrary<BackupRecord["status"]>,
        age: fc.double({ min: 0, max: 200, noNaN: true }),
        expired: fc.boolean(),
      }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(arb, fc.integer({ min: 1, max: 90 }), (rows, days) => {
        const records = rows.map((r, i) => rec(`b${i}`, r.status, r.age, { expired: r.expired }));
        const chosen = chooseExpired(records, NOW, days);
        const keep = newestSucceeded(records);
        for (const c of chosen) {
          expect(c.id).not.toBe(keep?.id);
          expect(c.status).not.toBe("running");
          expect(c.expired).toBe(false);
          expect(NOW - c.startedAt).toBeGreaterThan(days * DAY_MS);
        }
      }),
    );
  });

  it("rejects a nonsensical window", () => {
    expect(() => chooseExpired([], NOW, 0)).toThrow(RangeError);
  });
});

describe("staleness", () => {
  it("alerts when no export succeeded within the window", () => {
    expect(staleness([], NOW)).toBeNull();
    expect(staleness([rec("a", "succeeded", 1)], NOW)).toBeNull();
    expect(staleness([rec("a", "succeeded", 3)], NOW)).toBe("NO_RECENT_BACKUP");
    expect(staleness([rec("a", "failed", 1)], NOW)).toBeNull();
    expect(staleness([rec("a", "failed", 1), rec("b", "failed", 2.5)], NOW)).toBe("NO_RECENT_BACKUP");
    expect(staleness([rec("a", "succeeded", 47 / 24)], NOW + HOUR_MS / 2)).toBeNull();
  });
});

describe("logical backup hash and manifest", () => {
  it("canonical JSON sorts keys at every level", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  it("the content hash does not depend on order, but on every path, value and type", () => {
    const a = new ContentHasher();
    a.add("customers/c1", { n: 1 });
    a.add("alerts/a1", { t: { $ts: [1, 2] } });
    const b = new ContentHasher();
    b.add("alerts/a1", { t: { $ts: [1, 2] } });
    b.add("customers/c1", { n: 1 });
    expect(a.digest()).toBe(b.digest());
    const c = new ContentHasher();
    c.add("alerts/a1", { t: { $ts: [1, 2] } });
    c.add("customers/c1", { n: { $double: "1" } });
    expect(c.digest()).not.toBe(a.digest());
    const d = new ContentHasher();
    d.add("alerts/a1", { t: { $ts: [1, 2] } });
    d.add("customers/c2", { n: 1 });
    expect(d.digest()).not.toBe(a.digest());
  });

  it("refuses duplicate paths", () => {
    const h = new ContentHasher();
    h.add("a/1", {});
    h.add("a/1", {});
    expect(() => h.digest()).toThrow(/duplicate/);
  });

  it("patterns, file names and path matching", () => {
    const patterns = collectionPatterns(DATA_TREE);
    expect(patterns).toContain("customers/*/transactions");
    expect(patterns).toContain("audit/*/entries");
    expect(fileNameFor("customers/*/transactions")).toBe("customers__transactions.jsonl");
    expect(pathMatches("customers/*/transactions", "customers/c1/transactions/t1")).toBe(true);
    expect(pathMatches("customers/*/transactions", "customers/c1/ledger/t1")).toBe(false);
    expect(pathMatches("customers", "customers/c1")).toBe(true);
    expect(pathMatches("customers", "customers/c1/transactions/t1")).toBe(false);
    expect(pathMatches("customers", "alerts/a1")).toBe(false);
  });

  it("manifest round trip and validation", () => {
    const m = signManifest(
      buildManifest({
        createdAt: NOW,
        source: { projectId: "demo-credit", host: "127.0.0.1:8080" },
        collections: [{ collection: "customers", file: "customers.jsonl", documents: 2, sha256: "a".repeat(64) }],
        contentHash: "b".repeat(64),
      }),
      RING.signing,
    );
    expect(m.totalDocuments).toBe(2);
    expect(m.version).toBe(2);
    expect(m.signature.keyId).toBe("k1");
    expect(parseManifest(JSON.parse(JSON.stringify(m)))).toEqual(m);
    expect(() => parseManifest({ ...m, totalDocuments: 3 })).toThrow(/totalDocuments/);
    expect(() => parseManifest({ ...m, collections: [{ ...m.collections[0], file: "../x.jsonl" }] })).toThrow(
      /file name/,
    );
    expect(() => parseManifest({ ...m, format: "other" })).toThrow(/format/);
    expect(() => parseManifest({ ...m, signature: undefined })).toThrow(/signature/);
    expect(() => parseManifest({ ...m, version: 1 })).toThrow(/version/);
  });

  it("the manifest signature: valid as signed; any field changed is invalid; unsigned and unknown keys are told apart", () => {
    const m = signManifest(
      buildManifest({
        createdAt: NOW,
        source: { projectId: "demo-credit", host: null },
        collections: [{ collection: "customers", file: "customers.jsonl", documents: 2, sha256: "a".repeat(64) }],
        contentHash: "b".repeat(64),
      }),
      RING.signing,
    );
    const roundTrip = JSON.parse(JSON.stringify(m));
    expect(checkManifestSignature(roundTrip, RING)).toBe("valid");
    // key order in the file does not matter (canonical JSON)
    expect(checkManifestSignature(Object.fromEntries(Object.entries(roundTrip).reverse()), RING)).toBe("valid");
    const edits: Array<Record<string, unknown>> = [
      { ...roundTrip, contentHash: "c".repeat(64) },
      { ...roundTrip, totalDocuments: 3 },
      { ...roundTrip, collections: [{ ...roundTrip.collections[0], sha256: "d".repeat(64) }] },
      { ...roundTrip, createdAt: new Date(NOW + 1).toISOString() },
      { ...roundTrip, source: { projectId: "other", host: null } },
      { ...roundTrip, extra: true },
      { ...roundTrip, signature: { ...roundTrip.signature, hmac: "0".repeat(64) } },
    ];
    for (const e of edits) expect(checkManifestSignature(e, RING)).toBe("invalid");
    expect(checkManifestSignature({ ...roundTrip, signature: undefined }, RING)).toBe("unsigned");
    expect(checkManifestSignature(null, RING)).toBe("unsigned");
    expect(checkManifestSignature(roundTrip, parseAuditKeyring(`k2:${randomBytes(32).toString("base64")}`))).toBe(
      "unknown_key",
    );
    expect(checkManifestSignature(roundTrip, parseAuditKeyring(`k1:${randomBytes(32).toString("base64")}`))).toBe(
      "invalid",
    );
  });
});
