/**
 * Logical backup of the credit data: every collection and subcollection of DATA_TREE as
 * JSON Lines with Firestore types preserved (tagged JSON, see domain/backup.ts), and a
 * manifest with counts, file hashes and a content hash, signed (HMAC under the audit
 * keyring's signing key) and written last; files 0600, directory 0700. Restore refuses an
 * unsigned or altered manifest and checks the files before writing anything, refuses a
 * non-empty target unless forced, writes in batches of at most 500, reads the database back
 * and checks counts and hash, then verifies every audit chain in the restored data.
 *
 * Used by scripts/backup.mjs and scripts/restore.mjs (compiled) and by the restore drill
 * in the tests. Not deployed as a function. Works against the in-process Firestore
 * (which cannot list collections or page with cursors: collections are read whole,
 * subcollections per parent document), the official emulator and production.
 */
export * from "./logicalBackup/codec.js";
export * from "./logicalBackup/walk.js";
export * from "./logicalBackup/export.js";
export * from "./logicalBackup/import.js";
export * from "./logicalBackup/chains.js";
export * from "./logicalBackup/target.js";
