/** Where the scripts point: the emulator or a project. */

// ---------------------------------------------------------------------------------------
// Where the scripts connect

export const DEFAULT_EMULATOR_HOST = "127.0.0.1:8080";
export const DEFAULT_PROJECT = "demo-credit";

export interface Target {
  projectId: string;
  /** Emulator host, or null for the real Firestore of projectId. */
  host: string | null;
}

/**
 * The scripts' target: the emulator (FIRESTORE_EMULATOR_HOST, default 127.0.0.1:8080) and
 * project demo-credit unless told otherwise; production only when a project is named
 * explicitly (--project) and no emulator host is set. A demo-* project is never production.
 */
export function resolveTarget(
  explicitProject: string | null | undefined,
  env: Record<string, string | undefined>,
): Target {
  const host = env.FIRESTORE_EMULATOR_HOST?.trim() || null;
  if (!explicitProject) return { projectId: DEFAULT_PROJECT, host: host ?? DEFAULT_EMULATOR_HOST };
  if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(explicitProject))
    throw new Error(`--project ${explicitProject} is not a project id`);
  if (host) return { projectId: explicitProject, host };
  if (explicitProject.startsWith("demo-")) return { projectId: explicitProject, host: DEFAULT_EMULATOR_HOST };
  return { projectId: explicitProject, host: null };
}
