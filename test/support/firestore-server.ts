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
  server: FirestoreServer;
  host: string;
  clear(): void;
  stop(): void;
}

export async function startFirestore(port?: number): Promise<RunningFirestore> {
  const server = new FirestoreServer();
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
