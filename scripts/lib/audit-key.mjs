/**
 * The audit keyring on the local stack. The Functions emulator gives a function its bound
 * secrets from functions/.secret.local (dotenv format), so the local stack keeps a
 * generated keyring there: created when missing (owner-only, never committed: it is in
 * .gitignore), read by `npm run backup` / `npm run restore` against the local stack.
 * Production keeps the keyring in Secret Manager (README "Keys").
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { FUNCTIONS_DIR, REPO_ROOT } from "./exports.mjs";

export const AUDIT_KEYS_NAME = "CREDIT_DESK_AUDIT_KEYS";
export const LOCAL_SECRET_FILE = path.join(FUNCTIONS_DIR, ".secret.local");

/** A new keyring of one key: `id:base64` with 32 random bytes. */
export function generateAuditKeyring(id = `local-${new Date().toISOString().slice(0, 10).replace(/-/g, "")}`) {
  return `${id}:${randomBytes(32).toString("base64")}`;
}

function readValue(text) {
  const m = text.match(new RegExp(`^\\s*${AUDIT_KEYS_NAME}\\s*=\\s*"?([^"\\n]*)"?\\s*$`, "m"));
  return m ? m[1].trim() : null;
}

/** The keyring in functions/.secret.local, or null. */
export function readLocalAuditKeyring(file = LOCAL_SECRET_FILE) {
  if (!fs.existsSync(file)) return null;
  return readValue(fs.readFileSync(file, "utf8")) || null;
}

/** Makes sure functions/.secret.local holds a keyring; generates one when missing. */
export function ensureLocalAuditKey(file = LOCAL_SECRET_FILE) {
  if (readLocalAuditKeyring(file)) return { created: false, file: path.relative(REPO_ROOT, file) };
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const line = `${AUDIT_KEYS_NAME}=${generateAuditKeyring()}\n`;
  fs.writeFileSync(file, `${text}${text && !text.endsWith("\n") ? "\n" : ""}${line}`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return { created: true, file: path.relative(REPO_ROOT, file) };
}

/**
 * The keyring a script signs and verifies with: CREDIT_DESK_AUDIT_KEYS from the
 * environment, else (local stack only) functions/.secret.local.
 */
export function scriptAuditKeyring({ local }, env = process.env) {
  if (env[AUDIT_KEYS_NAME]) return { keyring: env[AUDIT_KEYS_NAME], source: `$${AUDIT_KEYS_NAME}` };
  if (local) {
    const k = readLocalAuditKeyring();
    if (k) return { keyring: k, source: path.relative(REPO_ROOT, LOCAL_SECRET_FILE) };
  }
  return null;
}

/**
 * The scripts' keyring, parsed — or the process exits with a message saying where to get it
 * (backup and restore cannot sign or verify without it).
 *
 * @template K
 * @param {{ local: boolean }} opts
 * @param {(keyring: string) => K} parse the functions' keyring parser
 * @returns {K}
 */
export function requireScriptAuditKeyring(opts, parse) {
  const keys = scriptAuditKeyring(opts);
  if (!keys) {
    console.error(
      `no audit keyring: set ${AUDIT_KEYS_NAME} (production: gcloud secrets versions access latest --secret=${AUDIT_KEYS_NAME}); the local stack keeps one in functions/.secret.local`,
    );
    process.exit(1);
  }
  try {
    return parse(keys.keyring);
  } catch (err) {
    console.error(`${AUDIT_KEYS_NAME} (${keys.source}): ${/** @type {Error} */ (err).message}`);
    process.exit(1);
  }
}
