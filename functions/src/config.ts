/**
 * Runtime configuration as one typed object (params for deploy-time values,
 * environment for the emulator/local-stack switches).
 */
import { defineBoolean, defineString } from "firebase-functions/params";

export const REGION = defineString("CREDIT_DESK_REGION", { default: "us-central1", description: "Region of every function" });
export const ENFORCE_APP_CHECK = defineBoolean("CREDIT_DESK_ENFORCE_APP_CHECK", {
  default: true,
  description: "Reject callable requests without a valid App Check token (off on the local stack)",
});
export const BACKUP_BUCKET = defineString("CREDIT_DESK_BACKUP_BUCKET", {
  default: "",
  description: "Cloud Storage bucket (gs://name) for the daily managed Firestore export",
});

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
