/**
 * Demo data for the local stack, written THROUGH THE REAL CALLABLES with the Firebase JS
 * client (the same path the web and mobile clients use), so the seed is also a smoke
 * test of auth, roles, validation and the services.
 *
 * Idempotent against a running stack: users are signed in when they exist, and every
 * mutating call carries a fixed `requestId` (a retried call returns the first result and
 * writes nothing more); transactions are idempotent by `externalId`.
 *
 * Every callable it uses must be served: a missing one (a stale functions/lib) fails the
 * seed naming it, never a silently smaller demo.
 */
import { deleteApp as deleteAdminApp, initializeApp as initializeAdminApp } from "firebase-admin/app";
import { getAuth as getAdminAuth } from "firebase-admin/auth";
import { getFirestore as getAdminFirestore } from "firebase-admin/firestore";
import { clientSession } from "./client.mjs";
import { writeDemoHistory } from "./demo-history.mjs";
import { exportedFunctions } from "./exports.mjs";

export const DEMO_PASSWORD = "demo-password";

/** Demo users; role null = a signed-in user without a role (an applicant). */
export const DEMO_USERS = [
  { email: "admin@demo.test", role: "admin" },
  { email: "analyst@demo.test", role: "analyst" },
  { email: "manager@demo.test", role: "manager" },
  { email: "sales@demo.test", role: "sales" },
  { email: "auditor@demo.test", role: "auditor" },
  { email: "integration@demo.test", role: "integration" },
  { email: "applicant@demo.test", role: null },
];

/**
 * Approval authority defaults (docs/API.md), in minor units of the policy's base currency (USD);
 * the services convert them into each application's currency. The demo's limits stay well inside
 * them in every currency it uses.
 */
export const AUTHORITY = { analyst: 50_000_00, manager: 500_000_00, admin: Number.MAX_SAFE_INTEGER };

/**
 * A credit group of the demo: a German manufacturer and the British wholesaler it owns, one group
 * limit in the base currency over two currencies (EUR and GBP).
 */
export const DEMO_GROUP = {
  groupId: "contoso-group",
  name: "Contoso Holdings",
  groupLimit: 400_000_00,
  members: ["contoso", "northwind"],
  by: "manager",
};

const DAY = 86_400_000;
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/** A balanced statement (totalAssets = totalLiabilities + equity), amounts in minor units. */
export function statement(currency, { assets, equityShare, currentShare, revenue, margin }) {
  const totalAssets = assets;
  const equity = Math.round(assets * equityShare);
  const totalLiabilities = totalAssets - equity;
  const year = new Date().getUTCFullYear() - 1;
  return {
    periodEnd: `${year}-12-31`,
    currency,
    totalAssets,
    currentAssets: Math.round(assets * currentShare),
    totalLiabilities,
    currentLiabilities: Math.round(totalLiabilities * 0.55),
    equity,
    retainedEarnings: Math.round(equity * 0.6),
    revenue,
    ebit: Math.round(revenue * margin * 1.4),
    netIncome: Math.round(revenue * margin),
  };
}

/** The demo portfolio: five customers to approve, one application left for the analyst. */
export const DEMO_PORTFOLIO = [
  {
    key: "northwind",
    company: {
      name: "Northwind Traders Ltd",
      registrationNo: "04512345",
      country: "GB",
      industry: "G46",
      foundedYear: 1998,
      address: "12 Harbour Road, Bristol BS1 4QA",
    },
    contact: { name: "Nancy Davolio", email: "nancy.davolio@northwind.example", phone: "+44 117 496 0101" },
    currency: "GBP",
    requestedLimit: 150_000_00,
    paymentTermsDays: 30,
    financials: { assets: 4_000_000_00, equityShare: 0.6, currentShare: 0.55, revenue: 9_000_000_00, margin: 0.06 },
    decide: { by: "manager", owner: "sales" },
    transactions: [
      { externalId: "NW-INV-1001", type: "invoice", amount: 12_500_00, issuedDaysAgo: 45, dueDaysAgo: 15 },
      {
        externalId: "NW-PAY-1001",
        type: "payment",
        amount: 12_500_00,
        issuedDaysAgo: 12,
        invoiceExternalId: "NW-INV-1001",
      },
      { externalId: "NW-INV-1002", type: "invoice", amount: 18_000_00, issuedDaysAgo: 10, dueDaysAgo: -20 },
      { externalId: "NW-ORD-2001", type: "order", amount: 6_000_00, issuedDaysAgo: 2 },
    ],
    orderCheck: { by: "sales", amount: 10_000_00 },
  },
  {
    key: "contoso",
    company: {
      name: "Contoso Manufacturing GmbH",
      registrationNo: "HRB 201442",
      country: "DE",
      industry: "C",
      foundedYear: 1985,
      address: "Industriestrasse 7, 70565 Stuttgart",
    },
    contact: { name: "Klaus Weber", email: "k.weber@contoso.example", phone: "+49 711 555 0123" },
    currency: "EUR",
    requestedLimit: 300_000_00,
    paymentTermsDays: 45,
    financials: { assets: 12_000_000_00, equityShare: 0.55, currentShare: 0.5, revenue: 20_000_000_00, margin: 0.07 },
    decide: { by: "manager", owner: "sales" },
    transactions: [
      { externalId: "CO-INV-501", type: "invoice", amount: 42_000_00, issuedDaysAgo: 20, dueDaysAgo: -25 },
      { externalId: "CO-ORD-502", type: "order", amount: 15_000_00, issuedDaysAgo: 1 },
    ],
    orderCheck: { by: "sales", amount: 500_000_00 },
  },
  {
    key: "fabrikam",
    company: {
      name: "Fabrikam Logistics Inc",
      registrationNo: "31-5567120",
      country: "US",
      industry: "H",
      foundedYear: 2012,
      address: "400 Freight Way, Columbus, OH 43215",
    },
    contact: { name: "Maria Lopez", email: "maria.lopez@fabrikam.example", phone: "+1 614 555 0142" },
    currency: "USD",
    requestedLimit: 40_000_00,
    paymentTermsDays: 30,
    financials: { assets: 1_500_000_00, equityShare: 0.35, currentShare: 0.45, revenue: 3_200_000_00, margin: 0.03 },
    decide: { by: "analyst", owner: "sales" },
    transactions: [
      { externalId: "FB-INV-77", type: "invoice", amount: 9_000_00, issuedDaysAgo: 60, dueDaysAgo: 30 },
      { externalId: "FB-PAY-77", type: "payment", amount: 3_000_00, issuedDaysAgo: 20, invoiceExternalId: "FB-INV-77" },
    ],
    orderCheck: { by: "analyst", amount: 5_000_00 },
  },
  {
    key: "tailspin",
    company: {
      name: "Tailspin Retail BV",
      registrationNo: "NL-81234567",
      country: "NL",
      industry: "G47",
      foundedYear: 2020,
      address: "Keizersgracht 100, 1015 Amsterdam",
    },
    contact: { name: "Daan de Vries", email: "daan@tailspin.example", phone: "+31 20 555 0199" },
    currency: "EUR",
    requestedLimit: 60_000_00,
    paymentTermsDays: 30,
    financials: { assets: 600_000_00, equityShare: 0.15, currentShare: 0.6, revenue: 1_100_000_00, margin: 0.005 },
    decide: { by: "manager", owner: null },
    transactions: [],
    orderCheck: { by: "manager", amount: 80_000_00 },
  },
  {
    key: "adatum",
    company: {
      name: "Adatum Health Pte Ltd",
      registrationNo: "201012345K",
      country: "SG",
      industry: "Q",
      foundedYear: 2008,
      address: "1 Science Park Road, Singapore 117528",
    },
    contact: { name: "Wei Ling Tan", email: "weiling.tan@adatum.example", phone: "+65 6555 0107" },
    currency: "SGD",
    requestedLimit: 120_000_00,
    paymentTermsDays: 60,
    financials: { assets: 3_000_000_00, equityShare: 0.5, currentShare: 0.5, revenue: 5_500_000_00, margin: 0.05 },
    decide: { by: "manager", owner: null },
    transactions: [],
    orderCheck: null,
  },
  {
    key: "wideworld",
    company: {
      name: "Wide World Importers LLC",
      registrationNo: "US-88-1234567",
      country: "US",
      industry: "G46",
      foundedYear: 2016,
      address: "55 Dock Street, Seattle, WA 98101",
    },
    contact: { name: "Jon Yang", email: "jon.yang@wideworld.example", phone: "+1 206 555 0166" },
    currency: "USD",
    requestedLimit: 75_000_00,
    paymentTermsDays: 30,
    financials: { assets: 2_000_000_00, equityShare: 0.45, currentShare: 0.5, revenue: 4_000_000_00, margin: 0.04 },
    decide: null, // left submitted: the analyst's queue has one item
    transactions: [],
    orderCheck: null,
  },
];

const TRANSIENT = new Set(["functions/deadline-exceeded", "functions/unavailable"]);

/** The default `log`: says nothing. @type {(line: string) => void} */
const silent = () => {};

/** The one entry of `list` matching `which` (a demo user); throws when there is none. @template T @param {T[]} list @param {(x: T) => boolean} which @returns {T} */
function the(list, which) {
  const found = list.find(which);
  if (found === undefined) throw new Error("seed: no such demo user");
  return found;
}

/**
 * Call a callable as a demo user, with context in the error. Transient failures are
 * retried: the Functions emulator drops requests while it reloads a rebuilt functions/lib,
 * and every mutating seed call carries a requestId, so a retry never writes twice.
 */
async function call(session, who, name, data, log) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await session.call(name, data, { timeoutMs: 45_000 });
    } catch (err) {
      const code = err?.code ?? "error";
      if (TRANSIENT.has(code) && attempt < 3) {
        log(`  · ${name} as ${who}: ${code}, retrying (is functions/lib being rebuilt?)`);
        continue;
      }
      throw Object.assign(new Error(`${name} as ${who} failed: ${code}: ${err?.message ?? err}`, { cause: err }), {
        code,
      });
    }
  }
}

const PORTFOLIO_CALLABLES = [
  "submitCreditApplication",
  "reviewCreditApplication",
  "decideCreditApplication",
  "recordTransactions",
  "checkOrder",
];

/**
 * Boot the Functions emulator's worker for each callable with a signed-out request (it is
 * answered `unauthenticated` once the worker runs; nothing is written).
 */
export async function warmUp({
  functionsOrigin,
  projectId = "demo-credit",
  region = "us-central1",
  names,
  concurrency = 2,
}) {
  const queue = [...names];
  const worker = async () => {
    for (let name = queue.shift(); name; name = queue.shift()) {
      await fetch(new URL(`/${projectId}/${region}/${name}`, functionsOrigin), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ data: {} }),
        signal: AbortSignal.timeout(90_000),
      })
        .then((r) => r.arrayBuffer())
        .catch(() => {});
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}

/**
 * Callables the Functions emulator serves (GET /backends), or, when it cannot be asked,
 * the names functions/lib/index.js exports.
 */
export async function servedFunctions(functionsOrigin) {
  try {
    const res = await fetch(new URL("/backends", functionsOrigin), { signal: AbortSignal.timeout(5_000) });
    if (res.ok) {
      const body = await res.json();
      const names = new Set();
      for (const b of body.backends ?? []) for (const t of b.functionTriggers ?? []) names.add(t.entryPoint ?? t.name);
      if (names.size > 0) return [...names].sort();
    }
  } catch {
    /* fall through */
  }
  return exportedFunctions();
}

/**
 * Create the demo users (or sign them in) and give them their roles: the admin's claim
 * is bootstrapped with the Admin SDK against the Auth emulator (there is no admin yet to
 * call setUserRole); the others get theirs through the setUserRole callable, as the admin.
 * Returns one signed-in client session per user; close them with closeSessions().
 */
export async function ensureDemoUsers({
  projectId = "demo-credit",
  region = "us-central1",
  authHost,
  functionsOrigin,
  log = silent,
}) {
  const sessions = new Map();
  const users = [];
  for (const u of DEMO_USERS) {
    const session = clientSession({ projectId, region, authHost, functionsOrigin, name: u.email.split("@")[0] });
    const user = await session.signUpOrIn(u.email, DEMO_PASSWORD);
    sessions.set(u.email, session);
    users.push({ email: u.email, role: u.role, uid: user.uid });
  }
  const uidOf = (email) => the(users, (u) => u.email === email).uid;

  // Bootstrap: the first admin's claim, set with the Admin SDK on the Auth emulator.
  const adminEmail = the(DEMO_USERS, (u) => u.role === "admin").email;
  await withAdminAuth(projectId, authHost, async (adminAuth) => {
    const record = await adminAuth.getUser(uidOf(adminEmail));
    if (record.customClaims?.role !== "admin") {
      await adminAuth.setCustomUserClaims(record.uid, { ...(record.customClaims ?? {}), role: "admin" });
    }
  });
  const admin = sessions.get(adminEmail);
  await admin.claims(true);
  log(`  ✓ ${adminEmail} is admin (claim set with the Admin SDK on the Auth emulator)`);
  // A staff role counts only once its holder acknowledged the confidentiality policy in force.
  await acknowledge(admin, adminEmail, log);

  // Everyone else through the callable, as the admin.
  for (const u of DEMO_USERS) {
    if (u.role === "admin" || u.role === null) continue;
    await call(admin, adminEmail, "setUserRole", { uid: uidOf(u.email), role: u.role }, log);
  }
  // Fresh tokens carry the new claims (setUserRole revokes refresh tokens when a role changes).
  for (const u of DEMO_USERS) {
    if (u.role === "admin") continue;
    const s = sessions.get(u.email);
    await s.signOut();
    await s.signIn(u.email, DEMO_PASSWORD);
    const claims = await s.claims(false);
    const got = typeof claims?.role === "string" ? claims.role : null;
    if (got !== u.role)
      throw new Error(`seed: ${u.email} should have role ${u.role ?? "(none)"} but its token says ${got ?? "(none)"}`);
    if (u.role !== null && STAFF_ROLES.has(u.role)) await acknowledge(s, u.email, log);
  }
  log(
    `  ✓ roles set through setUserRole: ${DEMO_USERS.filter((u) => u.role && u.role !== "admin")
      .map((u) => `${u.email.split("@")[0]}=${u.role}`)
      .join(", ")}`,
  );
  log(`  ✓ every staff user acknowledged the confidentiality policy (acknowledgeConfidentiality)`);
  return { users, sessions };
}

const STAFF_ROLES = new Set(["sales", "analyst", "manager", "auditor", "admin"]);

/**
 * Acknowledge the confidentiality policy in force and refresh the token so the claim counts.
 * The version is the default policy's; a stack whose policy says otherwise answers with the
 * version in force, which is then acknowledged.
 */
export async function acknowledge(session, who, log = silent) {
  let version = 1;
  try {
    await call(session, who, "acknowledgeConfidentiality", { version }, log);
  } catch (err) {
    const inForce = err?.cause?.details?.version;
    if (err?.code !== "functions/failed-precondition" || typeof inForce !== "number") throw err;
    version = inForce;
    await call(session, who, "acknowledgeConfidentiality", { version }, log);
  }
  await session.claims(true);
}

/**
 * The day's FX rates, loaded as an admin does in the Firebase console (config/fxRates; the
 * fxRatesWritten trigger validates and audits the edit): the built-in reference rates, dated
 * today, so the demo's conversions are current and no `fx_rates_stale` alert is raised.
 */
export async function loadDayRates({ projectId, firestoreHost, now = Date.now(), log = silent }) {
  if (!firestoreHost) {
    log("  · no Firestore host given: the FX table is left as it is");
    return;
  }
  const { DEFAULT_FX_TABLE } = await import("../../functions/lib/domain/fxTable.js");
  const app = initializeAdminApp({ projectId }, `credit-desk-rates-${process.pid}-${Date.now()}`);
  try {
    const db = getAdminFirestore(app);
    db.settings({ host: firestoreHost, ssl: false });
    const asOf = new Date(now).toISOString().slice(0, 10);
    await db.doc("config/fxRates").set({
      base: DEFAULT_FX_TABLE.base,
      asOf,
      rates: DEFAULT_FX_TABLE.rates,
      source: "demo: the reference rates, loaded for today",
    });
    log(`  ✓ FX rates for ${asOf} loaded into config/fxRates (as an admin does in the console)`);
  } finally {
    await deleteAdminApp(app).catch(() => {});
  }
}

export async function closeSessions(sessions) {
  await Promise.allSettled([...sessions.values()].map((s) => s.close()));
}

/** Run fn with an Admin SDK Auth bound to the Auth emulator at authHost. */
export async function withAdminAuth(projectId, authHost, fn) {
  const previous = process.env.FIREBASE_AUTH_EMULATOR_HOST;
  process.env.FIREBASE_AUTH_EMULATOR_HOST = authHost;
  const app = initializeAdminApp({ projectId }, `credit-desk-seed-${process.pid}-${Date.now()}`);
  try {
    return await fn(getAdminAuth(app));
  } finally {
    await deleteAdminApp(app).catch(() => {});
    if (previous === undefined) delete process.env.FIREBASE_AUTH_EMULATOR_HOST;
    else process.env.FIREBASE_AUTH_EMULATOR_HOST = previous;
  }
}

/**
 * Seed the demo portfolio through the callables.
 * @param {{ functionsOrigin: string, authHost: string, projectId?: string, region?: string,
 *           log?: (line: string) => void, now?: number, firestoreHost?: string | null }} opts
 */
export async function seedDemoPortfolio({
  functionsOrigin,
  authHost,
  projectId = "demo-credit",
  region = "us-central1",
  log = silent,
  now = Date.now(),
  firestoreHost = process.env.FIRESTORE_EMULATOR_HOST ?? null,
}) {
  const served = new Set(await servedFunctions(functionsOrigin));
  /** The seed needs this callable: true, or the seed fails naming it. */
  const has = (name) => {
    if (served.has(name)) return true;
    throw new Error(`seed: the functions emulator does not serve ${name}; is functions/lib built?`);
  };
  has("setUserRole");

  // Start the emulator's workers for the portfolio callables while the users are set up
  // (each callable's first call boots a Node.js worker; in parallel they cost less).
  const warm = warmUp({ functionsOrigin, projectId, region, names: PORTFOLIO_CALLABLES.filter((n) => served.has(n)) });
  const { users, sessions } = await ensureDemoUsers({ projectId, region, authHost, functionsOrigin, log });
  await loadDayRates({ projectId, firestoreHost, now, log });
  await warm;
  const emailOf = (role) => the(DEMO_USERS, (u) => u.role === role).email;
  /** Act as the demo user with this role (null = the applicant). */
  const as = (role) => ({ call: (name, data) => call(sessions.get(emailOf(role)), emailOf(role), name, data, log) });
  const uidOfRole = (role) => users.find((u) => u.role === role)?.uid ?? null;
  const customers = [];
  const applications = [];
  const orderChecks = [];
  const groups = [];
  let history = { written: 0, kept: 0 };
  try {
    if (has("submitCreditApplication")) {
      for (const item of DEMO_PORTFOLIO) {
        const app = await as(null).call("submitCreditApplication", {
          company: item.company,
          contacts: [item.contact],
          requestedLimit: item.requestedLimit,
          currency: item.currency,
          paymentTermsDays: item.paymentTermsDays,
          financials: statement(item.currency, item.financials),
          tradeReferences: [{ name: "Demo Supplier plc", yearsTrading: 5 }],
          requestId: `seed-submit-${item.key}`,
        });
        const entry = { key: item.key, name: item.company.name, applicationId: app.applicationId, status: app.status };
        applications.push(entry);
        if (!item.decide || !has("reviewCreditApplication")) continue;

        const review = await as("analyst").call("reviewCreditApplication", {
          applicationId: app.applicationId,
          requestId: `seed-review-${item.key}`,
        });
        Object.assign(entry, {
          status: "under_review",
          score: review.score,
          grade: review.grade,
          tier: review.tier,
          recommendedLimit: review.recommendedLimit,
        });
        if (!has("decideCreditApplication")) continue;

        const by = item.decide.by;
        // The recommendation, within the request and the approver's authority; where the
        // model recommends nothing the manager still grants a small trial limit (demo data).
        const approvedLimit = Math.min(
          review.recommendedLimit > 0 ? review.recommendedLimit : 10_000_00,
          item.requestedLimit,
          AUTHORITY[by],
        );
        const owner = item.decide.owner ? uidOfRole(item.decide.owner) : null;
        const decision = "approve";
        const decided = await as(by).call("decideCreditApplication", {
          applicationId: app.applicationId,
          decision,
          approvedLimit,
          note: `Demo: approved by the ${by}`,
          ...(owner ? { ownerUid: owner } : {}),
          requestId: `seed-decide-${item.key}`,
        });
        entry.status = decided.status;
        if (!decided.customerId) continue;
        const customer = {
          key: item.key,
          name: item.company.name,
          customerId: decided.customerId,
          currency: item.currency,
          creditLimit: decided.creditLimit ?? approvedLimit,
          tier: review.tier,
          grade: review.grade,
          owner: item.decide.owner,
        };
        customers.push(customer);

        if (item.transactions.length > 0 && has("recordTransactions")) {
          const rec = await as("integration").call("recordTransactions", {
            customerId: decided.customerId,
            transactions: item.transactions.map((t) => ({
              externalId: t.externalId,
              type: t.type,
              amount: t.amount,
              issuedAt: isoDay(now - t.issuedDaysAgo * DAY),
              ...(t.dueDaysAgo !== undefined ? { dueAt: isoDay(now - t.dueDaysAgo * DAY) } : {}),
              ...(t.invoiceExternalId ? { invoiceExternalId: t.invoiceExternalId } : {}),
            })),
            requestId: `seed-tx-${item.key}`,
          });
          Object.assign(customer, {
            exposure: rec.exposure,
            availableCredit: rec.availableCredit,
            recorded: rec.recorded,
          });
        }
        if (item.orderCheck && has("checkOrder")) {
          const check = await as(item.orderCheck.by).call("checkOrder", {
            customerId: decided.customerId,
            orderAmount: item.orderCheck.amount,
          });
          orderChecks.push({ key: item.key, by: item.orderCheck.by, orderAmount: item.orderCheck.amount, ...check });
        }
      }
    }
    if (has("setCreditGroup")) {
      const memberIds = DEMO_GROUP.members.map((k) => customers.find((c) => c.key === k)?.customerId).filter(Boolean);
      if (memberIds.length === DEMO_GROUP.members.length) {
        const g = await as(DEMO_GROUP.by).call("setCreditGroup", {
          groupId: DEMO_GROUP.groupId,
          name: DEMO_GROUP.name,
          groupLimit: DEMO_GROUP.groupLimit,
          memberIds,
          reason: "Demo: parent company guarantee for its subsidiary",
          requestId: "seed-group-contoso",
        });
        groups.push({
          groupId: g.groupId,
          name: DEMO_GROUP.name,
          currency: g.currency,
          groupLimit: g.groupLimit,
          memberIds: g.memberIds,
          exposure: g.exposure,
          availableCredit: g.availableCredit,
        });
      }
    }
    // Twelve months of demo history for the report's trends (npm run report), back-cast from
    // today's figures; months the monthly job wrote are kept.
    if (customers.length > 0 && has("getPortfolioReport")) {
      const today = await as("manager").call("getPortfolioReport", {});
      history = await writeDemoHistory({ projectId, firestoreHost, report: today, log });
    }
  } finally {
    await closeSessions(sessions);
  }
  for (const c of customers) {
    const oc = orderChecks.find((o) => o.key === c.key);
    log(
      `  ✓ ${c.name}: customer ${c.customerId}, ${c.tier}/${c.grade}, limit ${money(c.creditLimit, c.currency)}` +
        (c.owner ? `, owner ${c.owner}@demo.test` : "") +
        (c.recorded !== undefined ? `, ${c.recorded} transactions, exposure ${money(c.exposure, c.currency)}` : "") +
        (oc ? `; checkOrder ${money(oc.orderAmount, c.currency)} → ${oc.decision}` : ""),
    );
  }
  for (const a of applications.filter((x) => !customers.some((c) => c.key === x.key)))
    log(`  ✓ ${a.name}: application ${a.applicationId} ${a.status}`);
  for (const g of groups) {
    const names = g.memberIds
      .map((id) => customers.find((c) => c.customerId === id))
      .map((c) => `${c?.name} (${c?.currency})`);
    log(
      `  ✓ credit group ${g.name} (${g.groupId}): ${names.join(" + ")}, limit ${money(g.groupLimit, g.currency)}, exposure ${money(g.exposure, g.currency)}`,
    );
  }
  return { users, customers, applications, orderChecks, groups, history };
}

export const FIRST_CALL_EXAMPLE = "docs/examples/first-call.mjs";

/**
 * The demo customers a newcomer needs for a first call, for the end of `npm start` and
 * `scripts/seed.mjs`: customer ids are generated when decideCreditApplication approves an
 * application, so they are printed rather than fixed. Lines: id, name, owner; then the
 * first-call command with a customer the demo sales rep owns.
 */
export function describeDemoCustomers(seed, { command = "node" } = {}) {
  const customers = seed?.customers ?? [];
  if (customers.length === 0) return [];
  const width = Math.max(...customers.map((c) => c.customerId.length));
  const lines = ["Demo customers (customerId  name  owner):"];
  for (const c of customers)
    lines.push(
      `  ${c.customerId.padEnd(width)}  ${c.name}  ${c.owner ? `${c.owner}@demo.test` : "no owner (staff only)"}`,
    );
  const ownedBySales = customers.find((c) => c.owner === "sales");
  if (ownedBySales)
    lines.push(
      `First call, as sales@demo.test (${ownedBySales.name}): ${command} ${FIRST_CALL_EXAMPLE} ${ownedBySales.customerId}`,
    );
  return lines;
}

function money(minor, currency) {
  if (typeof minor !== "number") return "?";
  return `${currency} ${(minor / 100).toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: 2 })}`;
}
