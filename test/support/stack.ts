/**
 * The local stack for e2e test files: the Firebase CLI's Functions, Auth and Cloud Tasks
 * emulators on free ports (so `npm test` runs next to a running `npm start`), with the
 * functions writing to this test file's in-process Firestore (started by
 * test/support/setup-firestore.ts, FIRESTORE_EMULATOR_HOST). Clients are the real
 * Firebase JS SDK (scripts/lib/client.mjs).
 *
 * No leftovers, even when a test fails or the worker dies: stop() in afterAll; a start
 * still in progress is aborted; the stack kills its process group if this process exits;
 * and the emulators' supervisor takes the group down when this process disappears.
 */
import { clientSession, type ClientSession } from "../../scripts/lib/client.mjs";
import { freePorts, startStack, type RunningStack } from "../../scripts/lib/stack.mjs";
import type { RunningFirestore } from "./firestore-server.js";

export interface E2eStack {
  /** Start the emulators (free ports, this file's Firestore). */
  start(): Promise<RunningStack>;
  readonly stack: RunningStack;
  /** Context for scripts/lib/seed.mjs and client sessions. */
  readonly ctx: { projectId: string; region: string; authHost: string; functionsOrigin: string };
  /** A new Firebase JS client (own FirebaseApp), closed by stop(). */
  session(name?: string): ClientSession;
  /** Close the sessions and stop everything started; safe to call when start() failed or is still running. */
  stop(): Promise<void>;
}

export function e2eStack(): E2eStack {
  const abort = new AbortController();
  const sessions: ClientSession[] = [];
  let starting: Promise<RunningStack> | null = null;
  let running: RunningStack | null = null;

  const need = (): RunningStack => {
    if (!running) throw new Error("the e2e stack is not running (did beforeAll fail?)");
    return running;
  };

  return {
    async start() {
      const firestoreHost = process.env.FIRESTORE_EMULATOR_HOST;
      if (!firestoreHost)
        throw new Error(
          "FIRESTORE_EMULATOR_HOST is not set: test/support/setup-firestore.ts should have started a Firestore",
        );
      const ports = await freePorts(["auth", "functions", "tasks", "hub", "logging", "eventarc"]);
      const verbose = process.env.CREDIT_DESK_E2E_VERBOSE === "1";
      starting = startStack({
        ports,
        firestoreHost,
        snapshot: true, // the functions/lib of this run, even if it is rebuilt meanwhile
        // This file's in-process Firestore: its commits fire the deployed Firestore triggers.
        firestoreServer:
          (globalThis as { __creditDeskFirestore?: RunningFirestore }).__creditDeskFirestore?.server ?? null,
        signal: abort.signal,
        log: verbose ? (l) => console.log(`[e2e stack] ${l}`) : () => {},
        onOutput: verbose ? (l) => console.log(`[emulators] ${l}`) : null,
      });
      running = await starting;
      return running;
    },
    get stack() {
      return need();
    },
    get ctx() {
      const s = need();
      return { projectId: s.projectId, region: s.region, authHost: s.authHost, functionsOrigin: s.functionsOrigin };
    },
    session(name = "client") {
      const s = clientSession({ ...this.ctx, name });
      sessions.push(s);
      return s;
    },
    async stop() {
      abort.abort();
      await Promise.allSettled(sessions.splice(0).map((s) => s.close()));
      const stack = running ?? (await starting?.catch(() => null)) ?? null;
      await stack?.stop();
    },
  };
}
