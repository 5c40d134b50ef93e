/** Export: JSON Lines per collection and a signed manifest written last (files 0600, directory 0700). */
import { createHash, type Hash } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { chmod, mkdir, open, readdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { once } from "node:events";
import { Firestore } from "firebase-admin/firestore";
import {
  ContentHasher,
  MANIFEST_FILE,
  buildManifest,
  canonicalJson,
  collectionPatterns,
  fileNameFor,
  signManifest,
  type Manifest,
  type ManifestCollection,
} from "../../domain/backup.js";
import { DATA_TREE } from "../../data/paths.js";
import { type AuditKeyring } from "../../domain/audit.js";
import { BackupToolError, DEFAULT_PROGRESS_EVERY, Progress, assertBigInt, encodeDocument } from "./codec.js";
import { WalkResult, walkTree } from "./walk.js";

// ---------------------------------------------------------------------------------------
// Export

export interface ExportOptions {
  outDir: string;
  projectId: string;
  /** The audit keyring: its signing key signs the manifest. */
  keyring: AuditKeyring;
  /** Where the data came from, for the manifest (emulator host or null for production). */
  host?: string | null;
  now?: number;
  progressEvery?: number;
  onProgress?: (p: Progress) => void;
  /** Test hook: fail after writing this many documents (an interrupted export). */
  faultInjection?: { afterDocuments: number };
}

export interface ExportResult {
  manifest: Manifest;
  manifestPath: string;
  listDocuments: boolean;
}

class LineFile {
  readonly hash: Hash = createHash("sha256");
  readonly stream: WriteStream;
  lines = 0;
  private drained: Promise<void> | null = null;
  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: "wx", mode: 0o600 });
  }
  async write(line: string): Promise<void> {
    this.hash.update(line);
    this.lines++;
    if (!this.stream.write(line)) {
      this.drained ??= once(this.stream, "drain").then(() => {
        this.drained = null;
      });
    }
    if (this.drained) await this.drained;
  }
  async close(): Promise<void> {
    if (this.stream.closed) return;
    this.stream.end();
    await once(this.stream, "close");
  }
}

async function fsyncPath(path: string): Promise<void> {
  const h = await open(path, "r");
  try {
    await h.sync();
  } catch {
    // directories cannot be fsynced on every platform
  } finally {
    await h.close();
  }
}

/**
 * Writes one JSONL file per collection pattern into `outDir` (which must be empty or
 * absent), then manifest.json — written to a temporary name, synced and renamed, and
 * only after every data file is complete and synced. An interrupted export leaves no
 * manifest, and restore refuses a directory without one. The directory is made (or,
 * empty, set) owner-only (0700), every file 0600: a backup holds personal data.
 */
export async function exportLogical(db: Firestore, opts: ExportOptions): Promise<ExportResult> {
  assertBigInt(db);
  await mkdir(opts.outDir, { recursive: true, mode: 0o700 });
  const existing = await readdir(opts.outDir);
  if (existing.length > 0)
    throw new BackupToolError(
      "OUT_DIR_NOT_EMPTY",
      `${opts.outDir} is not empty (${existing.length} entries); export into a new directory`,
    );
  await chmod(opts.outDir, 0o700);

  const every = opts.progressEvery ?? DEFAULT_PROGRESS_EVERY;
  const files = new Map<string, LineFile>();
  for (const pattern of collectionPatterns(DATA_TREE))
    files.set(pattern, new LineFile(join(opts.outDir, fileNameFor(pattern))));
  const hasher = new ContentHasher();
  let count = 0;
  let walk: WalkResult;
  try {
    walk = await walkTree(db, async (pattern, path, data) => {
      const tagged = encodeDocument(data);
      hasher.add(path, tagged);
      await files.get(pattern)!.write(`{"path":${JSON.stringify(path)},"data":${canonicalJson(tagged)}}\n`);
      count++;
      if (opts.faultInjection && count >= opts.faultInjection.afterDocuments) {
        throw new BackupToolError("INJECTED_FAULT", `export interrupted after ${count} documents`);
      }
      if (count % every === 0) opts.onProgress?.({ phase: "export", documents: count });
    });
  } finally {
    await Promise.all([...files.values()].map((f) => f.close()));
  }
  await Promise.all([...files.values()].map((f) => fsyncPath(f.path)));
  opts.onProgress?.({ phase: "export", documents: count });

  const collections: ManifestCollection[] = [...files.entries()].map(([pattern, f]) => ({
    collection: pattern,
    file: fileNameFor(pattern),
    documents: f.lines,
    sha256: f.hash.digest("hex"),
  }));
  const manifest = signManifest(
    buildManifest({
      createdAt: opts.now ?? Date.now(),
      source: { projectId: opts.projectId, host: opts.host ?? null },
      collections,
      contentHash: hasher.digest(),
    }),
    opts.keyring.signing,
  );
  const manifestPath = join(opts.outDir, MANIFEST_FILE);
  const tmp = `${manifestPath}.tmp`;
  const h = await open(tmp, "wx", 0o600);
  try {
    await h.writeFile(JSON.stringify(manifest, null, 2) + "\n");
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(tmp, manifestPath);
  await fsyncPath(opts.outDir);
  return { manifest, manifestPath, listDocuments: walk.listDocuments };
}
