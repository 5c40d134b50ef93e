/**
 * The access matrix against the OFFICIAL Firestore emulator, through @firebase/rules-unit-testing.
 *
 * Runs only when CREDIT_DESK_OFFICIAL_EMULATOR=1 and FIRESTORE_EMULATOR_HOST points at the
 * official emulator (`npm run test:emulator`); the in-process @firestore-emulator/server that
 * `npm test` uses does not evaluate security rules. Otherwise the suite is skipped with the
 * reason in its name. Same table as access-matrix.test.ts: the two must agree.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { RulesTestContext, RulesTestEnvironment } from "@firebase/rules-unit-testing";
import { REQUEST_TIME, type FixtureDoc, type FixtureValue } from "../support/rules-engine/index.js";
import { ACCESS_MATRIX, BASE_DOCS, CLAIMS, UID, type MatrixRow } from "./access-matrix.js";
import { rowName } from "./matrix-support.js";

const host = process.env.FIRESTORE_EMULATOR_HOST;
const OFFICIAL = process.env.CREDIT_DESK_OFFICIAL_EMULATOR === "1" && !!host;
const SKIP_REASON =
  "official Firestore emulator not available: needs Java 21 and the emulator download " +
  "(run `npm run test:emulator`, which sets CREDIT_DESK_OFFICIAL_EMULATOR=1 and FIRESTORE_EMULATOR_HOST)";

if (!OFFICIAL) console.info(`access-matrix.emulator.test.ts skipped — ${SKIP_REASON}`);

type CompatFirestore = ReturnType<RulesTestContext["firestore"]>;
/** The two statics of the compat namespace this file needs. */
interface CompatNamespace {
  firestore: { FieldValue: { serverTimestamp(): unknown }; Timestamp: { fromDate(d: Date): unknown } };
}

const suite = OFFICIAL ? describe : describe.skip;

suite(
  OFFICIAL
    ? "access matrix (official Firestore emulator)"
    : `access matrix (official Firestore emulator) — skipped: ${SKIP_REASON}`,
  () => {
    let env: RulesTestEnvironment;
    let rut: typeof import("@firebase/rules-unit-testing");
    let firebase: CompatNamespace;
    const contexts = new Map<string, CompatFirestore>();
    let dirty = true;

    const toFirestore = (v: FixtureValue): unknown => {
      if (v === REQUEST_TIME) return firebase.firestore.FieldValue.serverTimestamp();
      if (v instanceof Date) return firebase.firestore.Timestamp.fromDate(v);
      if (Array.isArray(v)) return v.map(toFirestore);
      if (v !== null && typeof v === "object") {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toFirestore(x)]));
      }
      return v;
    };
    const docToFirestore = (d: FixtureDoc): Record<string, unknown> => toFirestore(d) as Record<string, unknown>;

    async function seed(r: MatrixRow): Promise<void> {
      await env.clearFirestore();
      const docs: Record<string, FixtureDoc> = { ...BASE_DOCS };
      for (const [path, doc] of Object.entries(r.docs ?? {})) {
        if (doc === null) delete docs[path];
        else docs[path] = doc;
      }
      await env.withSecurityRulesDisabled(async (ctx) => {
        const db = ctx.firestore();
        const batch = db.batch();
        for (const [path, doc] of Object.entries(docs)) batch.set(db.doc(path), docToFirestore(doc));
        await batch.commit();
      });
    }

    function firestoreFor(r: MatrixRow): CompatFirestore {
      const claims = r.role === "signed-out" ? undefined : (r.claims ?? CLAIMS[r.role]);
      const key = `${r.role}|${JSON.stringify(claims ?? null)}`;
      let db = contexts.get(key);
      if (!db) {
        db =
          r.role === "signed-out"
            ? env.unauthenticatedContext().firestore()
            : env.authenticatedContext(UID[r.role], claims).firestore();
        contexts.set(key, db);
      }
      return db;
    }

    function attempt(r: MatrixRow): Promise<unknown> {
      const db = firestoreFor(r);
      switch (r.op) {
        case "get":
          return db.doc(r.path).get();
        case "list": {
          let q:
            ReturnType<CompatFirestore["collection"]> | ReturnType<ReturnType<CompatFirestore["collection"]>["where"]> =
            db.collection(r.path);
          for (const [field, op, value] of r.query?.where ?? []) q = q.where(field, op, toFirestore(value));
          if (r.query?.limit !== undefined) q = q.limit(r.query.limit);
          return q.get();
        }
        case "create":
          return db.doc(r.path).set(docToFirestore(r.data ?? {}));
        case "update":
          return db.doc(r.path).update(docToFirestore(r.data ?? {}));
        case "delete":
          return db.doc(r.path).delete();
      }
    }

    beforeAll(async () => {
      rut = await import("@firebase/rules-unit-testing");
      // CJS/ESM interop may wrap the namespace in one more `default`.
      const mod = (await import("firebase/compat/app")) as unknown as {
        default: Partial<CompatNamespace> & { default?: CompatNamespace };
      };
      const ns = mod.default.firestore ? mod.default : mod.default.default;
      if (!ns?.firestore) throw new Error("firebase/compat/app did not expose firestore statics");
      firebase = ns as CompatNamespace;
      const [hostname, port] = (host ?? "").split(":");
      env = await rut.initializeTestEnvironment({
        projectId: "demo-credit-rules",
        firestore: {
          host: hostname ?? "127.0.0.1",
          port: Number(port ?? 8080),
          rules: readFileSync(resolve(__dirname, "../../firestore.rules"), "utf8"),
        },
      });
    });

    afterAll(async () => {
      await env?.cleanup();
    });

    it.each(ACCESS_MATRIX.map((r) => [rowName(r), r] as const))("%s", async (_name, r) => {
      if (dirty || r.docs) await seed(r);
      dirty = !!r.docs;
      if (r.expect === "allow") {
        await rut.assertSucceeds(attempt(r));
        if (r.op === "create" || r.op === "update" || r.op === "delete") dirty = true;
      } else {
        await rut.assertFails(attempt(r));
      }
    });
  },
);
