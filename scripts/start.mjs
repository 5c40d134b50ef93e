#!/usr/bin/env node
/**
 * npm start — the local stack: build the functions, start the in-process Firestore on
 * 8080 and the Firebase Functions, Auth and Cloud Tasks emulators (firebase.json ports),
 * deliver Firestore triggers from the in-process Firestore's commits (one `[triggers]` line
 * per delivery), seed a demo portfolio through the real callables, print one "ready" line,
 * and run until Ctrl-C (SIGINT) or SIGTERM, which stops everything it started.
 *
 *   npm start                  build, start, seed
 *   npm start -- --no-seed     start without demo data
 *   npm start -- --quiet       do not echo the emulators' output (it is in the log file)
 */
import { DEMO_PASSWORD, DEMO_USERS, describeDemoCustomers } from "./lib/seed.mjs";
import { StackAbortedError, startStack } from "./lib/stack.mjs";

const argv = process.argv.slice(2);
const seed = !argv.includes("--no-seed");
const quiet = argv.includes("--quiet");
const t0 = Date.now();
const log = (line) => console.log(line);
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

const abort = new AbortController();
let stack = null;
let starting = null;
let stopping = false;
let firstSignalAt = 0;

async function shutdown(signal) {
  const now = Date.now();
  if (stopping) {
    // npm forwards the terminal's Ctrl-C as well, so one keypress can arrive twice: only
    // a later, separate signal means "stop right now".
    if (now - firstSignalAt > 1_500) {
      log(`\n${signal} again: killing the emulators' process group now.`);
      if (stack) {
        try {
          process.kill(-stack.pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
      process.exit(130);
    }
    return;
  }
  stopping = true;
  firstSignalAt = now;
  log(`\n${signal}: stopping the local stack …`);
  abort.abort();
  if (stack) await stack.stop();
  else await starting?.catch(() => {}); // startStack stops what it started when aborted
  log("Stopped: the emulators, the Firestore server and their processes are gone.");
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));

const echo = (line) => {
  if (line.trim() === "" || /^\s*[┌└├│]/.test(line)) return; // the CLI's boxes and tables: the ready line says it all
  if (
    /value\(\) invoked during function deployment|This is usually a mistake\. In configs|example: \{ memory: memoryParam \}/.test(
      line,
    )
  )
    return;
  console.log(`  [emulators] ${line}`);
};

try {
  log("Credit desk local stack — starting (Ctrl-C stops it)");
  const triggerLog = (line) => console.log(`  [triggers] ${line.trim()}`);
  starting = startStack({ build: true, seed, log, triggerLog, onOutput: quiet ? null : echo, signal: abort.signal });
  stack = await starting;
  const users = DEMO_USERS.map((u) => `${u.email}=${u.role ?? "applicant"}`).join(", ");
  const seeded = stack.seed
    ? `; seeded ${stack.seed.customers.length} customers, ${stack.seed.applications.length} applications`
    : "";
  log("");
  log(
    `Credit desk ready — functions ${stack.functionUrl("<name>")}, auth ${stack.authHost}, firestore ${stack.firestoreHost}, tasks ${stack.tasksHost}` +
      ` — demo users (password ${DEMO_PASSWORD}): ${seed ? users : "none (--no-seed)"}${seeded} — up in ${elapsed()}, Ctrl-C stops`,
  );
  for (const line of describeDemoCustomers(stack.seed)) log(line);
  // Watched, not awaited: `exited` only resolves, and its handler ends the process itself.
  void stack.exited.then(({ code, signal }) => {
    if (stopping) return;
    console.error(
      `\nThe Firebase emulators exited unexpectedly (${code ?? signal}). Last output:\n${stack.output(30)}`,
    );
    void stack.stop().then(() => process.exit(1));
  });
} catch (err) {
  if (err instanceof StackAbortedError || stopping) await new Promise(() => {}); // shutdown() exits
  console.error(`\nnpm start failed after ${elapsed()}: ${err.message}`);
  process.exit(1);
}
