/**
 * End to end: the real Firebase JS client, signed in to the Auth emulator as users with
 * different roles, calls the callables on the Functions emulator, which writes through
 * firebase-admin to this file's in-process Firestore. Runs in `npm test` everywhere (no
 * Java). The stack runs on free ports, next to a running `npm start` if there is one.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkOrderOutput } from "../../functions/src/client/index.js";
import type { ClientSession } from "../../scripts/lib/client.mjs";
import {
  acknowledge,
  DEMO_PASSWORD,
  DEMO_PORTFOLIO,
  DEMO_USERS,
  FIRST_CALL_EXAMPLE,
  closeSessions,
  describeDemoCustomers,
  ensureDemoUsers,
  seedDemoPortfolio,
  type DemoRole,
  type SeedResult,
} from "../../scripts/lib/seed.mjs";
import { exportedFunctions } from "../../scripts/lib/exports.mjs";
import { e2eStack } from "../support/stack.js";
import { CHARTS } from "../../scripts/lib/report-html.mjs";
import { API_CALLABLES } from "../support/api.js";

const API = API_CALLABLES;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

const SLOW = 180_000; // each callable's first call starts an emulator worker (seconds on a busy machine)

/** The FunctionsError code ("functions/...") and message a call rejected with. */
async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { code: e.code ?? "(no code)", message: e.message ?? "" };
  }
  throw new Error("expected the call to fail, but it succeeded");
}

async function inBatches<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

const year = new Date().getUTCFullYear();
let uniq = 0;

/** A strong, balanced application (amounts in minor units); unique identities per call. */
function application(overrides: Record<string, unknown> = {}) {
  const n = `${Date.now().toString(36)}${++uniq}`;
  return {
    company: {
      name: `E2E Wholesale ${n} GmbH`,
      registrationNo: `HRB-E2E-${n}`,
      country: "DE",
      industry: "wholesale",
      foundedYear: 1995,
      address: "Musterstrasse 1, 10115 Berlin",
    },
    contacts: [{ name: "Erika Mustermann", email: `erika.${n}@e2e.example`, phone: `+49 30 ${100000 + uniq}` }],
    requestedLimit: 30_000_00,
    currency: "EUR",
    paymentTermsDays: 30,
    financials: {
      periodEnd: `${year - 1}-12-31`,
      currency: "EUR",
      totalAssets: 5_000_000_00,
      currentAssets: 2_500_000_00,
      totalLiabilities: 2_000_000_00,
      currentLiabilities: 1_000_000_00,
      equity: 3_000_000_00,
      retainedEarnings: 1_800_000_00,
      revenue: 10_000_000_00,
      ebit: 900_000_00,
      netIncome: 600_000_00,
    },
    ...overrides,
  };
}

describe.sequential("e2e: Firebase JS client → Auth + Functions emulators → Firestore", () => {
  const e2e = e2eStack();
  let sessions = new Map<string, ClientSession>();
  const uids = new Map<string, string>();
  const as = (role: DemoRole | null): ClientSession => {
    const email = DEMO_USERS.find((u) => u.role === role)?.email;
    const s = email ? sessions.get(email) : undefined;
    if (!s) throw new Error(`no signed-in demo user with role ${role ?? "(none)"}`);
    return s;
  };
  const uidOf = (role: DemoRole | null): string => {
    const email = DEMO_USERS.find((u) => u.role === role)?.email ?? "";
    const uid = uids.get(email);
    if (!uid) throw new Error(`no demo user with role ${role ?? "(none)"}`);
    return uid;
  };
  /** Shared by the workflow tests: the customer the manager approved. */
  let approved: { customerId: string; creditLimit: number; tier: string } | null = null;
  /** The demo portfolio, seeded as `npm start` does. */
  let demo: SeedResult | null = null;

  beforeAll(async () => {
    await e2e.start();
    // The demo users of `npm start`: admin bootstrapped with the Admin SDK, the rest via setUserRole.
    const res = await ensureDemoUsers(e2e.ctx);
    sessions = res.sessions;
    for (const u of res.users) uids.set(u.email, u.uid);
  }, 240_000);

  afterAll(async () => {
    await closeSessions(sessions);
    await e2e.stop();
  }, 60_000);

  it("exports every callable of the API (the next test calls each one on the emulator)", () => {
    const exported = new Set(exportedFunctions());
    expect(
      API.filter((name) => !exported.has(name)),
      "callables of the contract that functions/lib does not export",
    ).toEqual([]);
    expect(e2e.stack.served).toContain("setUserRole");
    expect(e2e.stack.functionUrl("setUserRole")).toBe(
      `${e2e.stack.functionsOrigin}/demo-credit/us-central1/setUserRole`,
    );
  });

  it(
    "rejects signed-out callers with functions/unauthenticated (every callable)",
    async () => {
      const anonymous = e2e.session("signed-out");
      const names = API;
      // Each first call boots an emulator worker that loads all of functions/lib: a few at a time.
      const results = await inBatches(names, 3, async (n) => [n, (await failure(anonymous.call(n, {}))).code] as const);
      expect(Object.fromEntries(results)).toEqual(
        Object.fromEntries(names.map((n) => [n, "functions/unauthenticated"])),
      );
    },
    SLOW,
  );

  it(
    "rejects a caller without the role with functions/permission-denied (setUserRole as the applicant)",
    async () => {
      const err = await failure(as(null).call("setUserRole", { uid: uidOf(null), role: "admin" }));
      expect(err.code).toBe("functions/permission-denied");
    },
    SLOW,
  );

  it(
    "the Functions emulator sees a role set by setUserRole once the client refreshes its token (getIdToken(true))",
    async () => {
      const promoted = e2e.session("promoted");
      const target = e2e.session("target");
      const user = await promoted.signUpOrIn(`promoted.${Date.now()}@e2e.test`, DEMO_PASSWORD);
      const other = await target.signUpOrIn(`target.${Date.now()}@e2e.test`, DEMO_PASSWORD);

      expect((await failure(promoted.call("setUserRole", { uid: other.uid, role: "auditor" }))).code).toBe(
        "functions/permission-denied",
      );
      expect(await as("admin").call("setUserRole", { uid: user.uid, role: "admin" })).toEqual({
        uid: user.uid,
        role: "admin",
      });

      await user.getIdToken(true);
      expect((await promoted.claims(false))?.role).toBe("admin");
      // The role counts only once its holder acknowledged the confidentiality policy in force.
      const unacknowledged = await failure(promoted.call("setUserRole", { uid: other.uid, role: "auditor" }));
      expect(unacknowledged.code).toBe("functions/permission-denied");
      expect(unacknowledged.message).toContain("acknowledge");
      await acknowledge(promoted, "promoted");
      expect((await promoted.claims(false))?.ack).toMatchObject({ v: 1 });
      expect(await promoted.call("setUserRole", { uid: other.uid, role: "auditor" })).toEqual({
        uid: other.uid,
        role: "auditor",
      });
      expect((await target.claims(true))?.role).toBe("auditor");
    },
    SLOW,
  );

  it(
    `an applicant calling reviewCreditApplication gets functions/permission-denied`,
    async () => {
      const err = await failure(as(null).call("reviewCreditApplication", { applicationId: "any-application" }));
      expect(err.code).toBe("functions/permission-denied");
    },
    SLOW,
  );

  it(
    `bad input gets functions/invalid-argument naming the field`,
    async () => {
      const fractional = await failure(
        as(null).call("submitCreditApplication", application({ requestedLimit: 1234.5 })),
      );
      expect(fractional.code).toBe("functions/invalid-argument");
      expect(fractional.message).toContain("requestedLimit");

      const base = application();
      const badCountry = await failure(
        as(null).call("submitCreditApplication", { ...base, company: { ...base.company, country: "Germany" } }),
      );
      expect(badCountry.code).toBe("functions/invalid-argument");
      expect(badCountry.message).toContain("company.country");
    },
    SLOW,
  );

  it(
    `apply → review → decide: the manager approves, the customer's credit file is created`,
    async () => {
      // The typed client (credit-desk-functions/client): every result is checked against its output schema.
      const submitted = await as(null).desk.submitCreditApplication(application());
      expect(submitted.status).toBe("submitted");
      expect(submitted.applicationId).toMatch(/^[A-Za-z0-9_-]+$/);
      const { applicationId } = submitted;

      const review = await as("analyst").desk.reviewCreditApplication({ applicationId });
      expect(review.score).toBeGreaterThanOrEqual(0);
      expect(review.score).toBeLessThanOrEqual(100);
      expect(["A", "B", "C", "D", "E"]).toContain(review.grade);
      expect(["premium", "standard", "risky"]).toContain(review.tier);
      expect(Number.isInteger(review.recommendedLimit)).toBe(true);
      expect(Array.isArray(review.reasons)).toBe(true);
      expect(Array.isArray(review.fraudSignals)).toBe(true);

      // The applicant has no decide authority at all.
      expect(
        (await failure(as(null).call("decideCreditApplication", { applicationId, decision: "approve", note: "mine" })))
          .code,
      ).toBe("functions/permission-denied");

      const creditLimit = 20_000_00; // within the manager's authority (500,000)
      const decided = await as("manager").desk.decideCreditApplication({
        applicationId,
        decision: "approve",
        approvedLimit: creditLimit,
        note: "e2e: approved",
        ownerUid: uidOf("sales"),
      });
      expect(decided.status).toBe("approved");
      expect(decided.customerId).toMatch(/^[A-Za-z0-9_-]+$/);
      approved = { customerId: decided.customerId ?? "", creditLimit, tier: review.tier };

      const again = await failure(
        as("manager").call("decideCreditApplication", { applicationId, decision: "reject", note: "again" }),
      );
      expect(again.code).toBe("functions/failed-precondition");
    },
    SLOW,
  );

  it(
    `checkOrder decides against the approved limit, for the owning sales rep and staff only`,
    async () => {
      if (!approved) throw new Error("needs the customer approved by the previous test");
      const { customerId, creditLimit, tier } = approved;

      const small = await as("sales").desk.checkOrder({ customerId, orderAmount: 5_000_00 });
      expect(small.availableCredit).toBe(creditLimit); // no exposure yet
      expect(small.decision).toBe(tier === "risky" ? "review" : "approve");
      expect(Array.isArray(small.reasons)).toBe(true);

      const large = await as("analyst").desk.checkOrder({ customerId, orderAmount: creditLimit + 1 });
      expect(["review", "reject"]).toContain(large.decision);

      expect((await failure(as(null).call("checkOrder", { customerId, orderAmount: 100 }))).code).toBe(
        "functions/permission-denied",
      );
      expect((await failure(as("auditor").call("checkOrder", { customerId, orderAmount: 100 }))).code).toBe(
        "functions/permission-denied",
      );
      expect((await failure(as("sales").call("checkOrder", { customerId, orderAmount: 0 }))).code).toBe(
        "functions/invalid-argument",
      );
      expect(
        (await failure(as("analyst").call("checkOrder", { customerId: "no-such-customer", orderAmount: 100 }))).code,
      ).toBe("functions/not-found");
    },
    SLOW,
  );

  it(
    `credit held at the order: reserve, be blocked, a credit person releases, the order is recorded — the same credit is never spent twice, with many clients at once`,
    async () => {
      // A customer of its own (the other tests share theirs).
      const { applicationId } = await as(null).desk.submitCreditApplication(application());
      await as("analyst").desk.reviewCreditApplication({ applicationId });
      const creditLimit = 20_000_00;
      const decided = await as("manager").desk.decideCreditApplication({
        applicationId,
        decision: "approve",
        approvedLimit: creditLimit,
        note: "e2e: orders",
        ownerUid: uidOf("sales"),
      });
      const customerId = decided.customerId!;
      // Many clients (the sales rep's app, the ERP) reserving at once: never more than the limit.
      const amount = creditLimit / 4;
      const clients = [as("sales"), as("integration"), as("analyst")];
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          clients[i % clients.length]!.desk.checkOrder({
            customerId,
            orderAmount: amount,
            reserve: true,
            orderRef: `E2E-PO-${i}`,
          }),
        ),
      );
      const held = answers.filter((a) => a.decision === "approve");
      expect(held).toHaveLength(4);
      for (const a of held) expect(a.reservationId).toMatch(/^[A-Za-z0-9_-]+$/);
      const blocked = answers.find((a) => a.decision !== "approve")!;
      expect(blocked.blockId).toMatch(/^[A-Za-z0-9_-]+$/);
      expect((await as("sales").desk.checkOrder({ customerId, orderAmount: 1_00 })).availableCredit).toBe(0);

      // A credit person (not whoever ran the check) releases one blocked order: its credit is held, beyond the limit by decision.
      const ref = answers.indexOf(blocked);
      const requester = clients[ref % clients.length]!;
      const decider = requester === as("analyst") ? as("manager") : as("analyst");
      const release = await decider.desk.releaseOrderBlock({
        blockId: blocked.blockId!,
        decision: "release",
        note: "e2e: paid by wire",
      });
      expect(release.status).toBe("released");
      expect((await as("sales").desk.checkOrder({ customerId, orderAmount: 1_00 })).availableCredit).toBe(-amount);

      // The ERP records the orders: each converts its reservation, counted once.
      const recorded = await as("integration").desk.recordTransactions({
        customerId,
        transactions: answers
          .map((a, i) => ({
            externalId: `E2E-PO-${i}`,
            type: "order" as const,
            amount,
            issuedAt: new Date().toISOString(),
          }))
          .filter((_, i) => answers[i]!.decision === "approve" || i === ref),
      });
      expect(recorded.recorded).toBe(5);
      expect(recorded.exposure).toBe(5 * amount);
      expect(recorded.availableCredit).toBe(-amount);
      // The other blocked orders are cancelled by the ERP: nothing held for them.
      for (const [i, a] of answers.entries()) {
        if (a.decision !== "approve" && i !== ref)
          expect(await as("integration").desk.cancelReservation({ customerId, orderRef: `E2E-PO-${i}` })).toEqual({
            released: false,
            blockCancelled: true,
          });
      }
      expect((await as("sales").desk.checkOrder({ customerId, orderAmount: 1_00 })).availableCredit).toBe(-amount);
    },
    SLOW,
  );

  it(
    `four eyes: a manager who submitted an application cannot decide it; another approver can`,
    async () => {
      const { applicationId } = await as("manager").call<{ applicationId: string }>(
        "submitCreditApplication",
        application(),
      );
      await as("analyst").call("reviewCreditApplication", { applicationId });

      const own = await failure(
        as("manager").call("decideCreditApplication", {
          applicationId,
          decision: "approve",
          approvedLimit: 10_000_00,
          note: "my own",
        }),
      );
      expect(own.code).toBe("functions/failed-precondition");

      const other = await as("analyst").call<{ status: string; customerId?: string }>("decideCreditApplication", {
        applicationId,
        decision: "approve",
        approvedLimit: 10_000_00, // within the analyst's authority (50,000)
        note: "e2e: second pair of eyes",
      });
      expect(other.status).toBe("approved");
      expect(other.customerId).toBeTruthy();
    },
    SLOW,
  );

  it(
    `the integration user records an invoice: exposure and available credit follow, idempotent by externalId`,
    async () => {
      if (!approved) throw new Error("needs the customer approved by the workflow test");
      const { customerId, creditLimit } = approved;
      const invoice = {
        externalId: `E2E-INV-${Date.now()}`,
        type: "invoice" as const,
        amount: 3_000_00,
        issuedAt: new Date().toISOString().slice(0, 10),
        dueAt: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
      };
      const first = await as("integration").desk.recordTransactions({ customerId, transactions: [invoice] });
      expect(first).toMatchObject({
        recorded: 1,
        duplicates: 0,
        exposure: 3_000_00,
        availableCredit: creditLimit - 3_000_00,
      });

      const replay = await as("integration").desk.recordTransactions({ customerId, transactions: [invoice] });
      expect(replay).toMatchObject({ recorded: 0, duplicates: 1, exposure: 3_000_00 });

      const check = await as("sales").desk.checkOrder({ customerId, orderAmount: creditLimit - 1_000_00 });
      expect(check.availableCredit).toBe(creditLimit - 3_000_00);
      expect(check.decision).not.toBe("approve");

      expect(
        (await failure(as("sales").call("recordTransactions", { customerId, transactions: [invoice] }))).code,
      ).toBe("functions/permission-denied");
    },
    SLOW,
  );

  it("seeds the demo portfolio of `npm start` through the callables", async () => {
    const seeded = await seedDemoPortfolio(e2e.ctx);
    demo = seeded;
    expect(seeded.users.map((u) => [u.email, u.role])).toEqual(DEMO_USERS.map((u) => [u.email, u.role]));
    const toApprove = DEMO_PORTFOLIO.filter((p) => p.decide !== null).length;
    expect(seeded.applications).toHaveLength(DEMO_PORTFOLIO.length);
    expect(seeded.customers).toHaveLength(toApprove);
    for (const c of seeded.customers) expect(c.customerId).toMatch(/^[A-Za-z0-9_-]+$/);
    // more than one currency, and a credit group over two of them
    expect(new Set(seeded.customers.map((c) => c.currency)).size).toBeGreaterThan(1);
    expect(seeded.groups).toHaveLength(1);
    const members = seeded.groups[0]!.memberIds.map(
      (id) => seeded.customers.find((c) => c.customerId === id)!.currency,
    );
    expect(new Set(members).size).toBe(2);

    // Idempotent: a second run (scripts/seed.mjs against a seeded stack) finds the same records.
    const again = await seedDemoPortfolio(e2e.ctx);
    expect(again.applications.map((a) => a.applicationId)).toEqual(seeded.applications.map((a) => a.applicationId));
    expect(again.customers.map((c) => c.customerId)).toEqual(seeded.customers.map((c) => c.customerId));
    expect(again.groups).toEqual(seeded.groups);
  }, 240_000);

  it(
    `a newcomer's first call: npm start's demo customer list, then ${FIRST_CALL_EXAMPLE} (the README's snippet) as a separate process`,
    async () => {
      if (!demo) throw new Error("needs the demo portfolio seeded by the previous test");
      const lines = describeDemoCustomers(demo);
      for (const c of demo.customers)
        expect(
          lines.some((l) => l.includes(c.customerId) && l.includes(c.name)),
          c.name,
        ).toBe(true);
      const owned = demo.customers.find((c) => c.owner === "sales");
      if (!owned) throw new Error("the demo portfolio has no customer owned by sales@demo.test");
      expect(lines.at(-1)).toBe(
        `First call, as sales@demo.test (${owned.name}): node ${FIRST_CALL_EXAMPLE} ${owned.customerId}`,
      );

      const functionsHost = new URL(e2e.ctx.functionsOrigin).host;
      const { stdout } = await promisify(execFile)(process.execPath, [FIRST_CALL_EXAMPLE, owned.customerId], {
        cwd: ROOT,
        env: {
          ...process.env,
          CREDIT_DESK_AUTH: e2e.ctx.authHost,
          CREDIT_DESK_FUNCTIONS: functionsHost,
          CREDIT_DESK_PROJECT: e2e.ctx.projectId,
        },
        timeout: 120_000,
      });
      const result = checkOrderOutput.parse(JSON.parse(stdout.trim().split("\n").at(-1) ?? ""));
      const now = await as("sales").desk.checkOrder({ customerId: owned.customerId, orderAmount: 1_250_00 });
      expect(result).toEqual(now);
    },
    SLOW,
  );

  it(
    "npm run report on the seeded stack, as a separate process: the demo manager's report with the demo history's trends, and the what-if of stricter grade caps naming the demo customers it would cut",
    async () => {
      if (!demo) throw new Error("needs the demo portfolio seeded by the earlier test");
      const dir = mkdtempSync(join(tmpdir(), "credit-desk-report-e2e-"));
      const out = join(dir, "report.html");
      const saved = join(dir, "report.json");
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          "scripts/report.mjs",
          "--out",
          out,
          "--json",
          saved,
          "--policy",
          "docs/examples/stricter-grade-caps.json",
          "--functions",
          e2e.ctx.functionsOrigin,
          "--auth",
          e2e.ctx.authHost,
          "--project",
          e2e.ctx.projectId,
        ],
        { cwd: ROOT, timeout: 120_000 },
      );
      expect(stdout).toContain(out);
      const html = readFileSync(out, "utf8");
      for (const c of CHARTS) expect(html, c.id).toMatch(new RegExp(`<figure data-chart="${c.id}"><svg`));
      const data = JSON.parse(readFileSync(saved, "utf8"));
      expect(data.report.history).toHaveLength(12);
      // the stack also holds the customers the earlier tests of this file approved
      expect(data.report.totals.customers).toBeGreaterThanOrEqual(demo.customers.length);
      const demoIds = new Set(demo.customers.map((c) => c.customerId));
      const cut = data.whatIf.result.customers
        .filter(
          (c: { customerId: string; limit: { change: number } }) => demoIds.has(c.customerId) && c.limit.change < 0,
        )
        .map((c: { name: string }) => c.name)
        .sort();
      expect(cut).toEqual(["Adatum Health Pte Ltd", "Contoso Manufacturing GmbH", "Northwind Traders Ltd"]);
      for (const name of cut) expect(html).toContain(name);
    },
    SLOW,
  );
});
