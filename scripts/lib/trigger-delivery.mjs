/**
 * Firestore trigger delivery for the local stack. The Functions emulator registers Firestore
 * triggers only with the official Firestore emulator (Java 21 + a download), so on the
 * in-process Firestore nothing would fire. This module does what that emulator does:
 *
 *   every committed document change (server.onCommit: one change per document per commit,
 *   after the commit, a transaction's or batch's writes included)
 *     → each deployed Firestore trigger whose event type, database, namespace and document
 *       pattern match (listed by the Functions emulator: GET /backends)
 *     → a CloudEvent (google.cloud.firestore.document.v1.written|created|updated|deleted)
 *       with the old and new document in Firestore's JSON encoding (timestamps, integers
 *       vs doubles, maps, arrays, references, bytes, geo points, nulls kept)
 *     → POST /functions/projects/{project}/triggers/{key} on the Functions emulator (its
 *       background-function route; the official emulator posts protobuf, and firebase-
 *       functions v2 decodes `datacontenttype: application/json` data as well:
 *       createSnapshotFromJson in firebase-functions/lib/common/providers/firestore.js).
 *
 * At-least-once, like production: a delivery the function fails (HTTP 500) is retried with
 * exponential backoff when the trigger was deployed with `retry: true` (otherwise it is
 * logged and dropped); a delivery that could not reach the function (emulator reloading,
 * connection refused, unknown trigger key) is retried whatever the trigger says. Every
 * retry of an event carries the same event id, and `redeliver(id)` posts a delivered event
 * again, so the functions' de-duplication is exercised for real.
 */
import { randomUUID } from "node:crypto";

export const FIRESTORE_EVENT_PREFIX = "google.cloud.firestore.document.v1.";
const CHANGE_KINDS = ["written", "created", "updated", "deleted"];
const AUTH_CONTEXT_SUFFIX = ".withAuthContext";

// ---------------------------------------------------------------------------------------
// Encoding: the package's typed fields → Firestore's JSON (google.events.cloud.firestore.v1)

/** RFC 3339 with nanoseconds from a {seconds, nanos} timestamp. */
export function timestampJson(seconds, nanos) {
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}.${String(Number(nanos)).padStart(9, "0")}Z`;
}

const dateJson = (date) => timestampJson(Math.floor(date.getTime() / 1000), (date.getTime() % 1000) * 1e6);

function doubleJson(value) {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  return value;
}

/** One stored field (the package's FirestoreStateDocument*Field) as a Firestore JSON Value. */
export function encodeValue(field) {
  switch (field.type) {
    case "null_value":
      return { nullValue: null };
    case "boolean_value":
      return { booleanValue: field.value };
    case "integer_value":
      return { integerValue: String(field.value) }; // int64: a string in JSON
    case "double_value":
      return { doubleValue: doubleJson(field.value) };
    case "string_value":
      return { stringValue: field.value };
    case "timestamp_value":
      return { timestampValue: timestampJson(field.value.seconds, field.value.nanos) };
    case "bytes_value":
      return { bytesValue: Buffer.from(field.value).toString("base64") };
    case "reference_value":
      return { referenceValue: field.value };
    case "geo_point_value":
      return { geoPointValue: { latitude: field.value.latitude, longitude: field.value.longitude } };
    case "array_value":
      return { arrayValue: field.value.length ? { values: field.value.map(encodeValue) } : {} };
    case "map_value": {
      const entries = Object.entries(field.value);
      return { mapValue: entries.length ? { fields: encodeFields(field.value) } : {} };
    }
    default:
      throw new Error(`trigger delivery: cannot encode a ${field.type} field`);
  }
}

export function encodeFields(fields) {
  return Object.fromEntries(Object.entries(fields).map(([key, field]) => [key, encodeValue(field)]));
}

/** A committed document snapshot (server.onCommit) as a Firestore JSON Document. */
export function encodeDocument(doc) {
  return {
    name: doc.name,
    fields: encodeFields(doc.fields),
    createTime: dateJson(doc.createTime),
    updateTime: dateJson(doc.updateTime),
  };
}

const SIMPLE_FIELD = /^[A-Za-z_][A-Za-z_0-9]*$/;
const fieldName = (key) => (SIMPLE_FIELD.test(key) ? key : `\`${key.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``);

const sameValue = (a, b) => JSON.stringify(encodeValue(a)) === JSON.stringify(encodeValue(b));

/** Field paths that differ between two field maps (into maps, down to what changed), sorted. */
export function changedFieldPaths(before, after, prefix = "") {
  const out = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const path = prefix + fieldName(key);
    const a = before[key];
    const b = after[key];
    if (a && b && a.type === "map_value" && b.type === "map_value")
      out.push(...changedFieldPaths(a.value, b.value, `${path}.`));
    else if (!a || !b || !sameValue(a, b)) out.push(path);
  }
  return out.sort();
}

// ---------------------------------------------------------------------------------------
// Matching

/** `projects/{p}/databases/{d}/documents/{path}` → its parts. */
export function parseDocumentName(name) {
  const m = /^projects\/([^/]+)\/databases\/([^/]+)\/documents\/(.+)$/.exec(name);
  if (!m) throw new Error(`trigger delivery: not a document name: ${name}`);
  return { project: m[1], database: m[2], document: m[3] };
}

/**
 * Match a document path against a trigger's pattern: `{name}` takes one segment,
 * `{name=**}` the rest; anything else must be equal. Returns the params, or null.
 */
export function matchDocumentPattern(pattern, document) {
  const p = pattern.replace(/^\/+|\/+$/g, "").split("/");
  const d = document.split("/");
  const params = {};
  for (let i = 0; i < p.length; i++) {
    const segment = p[i];
    const wildcard = /^\{([^}=]+)(=\*\*)?\}$/.exec(segment);
    if (wildcard?.[2] || segment === "**") {
      if (i !== p.length - 1 || d.length <= i) return null;
      if (wildcard) params[wildcard[1]] = d.slice(i).join("/");
      return params;
    }
    if (i >= d.length) return null;
    if (wildcard) params[wildcard[1]] = d[i];
    else if (segment !== d[i]) return null;
  }
  return p.length === d.length ? params : null;
}

/** The kind of a change: created, updated or deleted (null: nothing existed before or after). */
export function changeKind(change) {
  if (!change.before && change.after) return "created";
  if (change.before && change.after) return "updated";
  if (change.before && !change.after) return "deleted";
  return null;
}

/**
 * Firestore triggers from the Functions emulator's GET /backends answer. That answer leaves
 * out whether a trigger asks for retries: `retries` (entry point → retry, from the functions'
 * own manifest: eventTriggerRetries in exports.mjs) fills it in.
 */
export function firestoreTriggers(backends, retries = {}) {
  const out = [];
  for (const backend of backends?.backends ?? []) {
    for (const t of backend.functionTriggers ?? []) {
      const et = t.eventTrigger;
      if (!et?.eventType?.startsWith(FIRESTORE_EVENT_PREFIX)) continue;
      const exact = et.eventFilters?.document;
      const pattern = et.eventFilterPathPatterns?.document;
      if (!exact && !pattern) continue;
      const type = et.eventType;
      const kind = type.slice(FIRESTORE_EVENT_PREFIX.length).replace(AUTH_CONTEXT_SUFFIX, "");
      if (!CHANGE_KINDS.includes(kind)) continue;
      out.push({
        id: t.id,
        entryPoint: t.entryPoint ?? t.id,
        region: t.region ?? null,
        eventType: type,
        kind,
        withAuthContext: type.endsWith(AUTH_CONTEXT_SUFFIX),
        database: et.eventFilters?.database ?? "(default)",
        namespace: et.eventFilters?.namespace ?? "(default)",
        document: pattern ?? exact,
        exact: !pattern,
        retry: (et.retry ?? retries[t.entryPoint ?? t.id]) === true,
      });
    }
  }
  return out;
}

/** The params if `trigger` fires for `change` (a commit change), else null. */
export function triggerMatches(trigger, change) {
  const kind = changeKind(change);
  if (!kind) return null;
  if (trigger.kind !== "written" && trigger.kind !== kind) return null;
  const { database, document } = parseDocumentName(change.name);
  if (trigger.database !== database || trigger.namespace !== "(default)") return null;
  if (trigger.exact) return trigger.document.replace(/^\/+|\/+$/g, "") === document ? {} : null;
  return matchDocumentPattern(trigger.document, document);
}

/**
 * The CloudEvent (structured mode, JSON) for one trigger and one change, as Cloud Firestore
 * would send it through Eventarc (data: DocumentEventData in its JSON mapping).
 */
export function cloudEventFor(trigger, change, { id, commitTime, location }) {
  const { project, database, document } = parseDocumentName(change.name);
  const data = {};
  if (change.after) data.value = encodeDocument(change.after);
  if (change.before) data.oldValue = encodeDocument(change.before);
  if (change.before && change.after)
    data.updateMask = { fieldPaths: changedFieldPaths(change.before.fields, change.after.fields) };
  const event = {
    specversion: "1.0",
    id,
    source: `//firestore.googleapis.com/projects/${project}/databases/${database}`,
    type: trigger.eventType,
    subject: `documents/${document}`,
    time: dateJson(commitTime),
    datacontenttype: "application/json",
    location,
    project,
    database,
    namespace: "(default)",
    document,
    data,
  };
  if (trigger.withAuthContext) Object.assign(event, { authtype: "unknown" });
  return event;
}

// ---------------------------------------------------------------------------------------
// Delivery

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref?.();
    signal?.addEventListener("abort", () => (clearTimeout(t), resolve(undefined)), { once: true });
  });

/**
 * Deliver the server's committed changes to the Functions emulator's Firestore triggers.
 *
 * @param {object} opts
 * @param {{ onCommit(listener: (e: any) => void): () => void }} opts.server the in-process FirestoreServer
 * @param {string} opts.functionsOrigin e.g. http://127.0.0.1:5001
 * @param {string} opts.projectId
 * @param {string} [opts.location] the CloudEvent's location attribute (the database's region)
 * @param {(line: string) => void} [opts.log] one line per delivery outcome
 * @param {number} [opts.concurrency] deliveries in flight at once (each busy one costs the emulator a worker process)
 * @param {Record<string, boolean>} [opts.retries] entry point → whether the trigger asks for retries (eventTriggerRetries)
 * @param {{ initialMs?: number, maxMs?: number, maxAttempts?: number }} [opts.backoff]
 */
export function startTriggerDelivery(opts) {
  const {
    server,
    functionsOrigin,
    projectId,
    location = "us-central1",
    log = () => {},
    concurrency = 2,
    retries = {},
  } = opts;
  const backoff = { initialMs: 500, maxMs: 30_000, maxAttempts: 8, ...opts.backoff };
  const abort = new AbortController();
  const pending = []; // changes and deliveries waiting for a slot
  const delivered = new Map(); // event id → { trigger, event, outcome, attempts } (last 1,000)
  const stats = { changes: 0, deliveries: 0, delivered: 0, retried: 0, failed: 0, redelivered: 0 };
  let inFlight = 0;
  let backingOff = 0; // retries waiting for their backoff to pass
  let idleWaiters = [];
  let triggerList = null;
  let triggersFetchedAt = 0;
  const keys = new Map(); // trigger id → the emulator's trigger key (`${id}-${generation}`)

  async function triggers(force = false) {
    if (!force && triggerList && Date.now() - triggersFetchedAt < 5_000) return triggerList;
    try {
      const res = await fetch(`${functionsOrigin}/backends`, { signal: AbortSignal.timeout(10_000) });
      if (res.ok) {
        triggerList = firestoreTriggers(await res.json(), retries);
        triggersFetchedAt = Date.now();
      }
    } catch {
      /* the emulator is busy or reloading: keep the last list */
    }
    return triggerList ?? [];
  }

  function settleIfIdle() {
    if (pending.length === 0 && inFlight === 0 && backingOff === 0) {
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
    }
  }

  function pump() {
    while (inFlight < concurrency && pending.length > 0 && !abort.signal.aborted) {
      const job = pending.shift();
      inFlight++;
      void job()
        .catch((err) => log(`  ! trigger delivery failed unexpectedly: ${err?.stack ?? err}`))
        .finally(() => {
          inFlight--;
          pump();
          settleIfIdle();
        });
    }
  }

  const enqueue = (job) => {
    pending.push(job);
    pump();
  };

  /** POST the event to the trigger; the HTTP status (0 when the emulator could not be reached) and body. */
  async function post(trigger, event) {
    let key = keys.get(trigger.id) ?? `${trigger.id}-0`;
    for (let round = 0; round < 2; round++) {
      let res;
      try {
        res = await fetch(`${functionsOrigin}/functions/projects/${projectId}/triggers/${encodeURIComponent(key)}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(event),
          signal: AbortSignal.any([abort.signal, AbortSignal.timeout(300_000)]),
        });
      } catch (err) {
        return { status: 0, body: String(err?.message ?? err) };
      }
      const body = await res.text().catch(() => "");
      if (res.status !== 404) return { status: res.status, body };
      // The emulator names its trigger keys `${id}-${generation}` and lists them on a miss.
      const valid =
        /valid functions are: (.*)$/s
          .exec(body)?.[1]
          ?.split(",")
          .map((s) => s.trim()) ?? [];
      const found = valid
        .filter((k) => k === trigger.id || k.startsWith(`${trigger.id}-`))
        .sort((a, b) => Number(b.slice(trigger.id.length + 1)) - Number(a.slice(trigger.id.length + 1)))[0];
      if (!found || found === key) return { status: 404, body };
      key = found;
      keys.set(trigger.id, key);
    }
    return { status: 404, body: "unknown trigger" };
  }

  function delivery(trigger, event, path, kind, record) {
    return async () => {
      const t0 = Date.now();
      record.attempts++;
      const { status, body } = await post(trigger, event);
      const ms = Date.now() - t0;
      if (status >= 200 && status < 300) {
        record.outcome = status === 204 ? "disabled" : "delivered";
        stats.delivered++;
        log(
          `  trigger ${trigger.entryPoint} ← ${path} (${kind}) ${status === 204 ? "skipped: background triggers disabled" : "✓"} ${ms} ms${record.attempts > 1 ? `, attempt ${record.attempts}` : ""}`,
        );
        return;
      }
      if (abort.signal.aborted) {
        record.outcome = "failed"; // stopped: the stack is shutting down
        return;
      }
      // Not reached (0), unknown trigger (404), emulator trouble (5xx other than the function's 500): always retried.
      const functionFailed = status === 500;
      const retry = (!functionFailed || trigger.retry) && record.attempts < backoff.maxAttempts;
      const why =
        status === 0 ? `not delivered (${body})` : `HTTP ${status}${functionFailed ? " (the function failed)" : ""}`;
      if (!retry) {
        record.outcome = "failed";
        stats.failed++;
        const reason =
          functionFailed && !trigger.retry
            ? "the trigger does not ask for retries"
            : `gave up after ${record.attempts} attempts`;
        log(`  ! trigger ${trigger.entryPoint} ← ${path} (${kind}) ${why}; ${reason} (event ${event.id})`);
        return;
      }
      stats.retried++;
      const delay =
        Math.min(backoff.maxMs, backoff.initialMs * 2 ** (record.attempts - 1)) * (0.75 + Math.random() * 0.5);
      log(
        `  ! trigger ${trigger.entryPoint} ← ${path} (${kind}) ${why}; retrying in ${(delay / 1000).toFixed(1)} s (event ${event.id})`,
      );
      backingOff++; // idle() waits for it; the delivery slot is free meanwhile
      void sleep(delay, abort.signal).then(() => {
        backingOff--;
        if (!abort.signal.aborted) enqueue(delivery(trigger, event, path, kind, record));
        settleIfIdle();
      });
    };
  }

  function dispatch(change, commitTime) {
    return async () => {
      const kind = changeKind(change);
      if (!kind) return;
      const list = await triggers();
      const id = randomUUID(); // one event per change; the same id on every retry and redelivery
      const { document } = parseDocumentName(change.name);
      for (const trigger of list) {
        const params = triggerMatches(trigger, change);
        if (!params) continue;
        const event = cloudEventFor(trigger, change, { id, commitTime, location });
        const record = { trigger, event, outcome: "pending", attempts: 0 };
        delivered.set(`${id}/${trigger.id}`, record);
        if (delivered.size > 1_000) delivered.delete(delivered.keys().next().value);
        stats.deliveries++;
        enqueue(delivery(trigger, event, document, kind, record));
      }
    };
  }

  const unsubscribe = server.onCommit(({ commitTime, changes }) => {
    for (const change of changes) {
      stats.changes++;
      enqueue(dispatch(change, commitTime));
    }
  });
  void triggers(true);

  return {
    stats,
    /** The Firestore triggers the Functions emulator serves (refreshed when older than 5 s). */
    triggers: () => triggers(),
    /** Resolves when every change committed so far has been delivered (or given up on). */
    idle() {
      if (pending.length === 0 && inFlight === 0 && backingOff === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    /** Recent deliveries: `{ eventId, trigger, document, type, outcome, attempts }`, oldest first. */
    deliveries() {
      return [...delivered.values()].map((r) => ({
        eventId: r.event.id,
        trigger: r.trigger.id,
        document: r.event.document,
        type: r.event.type,
        outcome: r.outcome,
        attempts: r.attempts,
      }));
    },
    /** Post an already delivered event again (same id) to its trigger(s); resolves with the HTTP statuses. */
    async redeliver(eventId) {
      const records = [...delivered.entries()].filter(([k]) => k.startsWith(`${eventId}/`)).map(([, r]) => r);
      if (records.length === 0) throw new Error(`trigger delivery: no delivered event ${eventId}`);
      const statuses = [];
      for (const r of records) {
        stats.redelivered++;
        const { status } = await post(r.trigger, r.event);
        log(`  trigger ${r.trigger.entryPoint} ← ${r.event.document} redelivered (event ${eventId}): HTTP ${status}`);
        statuses.push(status);
      }
      return statuses;
    },
    /** Stop listening; deliveries in flight finish, waiting retries are dropped. */
    async stop() {
      unsubscribe();
      abort.abort();
      pending.length = 0;
      settleIfIdle();
    },
  };
}
