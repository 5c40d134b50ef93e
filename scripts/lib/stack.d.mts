import type { CommitEvent } from "./in-process-firestore.mjs";
import type { SeedResult } from "./seed.mjs";
import type { TriggerDelivery } from "./trigger-delivery.mjs";

export declare const REPO_ROOT: string;
export declare const FUNCTIONS_DIR: string;
export declare const DEFAULT_PROJECT_ID: string;
export declare const DEFAULT_REGION: string;
export declare const LOCAL_ENV_FILE: string;
export type PortName = "firestore" | "auth" | "functions" | "tasks" | "hub" | "logging" | "eventarc";
export type StackPorts = Record<PortName, number>;
export declare const PORT_NAMES: readonly PortName[];

export declare class PortInUseError extends Error {
  readonly busy: Array<{ name: string; port: number }>;
}
export declare class StackAbortedError extends Error {}

export declare function defaultPorts(): StackPorts;
export declare function portInUse(port: number): Promise<boolean>;
export declare function assertPortsFree(ports: Partial<StackPorts>, names?: PortName[]): Promise<void>;
export declare function freePorts<N extends PortName>(names?: readonly N[]): Promise<Record<N, number>>;
export declare function ensureLocalEnv(file?: string): { created: boolean; warning: string | null };
export declare function buildFunctions(opts?: { log?: (line: string) => void }): Promise<void>;

export interface StartStackOptions {
  ports?: Partial<StackPorts>;
  projectId?: string;
  region?: string;
  /** Use this Firestore (host:port) instead of starting one in-process. */
  firestoreHost?: string | null;
  build?: boolean;
  seed?: boolean;
  log?: (line: string) => void;
  onOutput?: ((line: string) => void) | null;
  readyTimeoutMs?: number;
  env?: Record<string, string>;
  signal?: AbortSignal | null;
  /** Run a private copy of functions/lib (immune to rebuilds while the stack runs; no live reload). */
  snapshot?: boolean;
  /** With firestoreHost: the in-process FirestoreServer serving it, whose commits fire the Firestore triggers. */
  firestoreServer?: { onCommit(listener: (event: CommitEvent) => void): () => void } | null;
  /** Deliver Firestore triggers from the in-process Firestore (default true). */
  triggers?: boolean;
  /** One line per trigger delivery (default: log). */
  triggerLog?: (line: string) => void;
}

export interface RunningStack {
  projectId: string;
  region: string;
  ports: StackPorts;
  firestoreHost: string;
  /** "127.0.0.1:9099" */
  authHost: string;
  tasksHost: string;
  /** "http://127.0.0.1:5001" */
  functionsOrigin: string;
  hubOrigin: string;
  /** Functions the emulator serves. */
  served: string[];
  logFile: string;
  /** Process group id of the emulators (the supervisor's pid). */
  pid: number;
  functionUrl(name: string): string;
  /** The last lines the Firebase CLI printed. */
  output(lines?: number): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  seed: SeedResult | null;
  /** Firestore trigger delivery (null when the Firestore is not an in-process server of this process). */
  triggers: TriggerDelivery | null;
  /** Stop everything this stack started; idempotent. */
  stop(): Promise<void>;
}

export declare function startStack(opts?: StartStackOptions): Promise<RunningStack>;
