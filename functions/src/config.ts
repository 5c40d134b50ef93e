/**
 * Runtime configuration as one typed object (params for deploy-time values,
 * environment for the emulator/local-stack switches).
 */
import { defineInt, defineSecret, defineString } from "firebase-functions/params";
import { setGlobalOptions } from "firebase-functions/v2/options";
import { parseAuditKeyring, type AuditKeyring } from "./domain/audit.js";

export const REGION = defineString("CREDIT_DESK_REGION", {
  default: "us-central1",
  description: "Region of every function",
});
export const MAX_INSTANCES = defineInt("CREDIT_DESK_MAX_INSTANCES", {
  default: 100,
  description: "Most instances of any one function (a cost ceiling; a job's task queue also limits its own dispatches)",
});

/**
 * Every function's region, memory and instance ceiling, set once: every function module
 * imports this one before it defines its function. A function that needs more memory says so
 * in its own options; nothing repeats the region.
 */
setGlobalOptions({ region: REGION, memory: "256MiB", maxInstances: MAX_INSTANCES });

/**
 * Declared so deploys list it; read through appCheckSetting(), which fails closed: only an
 * explicit "false"/"0"/"no" (any case) turns enforcement off, or running in the Functions
 * emulator. A defineBoolean read "TRUE", "1" or an unset value as false at run time.
 */
export const ENFORCE_APP_CHECK = defineString("CREDIT_DESK_ENFORCE_APP_CHECK", {
  default: "true",
  description:
    "Reject callable requests without a valid App Check token; only false/0/no turns it off (the Functions emulator never enforces)",
});

export interface AppCheckSetting {
  enforced: boolean;
  /** Why: EMULATOR and DISABLED turn it off; DEFAULT (unset), ENABLED and UNRECOGNISED keep it on. */
  reason: "EMULATOR" | "DISABLED" | "DEFAULT" | "ENABLED" | "UNRECOGNISED";
}

const APP_CHECK_OFF = new Set(["false", "0", "no"]);
const APP_CHECK_ON = new Set(["true", "1", "yes"]);

/** Whether callables enforce App Check, from the environment: on unless explicitly off or emulated. */
export function appCheckSetting(env: Record<string, string | undefined> = process.env): AppCheckSetting {
  if (env.FUNCTIONS_EMULATOR === "true") return { enforced: false, reason: "EMULATOR" };
  const raw = env[ENFORCE_APP_CHECK.name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return { enforced: true, reason: "DEFAULT" };
  if (APP_CHECK_OFF.has(raw)) return { enforced: false, reason: "DISABLED" };
  return { enforced: true, reason: APP_CHECK_ON.has(raw) ? "ENABLED" : "UNRECOGNISED" };
}
export const BACKUP_BUCKET = defineString("CREDIT_DESK_BACKUP_BUCKET", {
  default: "",
  description: "Cloud Storage bucket (gs://name) for the daily managed Firestore export",
});

/**
 * The audit keyring (Secret Manager): `id:base64` keys, the signing key first, older keys
 * after it for verification only. It keys the audit chains' MACs and the backup manifest's
 * signature. README "Keys" has the rotation procedure.
 */
export const AUDIT_KEYS = defineSecret("CREDIT_DESK_AUDIT_KEYS", {
  description: "Audit keyring: id:base64 keys (32+ random bytes), signing key first. Generate it; see README 'Keys'.",
});

/**
 * Options of every function that appends to or verifies audit chains (callables, triggers,
 * jobs, task handlers): binds the keyring secret, so the function sees it at run time.
 */
export const AUDITED = { secrets: [AUDIT_KEYS] };

/** The keyring secret was not bound to this function, or is empty or malformed. */
export class AuditKeyUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`audit keyring unavailable: ${reason}`);
    this.name = "AuditKeyUnavailableError";
  }
}

let keyringCache: { raw: string; keyring: AuditKeyring } | null = null;

/**
 * The audit keyring from the bound secret (the Functions emulator reads it from
 * functions/.secret.local; tests set CREDIT_DESK_AUDIT_KEYS). Throws when it is missing or
 * invalid: nothing is audited, so nothing is written, without it.
 */
export function auditKeyring(): AuditKeyring {
  const raw = process.env[AUDIT_KEYS.name] ? AUDIT_KEYS.value() : "";
  if (keyringCache?.raw === raw) return keyringCache.keyring;
  if (!raw) throw new AuditKeyUnavailableError(`${AUDIT_KEYS.name} is not set (is the secret bound to this function?)`);
  let keyring: AuditKeyring;
  try {
    keyring = parseAuditKeyring(raw);
  } catch (err) {
    throw new AuditKeyUnavailableError((err as Error).message);
  }
  keyringCache = { raw, keyring };
  return keyring;
}

export interface RuntimeConfig {
  projectId: string;
  /** True under the Firebase emulators or the in-process Firestore (local stack, tests). */
  emulated: boolean;
}

export function runtimeConfig(): RuntimeConfig {
  const projectId = process.env.GCLOUD_PROJECT ?? process.env.GOOGLE_CLOUD_PROJECT ?? "demo-credit";
  return {
    projectId,
    emulated: process.env.FUNCTIONS_EMULATOR === "true" || Boolean(process.env.FIRESTORE_EMULATOR_HOST),
  };
}

/** The region as a string at run time (a param's default is applied at deploy; tests see ""). */
export function regionName(): string {
  return REGION.value() || process.env.CREDIT_DESK_REGION || "us-central1";
}
