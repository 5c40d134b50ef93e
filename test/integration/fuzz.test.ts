/**
 * Hostile input against every callable, as every role: junk of every type, huge and
 * non-finite numbers, 100k strings, depth-100 objects, 10k arrays, prototype keys,
 * impossible dates, and single-field corruptions of a valid input. The answer is always
 * an HttpsError with a client code (never `internal`, never a success), and the database
 * is byte-for-byte unchanged. Each input is sent raw (as the handler could receive it)
 * and, for roles that get past the role check, as it arrives over the JSON wire.
 */
import { API_CALLABLES } from "../support/api.js";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import type { z } from "zod";
import * as fns from "../../functions/src/index.js";
import { CALLABLE_NAMES, CALLABLES, type Audience, type CallableName } from "../../functions/src/schemas/contract.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import {
  hostileInput,
  mutationOf,
  overTheWire,
  captureLogs,
  sameDatabase,
  type LogCapture,
  type Mutation,
  type SeedSpec,
} from "../support/arbitraries.js";
import { call, databaseSnapshot, firestoreServer, users, type Who } from "../support/callables.js";
import { application, statement } from "../support/fixtures.js";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "../../functions/src");

/** Who may call what: the contract (functions/src/schemas/contract.ts, docs/API.md). */
const ALLOW = Object.fromEntries(CALLABLE_NAMES.map((n) => [n, [...CALLABLES[n].allow]])) as Record<
  CallableName,
  Audience[]
>;

const IDENTITIES: Array<{ name: string; audience: Audience | null; who: Who }> = [
  { name: "signed-out", audience: null, who: null },
  { name: "applicant", audience: "applicant", who: users.applicant },
  { name: "bogus-claim", audience: "applicant", who: { uid: "u-bogus", role: "superuser" } },
  { name: "sales", audience: "sales", who: users.sales },
  { name: "analyst", audience: "analyst", who: users.analyst },
  { name: "manager", audience: "manager", who: users.manager },
  { name: "auditor", audience: "auditor", who: users.auditor },
  { name: "admin", audience: "admin", who: users.admin },
  { name: "integration", audience: "integration", who: users.integration },
];

const CLIENT_CODES = new Set([
  "invalid-argument",
  "permission-denied",
  "unauthenticated",
  "not-found",
  "failed-precondition",
]);
const RUNS = { hostile: 200, mutation: 200 };

// ---------------------------------------------------------------------------------------
// Discovery: callables exported by index.ts, and by any api/*.ts module. Every callable of the
// contract is fuzzed through index.ts (one it does not export fails); one that is implemented
// in api/ but outside the contract or index.ts fails the discovery test.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCallable = any;
const isCallable = (v: unknown): boolean =>
  Boolean((v as { __endpoint?: { callableTrigger?: unknown } } | null)?.__endpoint?.callableTrigger);

async function importDir(dir: string): Promise<Array<[string, unknown]>> {
  const out: Array<[string, unknown]> = [];
  for (const file of readdirSync(join(SRC, dir))
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .sort()) {
    const mod = (await import(pathToFileURL(join(SRC, dir, file)).href)) as Record<string, unknown>;
    out.push(...Object.entries(mod));
  }
  return out;
}

const fromIndex = new Map<string, AnyCallable>(Object.entries(fns).filter(([, v]) => isCallable(v)));
const fromApiDir = new Map<string, AnyCallable>((await importDir("api")).filter(([, v]) => isCallable(v)));
const discovered = new Map<string, AnyCallable>([...fromApiDir, ...fromIndex]);

// ---------------------------------------------------------------------------------------
// Seeded database (small: the snapshot is taken twice per run) and a valid input per callable

const seeded = { submitted: "", reviewed: "", customerId: "" };

async function seed() {
  const a = await call(fns.submitCreditApplication, application(), users.applicant);
  seeded.submitted = a.applicationId;
  const b = await call(
    fns.submitCreditApplication,
    application({ company: { ...application().company, registrationNo: "REG-2" } }),
    users.applicant,
  );
  await call(fns.reviewCreditApplication, { applicationId: b.applicationId }, users.analyst);
  seeded.reviewed = b.applicationId;
  const c = await call(
    fns.submitCreditApplication,
    application({ company: { ...application().company, registrationNo: "REG-3" } }),
    users.applicant,
  );
  await call(fns.reviewCreditApplication, { applicationId: c.applicationId }, users.analyst);
  const d = await call(
    fns.decideCreditApplication,
    { applicationId: c.applicationId, decision: "approve", note: "ok", ownerUid: users.sales.uid },
    users.manager,
  );
  seeded.customerId = d.customerId;
}

const STATEMENT_SIGNED = Object.keys(statement).filter((k) => k !== "periodEnd" && k !== "currency");

function seeds(): Record<CallableName, SeedSpec> {
  const customerId = seeded.customerId;
  return {
    submitCreditApplication: {
      base: application({ tradeReferences: [{ name: "Ref Co", yearsTrading: 5 }] }),
      optional: ["financials", "tradeReferences", "tradeReferences.*.yearsTrading"],
      signed: STATEMENT_SIGNED.map((k) => `financials.${k}`),
      positive: ["requestedLimit"],
    },
    reviewCreditApplication: { base: { applicationId: seeded.submitted }, ids: ["applicationId"] },
    decideCreditApplication: {
      base: {
        applicationId: seeded.reviewed,
        decision: "approve",
        approvedLimit: 10_000_00,
        paymentTermsDays: 30,
        note: "ok",
        ownerUid: users.sales.uid,
      },
      optional: ["approvedLimit", "paymentTermsDays", "ownerUid"],
      ids: ["applicationId"],
    },
    checkOrder: { base: { customerId, orderAmount: 1_000_00 }, ids: ["customerId"], positive: ["orderAmount"] },
    cancelReservation: { base: { customerId: "zz-no-such-customer", orderRef: "PO-1" }, ids: ["customerId"] },
    releaseOrderBlock: { base: { blockId: "zz-no-such-block", decision: "release", note: "ok" }, ids: ["blockId"] },
    recordTransactions: {
      base: {
        customerId,
        transactions: [
          { externalId: "ext-1", type: "invoice", amount: 1_000_00, issuedAt: "2026-01-15", dueAt: "2026-02-14" },
        ],
      },
      optional: ["transactions.*.dueAt"],
      ids: ["customerId"],
      positive: ["transactions.*.amount"],
    },
    updateFinancials: {
      base: { customerId, statement: { ...statement, periodEnd: "2026-03-31" } },
      ids: ["customerId"],
      signed: STATEMENT_SIGNED.map((k) => `statement.${k}`),
    },
    reassessCustomer: { base: { customerId }, ids: ["customerId"] },
    updateCustomerProfile: {
      base: {
        customerId,
        changes: { name: "Acme Trading Group Ltd", industry: "G46", bankAccount: "DE89370400440532013000" },
        reason: "merger",
      },
      optional: ["changes.name", "changes.industry", "changes.bankAccount"],
      ids: ["customerId"],
    },
    updateContacts: {
      base: {
        customerId: "zz-no-such-customer",
        contacts: [{ name: "Pat Buyer", email: "pat@acme.example", phone: "+1 555 0100" }],
      },
      ids: ["customerId"],
    },
    requestLimitChange: {
      base: { customerId, newLimit: 60_000_00, expiresAt: "2026-12-31", reason: "seasonal peak" },
      optional: ["expiresAt"],
      ids: ["customerId"],
    },
    decideLimitChange: {
      base: { limitRequestId: "zz-no-such-request", decision: "approve", note: "ok" },
      ids: ["limitRequestId"],
    },
    setCreditStatus: { base: { customerId, status: "on_hold", reason: "check" }, ids: ["customerId"] },
    setCreditGroup: {
      base: {
        groupId: "g-fuzz",
        name: "Fuzz Holdings",
        groupLimit: 100_000_00,
        currency: "USD",
        memberIds: ["zz-no-such-customer"],
        reason: "parent guarantee",
      },
      optional: ["currency"],
      ids: ["groupId", "memberIds.*"],
    },
    resolveAlert: { base: { alertId: "zz-no-such-alert", resolution: "false_positive", note: "ok" }, ids: ["alertId"] },
    setUserRole: { base: { uid: "u-target", role: "analyst" }, nullable: ["role"] },
    acknowledgeConfidentiality: { base: { version: 1 } },
    recordTraining: { base: { uid: "u-target", course: "Confidentiality 2026", completedAt: "2026-01-15" } },
    verifyAuditTrail: { base: { customerId }, ids: ["customerId"], optional: ["customerId"] },
    runJobNow: { base: { job: "dailyMonitoring" } },
    getPortfolioReport: { base: { asOf: "2026-01-31" }, optional: ["asOf"] },
    // A partial policy: its parts may be absent (the policy in force fills them in); a value out of the policy's range is not.
    simulatePolicy: {
      base: { policy: { gradeBands: { A: 80 } }, sampleSize: 2 },
      optional: ["policy.gradeBands", "policy.gradeBands.A", "sampleSize"],
      positive: ["sampleSize"],
    },
    // An invoice the seeded customer does not have: a valid input is refused (invalid-argument), never written.
    openDispute: {
      base: { customerId, invoiceExternalId: "zz-no-such-invoice", amount: 1_000_00, reason: "goods damaged" },
      ids: ["customerId"],
      positive: ["amount"],
    },
    resolveDispute: {
      base: { disputeId: "zz-no-such-dispute", outcome: "partial", creditedAmount: 500_00, note: "half credited" },
      ids: ["disputeId"],
    },
    overrideClassification: {
      base: {
        customerId: "zz-no-such-customer",
        tier: "standard",
        reason: "parent guarantee",
        expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
      },
      ids: ["customerId"],
    },
    clearFraudHold: { base: { customerId: "zz-no-such-customer", reason: "false positive" }, ids: ["customerId"] },
    requestTermsChange: {
      base: { customerId: "zz-no-such-customer", paymentTermsDays: 45, reason: "loyal customer" },
      ids: ["customerId"],
    },
    decideTermsChange: {
      base: { termsChangeId: "zz-no-such-terms-change", decision: "approve", note: "ok" },
      ids: ["termsChangeId"],
    },
  };
}

// ---------------------------------------------------------------------------------------
// One call, and the checks on its answer

type Answer = { ok: true; value: unknown } | { ok: false; code: string; message: string };

async function answer(fn: AnyCallable, data: unknown, who: Who): Promise<Answer> {
  try {
    return { ok: true, value: await call(fn, data, who) };
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown; httpErrorCode?: unknown };
    return {
      ok: false,
      code:
        typeof e.httpErrorCode === "object"
          ? String(e.code)
          : `not-an-HttpsError(${String(e.code)}): ${String(e.message)}`,
      message: String(e.message),
    };
  }
}

const json = (v: unknown) => {
  try {
    return JSON.stringify(v);
  } catch {
    return "<unserialisable>";
  }
};
const short = (v: unknown) => {
  const s = json(v) ?? String(v);
  return s.length > 300 ? `${s.slice(0, 300)}… (${s.length} chars)` : s;
};

interface Stats {
  runs: number;
  calls: number;
  ms: number;
  codes: Map<string, number>;
}

/**
 * The wire form of an input, unless the corruption does not survive the wire — e.g. an own
 * `__proto__` key (the decoder drops it), NaN turned null where null is valid, an undefined
 * dropped where the field is optional: then the server sees a valid input, not a hostile one.
 */
function wireOf(spec: SeedSpec, m: Mutation | null, data: unknown): { data: unknown } | null {
  const wire = overTheWire(data);
  if (!wire.sendable) return null;
  const base = overTheWire(spec.base);
  if (base.sendable && json(wire.data) === json(base.data)) return null;
  if (m?.kind === "value" && m.path !== "") {
    const segs = m.path.split(".");
    const key = segs[segs.length - 1]!;
    let parent: unknown = wire.data;
    for (const s of segs.slice(0, -1)) parent = (parent as Record<string, unknown> | null)?.[s];
    if (parent && typeof parent === "object") {
      const sp = segs.map((s) => (/^\d+$/.test(s) ? "*" : s)).join(".");
      const v = (parent as Record<string, unknown>)[key];
      if (v === null && (spec.nullable ?? []).includes(sp)) return null;
      if (!(key in parent) && (spec.optional ?? []).includes(sp)) return null;
    }
  }
  return { data: wire.data };
}

async function runCase(
  name: CallableName,
  spec: SeedSpec,
  c: { label: string; data: unknown; mutation: Mutation | null },
  stats: Stats,
) {
  const allow = ALLOW[name];
  const before = reference; // this run's "before": the previous run's "after", checked equal to the seeded state
  const schema = CALLABLES[name].input;
  try {
    await callAsEveryone(name, allow, schema, spec, c, stats);
  } catch (err) {
    reference = databaseSnapshot(); // a failed run may have written: do not blame the next callables
    throw err;
  }
  stats.runs++;
  const after = databaseSnapshot();
  if (after !== before) {
    reference = after;
    if (!sameDatabase(before, after))
      throw new Error(
        `the database changed — ${name} with ${c.label}${c.mutation ? ` at ${c.mutation.path}` : ""}: ${short(c.data)}`,
      );
    // else only empty collection nodes appeared (a read of a missing document)
  }
}

async function callAsEveryone(
  name: CallableName,
  allow: Audience[],
  schema: z.ZodType,
  spec: SeedSpec,
  c: { label: string; data: unknown; mutation: Mutation | null },
  stats: Stats,
): Promise<void> {
  const fn = fromIndex.get(name);
  if (!fn) throw new Error(`${name} is not exported by functions/src/index.ts`);
  for (const id of IDENTITIES) {
    const allowed = id.audience !== null && allow.includes(id.audience);
    const variants: Array<{ via: string; data: unknown }> = [{ via: "raw", data: c.data }];
    if (allowed) {
      const w = wireOf(spec, c.mutation, c.data);
      if (w) variants.push({ via: "wire", data: w.data });
    }
    for (const v of variants) {
      // Junk that happens to be a valid input (e.g. {} where every field is optional) is not hostile.
      if (!c.mutation && allowed && schema.safeParse(v.data).success) continue;
      const a = await answer(fn, v.data, id.who);
      stats.calls++;
      const where = `${name} as ${id.name} (${v.via}) with ${c.label}${c.mutation ? ` at ${c.mutation.path}` : ""}: ${short(v.data)}`;
      if (a.ok) throw new Error(`succeeded (${short(a.value)}) — ${where}`);
      stats.codes.set(a.code, (stats.codes.get(a.code) ?? 0) + 1);
      if (!CLIENT_CODES.has(a.code)) throw new Error(`answered ${a.code}: ${a.message} — ${where}`);
      if (id.audience === null) {
        if (a.code !== "unauthenticated") throw new Error(`signed out got ${a.code} — ${where}`);
      } else if (!allowed) {
        if (a.code !== "permission-denied") throw new Error(`role outside ${allow.join("/")} got ${a.code} — ${where}`);
      } else if (c.mutation?.kind === "id") {
        if (!["not-found", "permission-denied", "failed-precondition"].includes(a.code))
          throw new Error(`unknown id got ${a.code} — ${where}`);
      } else if (c.mutation) {
        if (a.code !== "invalid-argument") throw new Error(`corrupted field got ${a.code}: ${a.message} — ${where}`);
        const named =
          c.mutation.kind === "extra-key"
            ? c.mutation.label.split(":")[1]!
            : c.mutation.path
                .split(".")
                .filter((s) => !/^\d+$/.test(s))
                .pop()!;
        if (!a.message.includes(named)) throw new Error(`message does not name ${named}: "${a.message}" — ${where}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------

let logs: LogCapture;
let specs: Record<CallableName, SeedSpec>;
/** The database as seeded; every run must leave it so (one snapshot per run: its "after" is the next run's "before"). */
let reference = "";
const summary: string[] = [];

beforeAll(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
  logs = await captureLogs(false);
  await seed();
  specs = seeds();
  reference = databaseSnapshot();
});

afterAll(() => {
  logs?.restore();
  for (const line of summary) console.log(line);
});

describe("discovery", () => {
  it("finds every callable of the contract exported by index.ts, and no callable outside the contract or outside index.ts", () => {
    const missing = CALLABLE_NAMES.filter((n) => !fromIndex.has(n));
    expect(
      missing,
      "in the contract (functions/src/schemas/contract.ts) but not exported by functions/src/index.ts",
    ).toEqual([]);
    const unknown = [...discovered.keys()].filter((n) => !(API_CALLABLES as readonly string[]).includes(n));
    expect(
      unknown,
      "callables missing from the contract (functions/src/schemas/contract.ts): add an entry, and a seed here",
    ).toEqual([]);
    const notExported = [...fromApiDir.keys()].filter((n) => !fromIndex.has(n));
    expect(notExported, "implemented in api/ but not exported from functions/src/index.ts").toEqual([]);
  });

  it("every seed is a valid input for its callable's schema (so each corruption starts from a valid input)", () => {
    for (const name of CALLABLE_NAMES) {
      const parsed = CALLABLES[name].input.safeParse(specs[name].base);
      expect(parsed.success, `${name} seed: ${parsed.success ? "" : parsed.error.message}`).toBe(true);
    }
  });
});

describe.each([...CALLABLE_NAMES].sort())("%s", (name) => {
  const stats: Stats = { runs: 0, calls: 0, ms: 0, codes: new Map() };
  afterAll(() => {
    const codes = [...stats.codes.entries()].map(([k, v]) => `${k}=${v}`).join(" ");
    summary.push(`fuzz ${name}: ${stats.runs} inputs, ${stats.calls} calls, ${stats.ms} ms, codes ${codes}`);
  });

  it(`hostile inputs (${RUNS.hostile}), as every role: client codes only, nothing written`, async () => {
    const spec = specs[name];
    const started = Date.now();
    onTestFinished(() => void (stats.ms += Date.now() - started));
    await fc.assert(
      fc.asyncProperty(hostileInput(spec.base), (c) => runCase(name, spec, { ...c, mutation: null }, stats)),
      { numRuns: RUNS.hostile, endOnFailure: true },
    );
  }, 60_000);

  it(`single-field corruptions of a valid input (${RUNS.mutation}): invalid-argument naming the field, or a refusal for unknown ids`, async () => {
    const spec = specs[name];
    const started = Date.now();
    onTestFinished(() => void (stats.ms += Date.now() - started));
    await fc.assert(
      fc.asyncProperty(mutationOf(spec), (m) =>
        runCase(name, spec, { label: m.label, data: m.data, mutation: m }, stats),
      ),
      { numRuns: RUNS.mutation, endOnFailure: true },
    );
  }, 60_000);
});

it("no call ended in an internal error (nothing logged as callable_failed)", () => {
  expect(logs.entries.filter((e) => e.includes("callable_failed"))).toEqual([]);
});
