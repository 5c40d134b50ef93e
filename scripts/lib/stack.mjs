/**
 * The local stack, as a library: the in-process Firestore (@firestore-emulator/server)
 * plus `firebase emulators:start --only functions,auth,tasks`, wired so the functions'
 * Admin SDK writes to that Firestore and its commits fire the deployed Firestore triggers
 * (scripts/lib/trigger-delivery.mjs). Used by `npm start` (scripts/start.mjs) and by the
 * e2e tests (on other ports, so both can run at once).
 *
 *   const stack = await startStack({ ports: { functions: 15001 }, seed: true });
 *   ...
 *   await stack.stop();
 *
 * Offline by construction: the Emulator UI is disabled, update checks, MOTD and the
 * GCE metadata probe are switched off, and nothing is downloaded.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { createRequire } from "node:module";
import { FUNCTIONS_DIR, REPO_ROOT, eventTriggerRetries, exportedFunctions } from "./exports.mjs";
import { AUDIT_KEYS_NAME, ensureLocalAuditKey } from "./audit-key.mjs";

export { FUNCTIONS_DIR, REPO_ROOT };
export const DEFAULT_PROJECT_ID = "demo-credit";
export const DEFAULT_REGION = "us-central1";
/** Every port the stack listens on. hub/logging/eventarc are the Firebase CLI's own. */
export const PORT_NAMES = ["firestore", "auth", "functions", "tasks", "hub", "logging", "eventarc"];

const require = createRequire(import.meta.url);
const FIREBASE_BIN = path.join(
  path.dirname(require.resolve("firebase-tools/package.json")),
  "lib",
  "bin",
  "firebase.js",
);
const SUPERVISE = path.join(path.dirname(new URL(import.meta.url).pathname), "supervise.mjs");
const STOP_GRACE_MS = 15_000;

export const LOCAL_ENV_FILE = path.join(FUNCTIONS_DIR, ".env.local");
const LOCAL_ENV_TEMPLATE = `# Local stack only: the Functions emulator reads functions/.env.local (it takes precedence
# over .env and .env.<project>; deploys never read it). Params without a value here are
# prompted for by the emulator and appended here with their defaults.
# The local clients have no App Check token, so callables must not enforce App Check.
CREDIT_DESK_ENFORCE_APP_CHECK=false
CREDIT_DESK_REGION=us-central1
CREDIT_DESK_BACKUP_BUCKET=
`;

export class PortInUseError extends Error {
  constructor(busy) {
    super(
      busy.map(({ name, port }) => `port ${port} (${name}) is already in use`).join("; ") +
        ` — is another \`npm start\` or Firebase emulator running? Stop it (Ctrl-C), or find it with \`lsof -i :${busy[0].port}\` / \`ss -ltnp | grep ${busy[0].port}\`.`,
    );
    this.name = "PortInUseError";
    this.busy = busy;
  }
}

/** startStack was aborted through opts.signal (e.g. Ctrl-C while starting); everything it started is stopped. */
export class StackAbortedError extends Error {
  constructor() {
    super("the local stack start was aborted");
    this.name = "StackAbortedError";
  }
}

function readFirebaseJson() {
  return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "firebase.json"), "utf8"));
}

/** Ports from firebase.json (plus the CLI's defaults for hub, logging and eventarc). */
export function defaultPorts() {
  const e = readFirebaseJson().emulators ?? {};
  return {
    firestore: e.firestore?.port ?? 8080,
    auth: e.auth?.port ?? 9099,
    functions: e.functions?.port ?? 5001,
    tasks: e.tasks?.port ?? 9499,
    hub: e.hub?.port ?? 4400,
    logging: e.logging?.port ?? 4500,
    eventarc: e.eventarc?.port ?? 9299,
  };
}

/** True when nothing can bind 0.0.0.0:port (which also fails if 127.0.0.1:port is taken). */
export async function portInUse(port) {
  return await new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(true));
    srv.listen({ port, host: "0.0.0.0", exclusive: true }, () => srv.close(() => resolve(false)));
  });
}

export async function assertPortsFree(ports, names = Object.keys(ports)) {
  const busy = [];
  for (const name of names) if (await portInUse(ports[name])) busy.push({ name, port: ports[name] });
  if (busy.length > 0) throw new PortInUseError(busy);
}

/** Distinct free ports for the given names (for tests next to a running `npm start`). */
export async function freePorts(names = PORT_NAMES) {
  const held = [];
  const out = {};
  try {
    for (const name of names) {
      const srv = net.createServer();
      await new Promise((resolve, reject) => {
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => resolve(undefined));
      });
      held.push(srv);
      out[name] = /** @type {import("node:net").AddressInfo} listening on a TCP port */ (srv.address()).port;
    }
  } finally {
    await Promise.all(held.map((s) => new Promise((r) => s.close(() => r(undefined)))));
  }
  return out;
}

/**
 * functions/.env.local must turn App Check off for the emulated callables. Creates the
 * file when missing, adds the key when absent; reports (does not overwrite) another value.
 */
export function ensureLocalEnv(file = LOCAL_ENV_FILE) {
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, LOCAL_ENV_TEMPLATE);
    return { created: true, warning: null };
  }
  const text = fs.readFileSync(file, "utf8");
  const m = text.match(/^\s*CREDIT_DESK_ENFORCE_APP_CHECK\s*=\s*"?([^"\n]*)"?\s*$/m);
  if (!m) {
    fs.appendFileSync(file, `${text.endsWith("\n") || text === "" ? "" : "\n"}CREDIT_DESK_ENFORCE_APP_CHECK=false\n`);
    return { created: false, warning: null };
  }
  if ((m[1] ?? "").trim().toLowerCase() !== "false") {
    return {
      created: false,
      warning: `${path.relative(REPO_ROOT, file)} sets CREDIT_DESK_ENFORCE_APP_CHECK=${m[1]}: callables will reject the local clients (no App Check token)`,
    };
  }
  return { created: false, warning: null };
}

const SNAPSHOT_ROOT = path.join(REPO_ROOT, "node_modules", ".cache", "credit-desk-stack");

/**
 * A private copy of the built functions package (package.json, lib, .env files), so a
 * stack under test does not reload when functions/lib is rebuilt meanwhile (the Functions
 * emulator watches its source directory and drops requests while it reloads). It lives
 * under node_modules/.cache so Node.js still resolves the dependencies from the repo.
 */
function snapshotFunctions(id) {
  const dest = path.join(SNAPSHOT_ROOT, id, "functions");
  fs.mkdirSync(dest, { recursive: true });
  fs.copyFileSync(path.join(FUNCTIONS_DIR, "package.json"), path.join(dest, "package.json"));
  fs.cpSync(path.join(FUNCTIONS_DIR, "lib"), path.join(dest, "lib"), { recursive: true });
  for (const f of fs.readdirSync(FUNCTIONS_DIR)) {
    if (f.startsWith(".env") || f === ".secret.local") fs.copyFileSync(path.join(FUNCTIONS_DIR, f), path.join(dest, f));
  }
  const ownModules = path.join(FUNCTIONS_DIR, "node_modules");
  if (fs.existsSync(ownModules)) fs.symlinkSync(ownModules, path.join(dest, "node_modules"), "dir");
  return dest;
}

/** The firebase.json the CLI runs with: the repo's functions config, our ports, no UI. */
function writeConfig(dir, ports, functionsDir) {
  const base = readFirebaseJson();
  const functions = (Array.isArray(base.functions) ? base.functions : [base.functions ?? { source: "functions" }]).map(
    (f) => ({
      ...f,
      // The CLI joins source onto the config's directory (path.join, so an absolute path
      // would not work): point back at the functions directory relatively.
      source: path.relative(dir, functionsDir ?? path.resolve(REPO_ROOT, f.source ?? "functions")),
    }),
  );
  const host = "127.0.0.1";
  const config = {
    functions,
    emulators: {
      singleProjectMode: true,
      ui: { enabled: false },
      auth: { host, port: ports.auth },
      functions: { host, port: ports.functions },
      tasks: { host, port: ports.tasks },
      hub: { host, port: ports.hub },
      logging: { host, port: ports.logging },
      eventarc: { host, port: ports.eventarc },
    },
  };
  const file = path.join(dir, "firebase.json");
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const TMP_PREFIX = "credit-desk-stack-";

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

/**
 * A stack's temp dir (config, log, hub locator, sockets) is removed by stop(); one whose
 * owner was killed outright stays. Remove those once their emulators are gone and they
 * are an hour old (a failed start keeps its log for reading meanwhile).
 */
function removeStaleTmpDirs() {
  const root = os.tmpdir();
  for (const name of fs.readdirSync(root)) {
    if (!name.startsWith(TMP_PREFIX)) continue;
    const dir = path.join(root, name);
    try {
      const pid = Number(fs.readFileSync(path.join(dir, "supervisor.pid"), "utf8"));
      const age = Date.now() - fs.statSync(dir).mtimeMs;
      if (!(pid > 0 && alive(pid)) && age > 3_600_000) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      /* not ours, or being created */
    }
  }
  // Snapshots whose stack's temp dir is gone.
  if (fs.existsSync(SNAPSHOT_ROOT)) {
    for (const name of fs.readdirSync(SNAPSHOT_ROOT)) {
      const dir = path.join(SNAPSHOT_ROOT, name);
      try {
        if (!fs.existsSync(path.join(root, name)) && Date.now() - fs.statSync(dir).mtimeMs > 600_000)
          fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        /* ignore */
      }
    }
  }
}

async function getJson(url, timeoutMs = 2_000) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    return await res.json();
  } catch {
    return null;
  }
}

/**
 * Run `npm run build` (the functions package) and throw with its output on failure.
 * @param {{ log?: (line: string) => void }} [opts]
 */
export async function buildFunctions({ log = () => {} } = {}) {
  const t0 = Date.now();
  log("› building functions (npm run build) …");
  const out = [];
  const code = await new Promise((resolve, reject) => {
    const p = spawn(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "build"], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    p.stdout.on("data", (d) => out.push(d));
    p.stderr.on("data", (d) => out.push(d));
    p.on("error", reject);
    p.on("exit", (c, s) => resolve(c ?? (s ? 1 : 0)));
  });
  if (code !== 0) throw new Error(`npm run build failed (exit ${code}):\n${Buffer.concat(out).toString().trim()}`);
  log(`  ✓ built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * Start the stack. Resolves once the Functions emulator serves the functions.
 *
 * @param {import("./stack.d.mts").StartStackOptions} [opts] (documented in stack.d.mts)
 */
export async function startStack(opts = {}) {
  const {
    projectId = DEFAULT_PROJECT_ID,
    region = DEFAULT_REGION,
    firestoreHost: externalFirestore = null,
    build = false,
    seed = false,
    log = () => {},
    onOutput = null,
    readyTimeoutMs = 180_000,
    env: extraEnv = {},
    signal = null,
    snapshot = false,
    firestoreServer: givenServer = null,
    triggers: deliverTriggers = true,
    triggerLog = log,
  } = opts;
  const checkAborted = () => {
    if (signal?.aborted) throw new StackAbortedError();
  };
  const ports = { ...defaultPorts(), ...(opts.ports ?? {}) };

  await assertPortsFree(
    ports,
    PORT_NAMES.filter((n) => !(n === "firestore" && externalFirestore)),
  );
  if (build) await buildFunctions({ log });
  checkAborted();
  const exported = exportedFunctions();
  if (exported.length === 0)
    throw new Error("functions/lib/index.js is missing or exports nothing: run `npm run build`.");
  const envCheck = ensureLocalEnv();
  if (envCheck.created)
    log(`  ✓ created ${path.relative(REPO_ROOT, LOCAL_ENV_FILE)} (CREDIT_DESK_ENFORCE_APP_CHECK=false)`);
  if (envCheck.warning) log(`  ! ${envCheck.warning}`);
  if (ensureLocalAuditKey().created) log("  ✓ generated the local audit keyring in functions/.secret.local");

  // Firestore: the caller's, or ours in this process.
  let firestoreServer = null;
  let firestoreHost = externalFirestore;
  if (!firestoreHost) {
    const { FirestoreServer } = await import("./in-process-firestore.mjs");
    firestoreServer = new FirestoreServer();
    try {
      await firestoreServer.start(ports.firestore);
    } catch {
      throw new PortInUseError([{ name: "firestore", port: ports.firestore }]);
    }
    firestoreHost = `127.0.0.1:${ports.firestore}`;
    log(`  ✓ Firestore (in-process @firestore-emulator/server) on ${firestoreHost}`);
  } else {
    ports.firestore = Number(firestoreHost.split(":").pop());
  }

  removeStaleTmpDirs();
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), TMP_PREFIX));
  const snapshotDir = snapshot ? snapshotFunctions(path.basename(tmpDir)) : null;
  if (snapshotDir) log(`  ✓ functions/lib snapshot for this stack: ${path.relative(REPO_ROOT, snapshotDir)}`);
  const configFile = writeConfig(tmpDir, ports, snapshotDir);
  const logFile = path.join(tmpDir, "emulators.log");
  const logStream = fs.createWriteStream(logFile);
  const tail = [];
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("VITEST") || k === "TINYPOOL_WORKER_ID") delete env[k];
  delete env[AUDIT_KEYS_NAME]; // functions get the keyring only by binding the secret (functions/.secret.local)
  Object.assign(env, extraEnv, {
    FIRESTORE_EMULATOR_HOST: firestoreHost, // the functions' Admin SDK → our Firestore
    CI: "true", // no MOTD fetch, no update notifier
    NO_UPDATE_NOTIFIER: "1",
    METADATA_SERVER_DETECTION: "none", // no 15 s probe of the GCE metadata server
    // A runtime worker must be up within this many seconds (CLI default 30), or the
    // emulator drops the request: booting several at once on a busy 2-core box takes longer.
    FUNCTIONS_DISCOVERY_TIMEOUT: process.env.FUNCTIONS_DISCOVERY_TIMEOUT ?? "120",
    NO_COLOR: "1",
    TMPDIR: tmpDir, // hub locator file and runtime sockets: per stack, no clash with another stack
  });
  const args = [
    SUPERVISE,
    process.execPath,
    FIREBASE_BIN,
    "emulators:start",
    "--only",
    "functions,auth,tasks",
    "--project",
    projectId,
    "--config",
    configFile,
    "--non-interactive",
  ];
  const child = spawn(process.execPath, args, {
    cwd: tmpDir,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start the Firebase emulators' supervisor (${process.execPath})`);
  // Which event triggers ask for retries (the emulator's trigger list omits it): read meanwhile.
  const triggerRetries = deliverTriggers ? eventTriggerRetries(snapshotDir ?? FUNCTIONS_DIR) : Promise.resolve({});
  child.channel?.unref?.();
  fs.writeFileSync(path.join(tmpDir, "supervisor.pid"), String(child.pid));
  let exit =
    /** @type {{ code: number | null, signal: NodeJS.Signals | null } | null} set when the supervisor exits */ (null);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve((exit = { code, signal }))));
  let loadFailure = null;
  const onLine = (raw) => {
    const line = raw.replace(/\x1b\[[0-9;]*m/g, "");
    logStream.write(line + "\n");
    tail.push(line);
    if (tail.length > 400) tail.shift();
    if (/Failed to load function definition/.test(line)) loadFailure ??= line.trim();
    onOutput?.(line);
  };
  readline
    .createInterface({ input: /** @type {import("node:stream").Readable} piped */ (child.stdout) })
    .on("line", onLine);
  readline
    .createInterface({ input: /** @type {import("node:stream").Readable} piped */ (child.stderr) })
    .on("line", onLine);

  // Last resort if this process exits without stop(): take the group down synchronously.
  const killGroupSync = () => {
    if (exit) return;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      /* gone */
    }
  };
  process.on("exit", killGroupSync);

  let stopPromise = null;
  let keepTmp = false;
  let triggers = null; // Firestore trigger delivery, once the emulators are ready
  const stop = () =>
    (stopPromise ??= (async () => {
      if (!exit) {
        try {
          process.kill(pid, "SIGTERM"); // the supervisor → SIGINT to the CLI (clean shutdown)
        } catch {
          /* gone */
        }
        const done = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS + 5_000).then(() => false)]);
        if (!done) {
          killGroupSync();
          await Promise.race([exited, sleep(5_000)]);
        }
      }
      // Stragglers of the group (should be none: the supervisor cleans up after the CLI).
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        /* none left */
      }
      process.off("exit", killGroupSync);
      await triggers?.stop();
      firestoreServer?.stop();
      await new Promise((r) => logStream.end(r));
      if (!keepTmp) fs.rmSync(tmpDir, { recursive: true, force: true });
      if (snapshotDir) fs.rmSync(path.dirname(snapshotDir), { recursive: true, force: true });
    })());

  const output = (lines = 60) => tail.slice(-lines).join("\n");
  const authHost = `127.0.0.1:${ports.auth}`;
  const functionsOrigin = `http://127.0.0.1:${ports.functions}`;
  const hubOrigin = `http://127.0.0.1:${ports.hub}`;

  // Wait until the hub lists the emulators and the Functions emulator serves functions.
  const tSpawn = Date.now();
  try {
    let lastProgress = Date.now();
    for (;;) {
      checkAborted();
      if (exit)
        throw new Error(
          `firebase emulators:start exited (${exit.code ?? exit.signal}) before it was ready. Last output:\n${output(40)}`,
        );
      if (loadFailure)
        throw new Error(`the Functions emulator could not load functions/lib: ${loadFailure}\n${output(25)}`);
      const running = (await getJson(`${hubOrigin}/emulators`)) ?? {};
      const backends = running.functions ? await getJson(`${functionsOrigin}/backends`) : null;
      const triggers = (backends?.backends ?? []).flatMap((b) => b.functionTriggers ?? []);
      if (running.auth && running.tasks && running.functions && triggers.length > 0) break;
      const elapsed = Date.now() - tSpawn;
      if (elapsed > readyTimeoutMs)
        throw new Error(
          `the emulators were not ready after ${Math.round(elapsed / 1000)} s. Last output:\n${output(40)}`,
        );
      if (Date.now() - lastProgress >= 5_000) {
        lastProgress = Date.now();
        const mark = (ok) => (ok ? "✓" : "…");
        log(
          `  … waiting for the emulators (${Math.round(elapsed / 1000)} s): hub ${mark(Object.keys(running).length > 0)}, functions ${mark(running.functions)},` +
            ` tasks ${mark(running.tasks)}, auth ${mark(running.auth)}${running.auth ? "" : " (its start alone takes ~15 s of CPU)"}, function definitions ${mark(triggers.length > 0)}`,
        );
      }
      await sleep(400);
    }
  } catch (err) {
    if (err instanceof StackAbortedError) {
      await stop();
      throw err;
    }
    keepTmp = true;
    await stop();
    err.message += `\n(full emulator log: ${logFile})`;
    throw err;
  }

  const backends = await getJson(`${functionsOrigin}/backends`);
  const served = [
    ...new Set(
      (backends?.backends ?? []).flatMap((b) => (b.functionTriggers ?? []).map((t) => t.entryPoint ?? t.name)),
    ),
  ].sort();
  const appCheckParam = backends?.backends?.[0]?.env?.CREDIT_DESK_ENFORCE_APP_CHECK;
  if (appCheckParam !== undefined && String(appCheckParam).toLowerCase() !== "false") {
    log(
      `  ! the Functions emulator runs with CREDIT_DESK_ENFORCE_APP_CHECK=${appCheckParam}: callables will reject the local clients`,
    );
  }
  log(
    `  ✓ emulators ready in ${((Date.now() - tSpawn) / 1000).toFixed(1)} s: ${served.length} functions (${served.join(", ")})`,
  );

  // Firestore triggers: the Functions emulator hands them only to the official Firestore
  // emulator, so the in-process Firestore's commits are delivered to them from here.
  const triggerSource = firestoreServer ?? givenServer;
  if (deliverTriggers && triggerSource?.onCommit) {
    const { startTriggerDelivery } = await import("./trigger-delivery.mjs");
    triggers = startTriggerDelivery({
      server: triggerSource,
      functionsOrigin,
      projectId,
      location: region,
      log: triggerLog,
      retries: await triggerRetries,
    });
    const list = await triggers.triggers();
    log(
      list.length
        ? `  ✓ Firestore triggers run on the in-process Firestore's commits: ${list.map((t) => `${t.entryPoint} (${t.document}${t.retry ? ", retried" : ""})`).join(", ")}`
        : "  ! the Functions emulator lists no Firestore triggers",
    );
  } else if (deliverTriggers) {
    log(
      `  ! Firestore triggers do not fire: Firestore at ${firestoreHost} is not this process's in-process server (pass firestoreServer)`,
    );
  }

  const stack = {
    projectId,
    region,
    ports,
    firestoreHost,
    authHost,
    tasksHost: `127.0.0.1:${ports.tasks}`,
    functionsOrigin,
    hubOrigin,
    served,
    logFile,
    pid: child.pid,
    functionUrl: (name) => `${functionsOrigin}/${projectId}/${region}/${name}`,
    output,
    exited,
    seed: null,
    triggers,
    stop,
  };

  if (seed) {
    try {
      const t1 = Date.now();
      log("› seeding the demo portfolio through the callables …");
      const { seedDemoPortfolio } = await import("./seed.mjs");
      const aborted = new Promise((_, reject) => {
        if (signal?.aborted) reject(new StackAbortedError());
        signal?.addEventListener("abort", () => reject(new StackAbortedError()), { once: true });
      });
      aborted.catch(() => {});
      stack.seed = await Promise.race([
        seedDemoPortfolio({ functionsOrigin, authHost, projectId, region, log, firestoreHost }),
        aborted,
      ]);
      log(`  ✓ seeded in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    } catch (err) {
      if (err instanceof StackAbortedError) {
        await stop();
        throw err;
      }
      keepTmp = true;
      await stop();
      err.message = `seeding failed: ${err.message}${onOutput ? "" : `\nLast emulator output:\n${output(25)}`}\n(full emulator log: ${logFile})`;
      throw err;
    }
  }
  return stack;
}
