/**
 * Process-group supervisor for the local stack (used by scripts/lib/stack.mjs).
 *
 *   node supervise.mjs <command> [args...]
 *
 * stack.mjs spawns this script detached, so it leads a new process group (and session:
 * a Ctrl-C in the terminal does not reach it directly); the command (the Firebase CLI)
 * and everything it starts (the Functions emulator's runtime workers) stay in that group.
 * The supervisor makes sure the group never outlives its parent:
 *   - SIGTERM / SIGINT / SIGHUP (stack.stop()): send the command ONE SIGINT (the CLI's
 *     clean shutdown; a second one would make it exit without stopping its workers);
 *   - the parent disappears (the IPC channel closes, e.g. a test worker was killed): same;
 *   - the command exits: SIGKILL any straggler of the group, exit with its status;
 *   - the command does not exit within the grace period: SIGKILL the whole group.
 */
import { spawn, spawnSync } from "node:child_process";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("usage: node supervise.mjs <command> [args...]");
  process.exit(2);
}
const graceMs = Number(process.env.CREDIT_DESK_STOP_GRACE_MS ?? 15_000);

const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });
let stopping = false;

/** Members of our process group other than ourselves (procps and BSD `ps`). */
function groupMembers() {
  const out = spawnSync("ps", ["-eo", "pid=,pgid="], { encoding: "utf8" });
  if (out.status !== 0) return [];
  return out.stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/).map(Number))
    .flatMap(([pid, pgid]) => (pid !== undefined && pgid === process.pid && pid !== process.pid ? [pid] : []));
}

function killStragglers() {
  for (const pid of groupMembers()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
}

function shutdown() {
  if (stopping) return;
  stopping = true;
  if (child.exitCode === null && child.signalCode === null) {
    try {
      child.kill("SIGINT");
    } catch {
      /* already gone */
    }
  }
  setTimeout(() => {
    killStragglers();
    process.exit(1);
  }, graceMs).unref();
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, shutdown);
// The parent keeps an IPC channel open only to exist: when it closes, the parent is gone.
process.on("disconnect", shutdown);

child.on("error", (err) => {
  console.error(`supervise: cannot start ${command}: ${err.message}`);
  killStragglers();
  process.exit(127);
});

child.on("exit", (code, signal) => {
  killStragglers();
  process.exit(code ?? (signal === "SIGINT" || signal === "SIGTERM" ? 0 : 1));
});
