/**
 * Trigger delivery from the in-process Firestore (scripts/lib/trigger-delivery.mjs):
 *  - the CloudEvent keeps Firestore's types, and firebase-functions' own v2 Firestore handler
 *    decodes it back to the values written (the way the Functions emulator's runtime calls it);
 *  - one change per document per commit, after the commit, none for a failed commit;
 *  - delivery against a stand-in Functions emulator (its /backends and background-function
 *    route): matching, retries with the same event id where the trigger asks for them, no
 *    retry where it does not, trigger keys of a reloaded emulator, redelivery.
 * The real emulator and the deployed triggers are exercised in test/e2e/triggers.e2e.test.ts.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getApps, initializeApp } from "firebase-admin/app";
import { FieldPath, GeoPoint, getFirestore, Timestamp, type DocumentSnapshot } from "firebase-admin/firestore";
import { onDocumentWritten } from "firebase-functions/v2/firestore";
import type { CommitEvent, CommittedChange, FirestoreServer } from "../../scripts/lib/in-process-firestore.mjs";
import {
  changedFieldPaths,
  cloudEventFor,
  firestoreTriggers,
  matchDocumentPattern,
  startTriggerDelivery,
  type FirestoreCloudEvent,
  type TriggerDelivery,
} from "../../scripts/lib/trigger-delivery.mjs";
import { firestoreServer } from "../support/callables.js";

const PROJECT = process.env.GCLOUD_PROJECT ?? "demo-credit";
if (getApps().length === 0) initializeApp({ projectId: PROJECT });
const db = getFirestore();
const official = process.env.CREDIT_DESK_OFFICIAL_EMULATOR === "1";
const server = () => firestoreServer().server as FirestoreServer;

/** The Functions emulator's /backends shape (as firebase-tools 15 answers), with a pattern, an exact and a created-only trigger. */
function backends(prefix: string) {
  return {
    backends: [
      {
        functionTriggers: [
          { entryPoint: "checkOrder", id: "us-central1-checkOrder", region: "us-central1", httpsTrigger: {} },
          {
            entryPoint: "onThingWritten",
            id: "us-central1-onThingWritten",
            region: "us-central1",
            eventTrigger: {
              eventType: "google.cloud.firestore.document.v1.written",
              eventFilters: { database: "(default)", namespace: "(default)" },
              eventFilterPathPatterns: { document: `${prefix}/{thingId}/parts/{partId}` },
              // No `retry` here: the emulator leaves it out; it comes from the functions' manifest.
            },
          },
          {
            entryPoint: "settingsWritten",
            id: "us-central1-settingsWritten",
            region: "us-central1",
            eventTrigger: {
              eventType: "google.cloud.firestore.document.v1.written",
              eventFilters: { database: "(default)", namespace: "(default)", document: `${prefix}-config/settings` },
              eventFilterPathPatterns: {},
            },
          },
          {
            entryPoint: "thingCreated",
            id: "us-central1-thingCreated",
            region: "us-central1",
            eventTrigger: {
              eventType: "google.cloud.firestore.document.v1.created",
              eventFilters: { database: "(default)", namespace: "(default)" },
              eventFilterPathPatterns: { document: `${prefix}/{thingId}` },
            },
          },
        ],
      },
    ],
  };
}

/** Collect the commits of the in-process server while `fn` runs. */
async function commitsDuring(fn: () => Promise<unknown>): Promise<CommitEvent[]> {
  const seen: CommitEvent[] = [];
  const off = server().onCommit((e) => seen.push(e));
  try {
    await fn().catch(() => {});
  } finally {
    off();
  }
  return seen;
}

describe.skipIf(official)("committed changes", () => {
  it("one change per document per commit, reported after it; none for a commit that fails", async () => {
    const base = `changes/${randomUUID()}/docs`;
    const a = db.doc(`${base}/a`);
    const b = db.doc(`${base}/b`);
    const batch = db.batch();
    batch.set(a, { n: 1 });
    batch.update(a, { n: 2 });
    batch.set(b, { n: 1 });
    const [commit] = await commitsDuring(() => batch.commit());
    expect(commit!.changes.map((c) => c.name.split("/").pop())).toEqual(["a", "b"]);
    expect(commit!.changes[0]!.before).toBeNull();
    expect(JSON.stringify(commit!.changes[0]!.after!.fields)).toContain('"value":2');

    const inTx = await commitsDuring(() =>
      db.runTransaction(async (tx) => {
        const n = (await tx.get(a)).get("n") as number;
        tx.update(a, { n: n + 1 });
        tx.delete(b);
      }),
    );
    expect(inTx).toHaveLength(1);
    const [ca, cb] = inTx[0]!.changes;
    expect(ca!.before && ca!.after).toBeTruthy();
    expect(cb!.before).not.toBeNull(); // a delete carries the old value
    expect(cb!.after).toBeNull();

    const failed = await commitsDuring(() =>
      db
        .batch()
        .set(db.doc(`${base}/c`), { n: 1 })
        .create(a, { n: 9 })
        .commit(),
    );
    expect(failed).toEqual([]);
  });
});

describe.skipIf(official)("the CloudEvent keeps Firestore's types", () => {
  const trigger = firestoreTriggers(backends("typed")).find((t) => t.entryPoint === "onThingWritten")!;
  const when = Timestamp.fromDate(new Date("2026-03-04T05:06:07.123Z"));
  const precise = new Timestamp(1_772_600_767, 123_456_789);
  const value = {
    int: 42,
    bigInt: 9_007_199_254_740_991,
    negative: -7,
    double: 1.5,
    notANumber: Number.NaN,
    infinite: Number.POSITIVE_INFINITY,
    text: 'Grüße, "quoted"',
    yes: true,
    nothing: null,
    when,
    precise,
    ref: db.doc("customers/c-1"),
    bytes: Buffer.from([0, 1, 2, 250, 255]),
    place: new GeoPoint(52.52, 13.405),
    list: [1, "two", 3.5, null, [Timestamp.fromMillis(0)], { nested: true }],
    emptyList: [] as unknown[],
    map: { a: 1, b: { c: "deep", d: [when] } },
    emptyMap: {},
    "dotted.key": "escaped in update masks",
  };

  async function changeOf(write: () => Promise<unknown>): Promise<CommittedChange> {
    const [commit] = await commitsDuring(write);
    expect(commit!.changes).toHaveLength(1);
    return commit!.changes[0]!;
  }

  /** Run firebase-functions' v2 onDocumentWritten handler on the event, as the emulator's runtime does. */
  async function decode(event: FirestoreCloudEvent) {
    let seen: {
      before: DocumentSnapshot;
      after: DocumentSnapshot;
      params: Record<string, string>;
      id: string;
      document: string;
    } | null = null;
    const fn = onDocumentWritten(trigger.document, (e) => {
      seen = { before: e.data!.before, after: e.data!.after, params: e.params, id: e.id, document: e.document };
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await (fn as any)(JSON.parse(JSON.stringify(event)));
    return seen!;
  }

  it("encodes every value type faithfully, and firebase-functions decodes it to what was written", async () => {
    const ref = db.doc(`typed/${randomUUID()}/parts/p1`);
    const change = await changeOf(() => ref.set(value));
    const event = cloudEventFor(trigger, change, {
      id: "evt-1",
      commitTime: change.after!.updateTime,
      location: "us-central1",
    });

    expect(event).toMatchObject({
      specversion: "1.0",
      id: "evt-1",
      type: "google.cloud.firestore.document.v1.written",
      source: `//firestore.googleapis.com/projects/${PROJECT}/databases/(default)`,
      subject: `documents/${ref.path}`,
      datacontenttype: "application/json",
      project: PROJECT,
      database: "(default)",
      namespace: "(default)",
      document: ref.path,
    });
    expect(event.data.oldValue).toBeUndefined();
    const f = event.data.value!.fields;
    expect(f.int).toEqual({ integerValue: "42" });
    expect(f.bigInt).toEqual({ integerValue: "9007199254740991" });
    expect(f.double).toEqual({ doubleValue: 1.5 });
    expect(f.notANumber).toEqual({ doubleValue: "NaN" });
    expect(f.infinite).toEqual({ doubleValue: "Infinity" });
    expect(f.nothing).toEqual({ nullValue: null });
    expect(f.precise).toEqual({ timestampValue: "2026-03-04T05:06:07.123456789Z" });
    expect(f.ref).toEqual({ referenceValue: `projects/${PROJECT}/databases/(default)/documents/customers/c-1` });
    expect(f.bytes).toEqual({ bytesValue: Buffer.from([0, 1, 2, 250, 255]).toString("base64") });
    expect(f.place).toEqual({ geoPointValue: { latitude: 52.52, longitude: 13.405 } });
    expect(f.emptyList).toEqual({ arrayValue: {} });
    expect(f.emptyMap).toEqual({ mapValue: {} });
    const deep = {
      c: { stringValue: "deep" },
      d: { arrayValue: { values: [{ timestampValue: "2026-03-04T05:06:07.123000000Z" }] } },
    };
    expect(f.map).toEqual({ mapValue: { fields: { a: { integerValue: "1" }, b: { mapValue: { fields: deep } } } } });
    expect(event.data.value!.updateTime).toBe(change.after!.updateTime.toISOString().replace("Z", "000000Z"));

    const seen = await decode(event);
    expect(seen.params).toEqual({ thingId: ref.parent.parent!.id, partId: "p1" });
    expect(seen.id).toBe("evt-1");
    expect(seen.before.exists).toBe(false);
    expect(seen.after.exists).toBe(true);
    expect(seen.after.updateTime!.toMillis()).toBe(change.after!.updateTime.getTime());
    const got = seen.after.data()!;
    // Exactly what was written, types included (Timestamp to the nanosecond, DocumentReference, Buffer, GeoPoint, NaN).
    expect(got).toEqual({ ...value, ref: expect.anything(), bytes: expect.anything() });
    expect((got.precise as Timestamp).isEqual(precise)).toBe(true);
    expect((got.ref as typeof value.ref).path).toBe("customers/c-1");
    expect(Buffer.compare(got.bytes as Buffer, value.bytes)).toBe(0);
    expect((got.place as GeoPoint).isEqual(value.place)).toBe(true);
  });

  it("an update carries the old value and the changed field paths; a delete the old value only", async () => {
    const ref = db.doc(`typed/${randomUUID()}/parts/p2`);
    await ref.set(value);
    const updated = await changeOf(() =>
      ref.update(new FieldPath("dotted.key"), "changed", "int", 43, "map.b.c", "changed", "added", 1),
    );
    const event = cloudEventFor(trigger, updated, {
      id: "evt-2",
      commitTime: updated.after!.updateTime,
      location: "us-central1",
    });
    expect(event.data.updateMask!.fieldPaths).toEqual(["`dotted.key`", "added", "int", "map.b.c"]);
    const seen = await decode(event);
    expect(seen.before.get("int")).toBe(42);
    expect(seen.after.get("int")).toBe(43);
    expect(seen.after.get("map.b.c")).toBe("changed");
    expect(seen.after.get(new FieldPath("dotted.key"))).toBe("changed");

    const deleted = await changeOf(() => ref.delete());
    const gone = cloudEventFor(trigger, deleted, { id: "evt-3", commitTime: new Date(), location: "us-central1" });
    expect(gone.data.value).toBeUndefined();
    expect(gone.data.updateMask).toBeUndefined();
    const after = await decode(gone);
    expect(after.after.exists).toBe(false);
    expect(after.before.get("int")).toBe(43);
  });
});

describe("document patterns and update masks", () => {
  it("match single segments, the rest with {x=**}, and nothing else", () => {
    expect(matchDocumentPattern("customers/{customerId}/transactions/{txId}", "customers/c1/transactions/t1")).toEqual({
      customerId: "c1",
      txId: "t1",
    });
    expect(matchDocumentPattern("customers/{customerId}/transactions/{txId}", "customers/c1")).toBeNull();
    expect(matchDocumentPattern("customers/{customerId}/transactions/{txId}", "customers/c1/ledger/t1")).toBeNull();
    expect(
      matchDocumentPattern("customers/{customerId}/transactions/{txId}", "customers/c1/transactions/t1/more/x"),
    ).toBeNull();
    expect(matchDocumentPattern("config/creditPolicy", "config/creditPolicy")).toEqual({});
    expect(matchDocumentPattern("logs/{rest=**}", "logs/a/b/c")).toEqual({ rest: "a/b/c" });
  });

  it("list no field when nothing changed", () => {
    const one = { type: "integer_value", value: 1 };
    expect(changedFieldPaths({ a: one }, { a: { type: "integer_value", value: 1 } })).toEqual([]);
    expect(changedFieldPaths({ a: one }, { a: { type: "double_value", value: 1 } })).toEqual(["a"]); // integer → double is a change
  });
});

describe.skipIf(official)("delivery to the Functions emulator's background-function route", () => {
  type Post = { key: string; event: FirestoreCloudEvent };
  const posts: Post[] = [];
  const answers = new Map<string, number[]>(); // trigger key → statuses to answer, in order (then 200)
  let generation = 0; // trigger keys are `${id}-${generation}`, as in firebase-tools
  let origin = "";
  let emulator: http.Server;
  let delivery: TriggerDelivery;
  const prefix = `things-${randomUUID().slice(0, 8)}`;
  const logs: string[] = [];

  beforeAll(async () => {
    emulator = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (req.method === "GET" && req.url === "/backends") return void res.end(JSON.stringify(backends(prefix)));
        const m = /^\/functions\/projects\/([^/]+)\/triggers\/(.+)$/.exec(req.url ?? "");
        if (req.method !== "POST" || !m || m[1] !== PROJECT) return void res.writeHead(400).end();
        const key = decodeURIComponent(m[2]!);
        const ids = backends(prefix).backends[0]!.functionTriggers.map((t) => `${t.id}-${generation}`);
        if (!ids.includes(key))
          return void res.writeHead(404).end(`Function ${key} does not exist, valid functions are: ${ids.join(", ")}`);
        expect(req.headers["content-type"]).toBe("application/json");
        posts.push({ key, event: JSON.parse(Buffer.concat(chunks).toString()) });
        const status = answers.get(key)?.shift() ?? 200;
        res.writeHead(status).end(status === 200 ? '{"status":"acknowledged"}' : "function failed");
      });
    });
    await new Promise<void>((r) => emulator.listen(0, "127.0.0.1", () => r()));
    origin = `http://127.0.0.1:${(emulator.address() as AddressInfo).port}`;
    delivery = startTriggerDelivery({
      server: server(),
      functionsOrigin: origin,
      projectId: PROJECT,
      retries: { onThingWritten: true, settingsWritten: false }, // as eventTriggerRetries reads them from the manifest
      log: (l) => logs.push(l),
      backoff: { initialMs: 5, maxMs: 20, maxAttempts: 4 },
    });
  });

  afterAll(async () => {
    await delivery?.stop();
    await new Promise((r) => emulator?.close(r));
  });

  const postsFor = (path: string) => posts.filter((p) => p.event.document === path);

  it("delivers each matching trigger once per change; non-matching writes deliver nothing", async () => {
    const thing = db.doc(`${prefix}/t1`);
    const part = thing.collection("parts").doc("p1");
    await db
      .batch()
      .set(thing, { n: 1 })
      .set(part, { n: 1 })
      .set(db.doc(`${prefix}/t1/other/o1`), { n: 1 })
      .commit();
    await delivery.idle();
    expect(postsFor(part.path).map((p) => [p.key, p.event.type])).toEqual([
      ["us-central1-onThingWritten-0", "google.cloud.firestore.document.v1.written"],
    ]);
    expect(postsFor(thing.path).map((p) => p.key)).toEqual(["us-central1-thingCreated-0"]);
    expect(postsFor(`${prefix}/t1/other/o1`)).toEqual([]);
    // An update is not a creation: the created-only trigger stays quiet.
    await thing.update({ n: 2 });
    await delivery.idle();
    expect(postsFor(thing.path)).toHaveLength(1);
  });

  it("retries a failed delivery with the same event id when the trigger asks for retries", async () => {
    answers.set("us-central1-onThingWritten-0", [500, 500]);
    const part = db.doc(`${prefix}/t2/parts/p1`);
    await part.set({ n: 1 });
    await delivery.idle();
    const got = postsFor(part.path);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((p) => p.event.id)).size).toBe(1);
    expect(delivery.deliveries().find((d) => d.document === part.path)).toMatchObject({
      outcome: "delivered",
      attempts: 3,
    });
  });

  it("does not retry a function failure when the trigger does not ask for it", async () => {
    answers.set("us-central1-settingsWritten-0", [500]);
    const settings = db.doc(`${prefix}-config/settings`);
    await settings.set({ v: 1 });
    await delivery.idle();
    expect(postsFor(settings.path)).toHaveLength(1);
    expect(delivery.deliveries().find((d) => d.document === settings.path)).toMatchObject({
      outcome: "failed",
      attempts: 1,
    });
    expect(logs.some((l) => l.includes("settingsWritten") && l.includes("does not ask for retries"))).toBe(true);
  });

  it("finds the trigger's key again after the emulator reloads (404 lists the valid keys)", async () => {
    generation = 1;
    const part = db.doc(`${prefix}/t3/parts/p1`);
    await part.set({ n: 1 });
    await delivery.idle();
    expect(postsFor(part.path).map((p) => p.key)).toEqual(["us-central1-onThingWritten-1"]);
  });

  it("redelivers a delivered event with the same id", async () => {
    const part = db.doc(`${prefix}/t4/parts/p1`);
    await part.set({ n: 1 });
    await delivery.idle();
    const [first] = postsFor(part.path);
    expect(await delivery.redeliver(first!.event.id)).toEqual([200]);
    const again = postsFor(part.path);
    expect(again).toHaveLength(2);
    expect(again[1]!.event).toEqual(first!.event);
  });
});
