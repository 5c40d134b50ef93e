/**
 * Starts the in-process Firestore (`@firestore-emulator/server`) for one test file,
 * on a free port, and points the Admin SDK at it. Vitest runs each file in its own
 * worker, so each file gets its own empty database.
 */
import net from "node:net";
import { FirestoreServer } from "../../scripts/lib/in-process-firestore.mjs";

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningFirestore {
  /** The in-process server; null on the official emulator (npm run test:emulator). */
  server: FirestoreServer | null;
  host: string;
  clear(): void | Promise<void>;
  stop(): void;
}

/** The official Firestore emulator at FIRESTORE_EMULATOR_HOST: cleared through its REST API. */
export function officialFirestore(host: string, projectId: string): RunningFirestore {
  return {
    server: null,
    host,
    clear: async () => {
      const res = await fetch(`http://${host}/emulator/v1/projects/${projectId}/databases/(default)/documents`, {
        method: "DELETE",
      });
      if (!res.ok) throw new Error(`clearing the official emulator failed: ${res.status}`);
    },
    stop: () => {},
  };
}

/**
 * Start an in-process Firestore. `options.isolation: false` (or CREDIT_DESK_FIRESTORE_ISOLATION=off)
 * gives the package's engine without transaction isolation, to show a concurrency test fails there.
 */
export async function startFirestore(
  port?: number,
  options?: { isolation?: boolean; leaseMs?: number },
): Promise<RunningFirestore> {
  const server = new FirestoreServer(options);
  const p = port ?? (await freePort());
  await server.start(p);
  const host = `127.0.0.1:${p}`;
  return {
    server,
    host,
    clear: () => server.state.clear(),
    stop: () => server.stop(),
  };
}
