/**
 * The access matrix: ONE table of (role, path, operation, fixtures) → allow | deny that states
 * what firestore.rules must do. It is run by
 *   - access-matrix.test.ts          against the in-process evaluator (every machine), and
 *   - access-matrix.emulator.test.ts against the official Firestore emulator (when available).
 *
 * The table is written as a grid per path and operation (the roles listed are allowed, every
 * other role is denied), followed by the tricky cases one by one. ACCESS_MATRIX is the
 * expanded list of rows.
 *
 * Field names the rules rely on (the functions code must write them):
 *   customers/{id}.ownerUid          uid of the owning sales rep
 *   applications/{id}.applicantUid   uid of the applicant
 *   limitRequests/{id}.requestedBy   uid of the requester
 *   orderBlocks/{id}.ownerUid        uid of the customer's sales rep when the order was blocked
 *   disputes/{id}.ownerUid           uid of the customer's sales rep when the dispute was opened
 *   termsChanges/{id}.requestedBy    uid of the requester
 *   customers/{id}/private/contacts  { contacts: [{name, email, phone}] (1..10), updatedAt, updatedBy } (updateContacts)
 */
import { REQUEST_TIME, type FixtureDoc, type FixtureValue } from "../support/rules-engine/index.js";

export const ROLES = [
  "signed-out",
  "applicant",
  "sales-owner",
  "sales-other",
  "analyst",
  "manager",
  "auditor",
  "admin",
  "integration",
] as const;
export type Role = (typeof ROLES)[number];
export type Operation = "get" | "list" | "create" | "update" | "delete";
export type Expectation = "allow" | "deny";
export type WhereOp = "==" | "<" | "<=" | ">" | ">=";

export interface MatrixRow {
  role: Role;
  op: Operation;
  /** A document path, or a collection path for `list`. */
  path: string;
  expect: Expectation;
  /** Why this row exists (tricky cases). */
  note?: string;
  /** create: the new document; update: the fields written (merged onto the stored document). */
  data?: FixtureDoc;
  /** list only: filters and limit. */
  query?: { where?: Array<[string, WhereOp, FixtureValue]>; limit?: number };
  /** Replace the role's token claims (e.g. odd role claims). */
  claims?: Record<string, FixtureValue>;
  /** Fixture documents to add (or, with null, remove) for this row only. */
  docs?: Record<string, FixtureDoc | null>;
}

// ---------------------------------------------------------------- who

export const UID: Readonly<Record<Exclude<Role, "signed-out">, string>> = {
  applicant: "u-applicant",
  "sales-owner": "u-sales-owner",
  "sales-other": "u-sales-other",
  analyst: "u-analyst",
  manager: "u-manager",
  auditor: "u-auditor",
  admin: "u-admin",
  integration: "u-integration",
};

/** A current acknowledgement of the confidentiality policy (version 1 until 2100): staff roles need one. */
export const ACK: Readonly<Record<string, FixtureValue>> = { v: 1, until: 4_102_444_800 };

/** Custom claims per role (an applicant has none). */
export const CLAIMS: Readonly<Record<Exclude<Role, "signed-out">, Record<string, FixtureValue>>> = {
  applicant: {},
  "sales-owner": { role: "sales", ack: ACK },
  "sales-other": { role: "sales", ack: ACK },
  analyst: { role: "analyst", ack: ACK },
  manager: { role: "manager", ack: ACK },
  auditor: { role: "auditor", ack: ACK },
  admin: { role: "admin", ack: ACK },
  integration: { role: "integration" },
};

// ---------------------------------------------------------------- fixtures

const T0 = new Date("2025-01-01T00:00:00.000Z");
const ANN = { name: "Ann Lee", email: "ann@acme.test", phone: "+1 555 0100" };
const BOB = { name: "Bob Roe", email: "bob@acme.test" };

/** The database every row starts from (paths relative to /databases/(default)/documents). */
export const BASE_DOCS: Readonly<Record<string, FixtureDoc>> = {
  "customers/c-own": {
    name: "Acme Ltd",
    status: "active",
    tier: "standard",
    ownerUid: UID["sales-owner"],
    creditLimit: 5_000_000,
  },
  "customers/c-own-bare": { name: "Bare Co", status: "active", ownerUid: UID["sales-owner"] },
  "customers/c-other": { name: "Other GmbH", status: "active", ownerUid: "u-sales-third" },
  "customers/c-noowner": { name: "No Owner SA", status: "on_hold" },
  "customers/c-nullowner": { name: "Null Owner BV", status: "active", ownerUid: null },
  "customers/c-own/private/financials": { revenue: 120_000_000, equity: 30_000_000, periodEnd: T0 },
  "customers/c-own/private/assessment": { score: 71, grade: "B", tier: "standard", reasons: ["PAYS_ON_TIME"] },
  "customers/c-own/private/creditState": { score: 71, flags: { fraudHold: false }, statusReason: null, openAlerts: {} },
  "customers/c-own/private/contacts": { customerId: "c-own", contacts: [ANN], updatedAt: T0 },
  "customers/c-noowner/private/contacts": { customerId: "c-noowner", contacts: [BOB], updatedAt: T0 },
  "customers/c-own/transactions/t1": { type: "invoice", amount: 125_000, issuedAt: T0 },
  "customers/c-other/transactions/t1": { type: "invoice", amount: 99_000, issuedAt: T0 },
  "customers/c-noowner/transactions/t1": { type: "order", amount: 10_000, issuedAt: T0 },
  "customers/c-own/ledger/t1": { applied: true, version: 1 },
  "customers/c-own/reviews/r1": { score: 71, grade: "B", at: T0 },
  "customers/c-own/statusChanges/sc1": {
    customerId: "c-own",
    after: { status: "on_hold" },
    note: "dispute",
    reasonCodes: ["MANUAL_HOLD"],
    decidedBy: UID.manager,
    decidedByRole: "manager",
    decidedAt: T0,
  },
  "applications/app-own": { applicantUid: UID.applicant, status: "submitted" },
  "applications/app-own/private/assessment": { score: 61, fraudSignals: [] },
  "applications/app-other": { applicantUid: "u-someone-else", status: "submitted" },
  "applications/app-noapplicant": { status: "submitted" },
  "applications/app-by-sales": { applicantUid: UID["sales-other"], status: "submitted" },
  "applications/app-by-integration": { applicantUid: UID.integration, status: "submitted" },
  "limitRequests/lr-own": {
    customerId: "c-own",
    requestedBy: UID["sales-owner"],
    newLimit: 6_000_000,
    status: "pending",
  },
  "limitRequests/lr-other": { customerId: "c-other", requestedBy: UID.analyst, newLimit: 1_000_000, status: "pending" },
  "limitRequests/lr-norequester": { customerId: "c-own", newLimit: 1, status: "pending" },
  "orderBlocks/ob-own": {
    customerId: "c-own",
    ownerUid: UID["sales-owner"],
    orderRef: "PO-1",
    amount: 100_000,
    status: "open",
  },
  "orderBlocks/ob-other": {
    customerId: "c-other",
    ownerUid: "u-sales-third",
    orderRef: "PO-2",
    amount: 100_000,
    status: "open",
  },
  "orderBlocks/ob-noowner": {
    customerId: "c-noowner",
    ownerUid: null,
    orderRef: "PO-3",
    amount: 100_000,
    status: "open",
  },
  "creditGroups/g1": {
    name: "Acme Group",
    currency: "USD",
    groupLimit: 10_000_000,
    memberIds: ["c-own", "c-other"],
    claims: { "c-own": { amount: 125_000, currency: "USD" } },
  },
  "alerts/al1": { customerId: "c-own", kind: "overdue", status: "open" },
  "disputes/dp-own": {
    customerId: "c-own",
    ownerUid: UID["sales-owner"],
    invoiceExternalId: "INV-1",
    amount: 100_000,
    status: "open",
  },
  "disputes/dp-other": {
    customerId: "c-other",
    ownerUid: "u-sales-third",
    invoiceExternalId: "INV-2",
    amount: 100_000,
    status: "open",
  },
  "termsChanges/tc-own": {
    customerId: "c-own",
    requestedBy: UID["sales-owner"],
    paymentTermsDays: 45,
    status: "pending",
  },
  "termsChanges/tc-other": { customerId: "c-other", requestedBy: UID.analyst, paymentTermsDays: 45, status: "pending" },
  "classOverrides/co1": { customerId: "c-own", tier: "standard", reason: "parent guarantee", decidedBy: UID.manager },
  "audit/customer_c-own": { seq: 1, hash: "abc" },
  "audit/customer_c-own/entries/00000001": { seq: 1, action: "customer.created", hash: "abc", prevHash: "" },
  "config/creditPolicy": { version: 1, weights: { payment: 0.4 } },
  "config/fxRates": { base: "USD", asOf: "2026-11-27", rates: { EUR: 0.86 } },
  "config/fxRatesLastGood": { table: { base: "USD", asOf: "2026-11-20", rates: { EUR: 0.85 } } },
  "config/confidentiality": { version: 1 },
  "confidentialityAcks/u-analyst": { uid: UID.analyst, version: 1, until: new Date("2100-01-01T00:00:00.000Z") },
  "trainingRecords/t1": { uid: UID.analyst, course: "Confidentiality 2025", completedAt: T0 },
  "backups/b1": { status: "done", startedAt: T0 },
  "reports/2026-10": { period: "2026-10", takenAt: T0, source: "monthlyJob", totals: { customers: 5 } },
  "simulations/s1": { status: "done", requestedBy: UID.manager, changes: ["limits.gradeCaps.B"] },
  "requests/rq1": { uid: UID.analyst, result: {} },
  "identities/taxNo_DE123": { customerIds: ["c-own"] },
  "processedEvents/ev1": { at: T0 },
};

// ---------------------------------------------------------------- helpers to write the table

const STAFF: Role[] = ["sales-owner", "sales-other", "analyst", "manager", "auditor", "admin"];
const NOBODY: Role[] = [];

/** One row per role: the listed roles are allowed, every other role is denied. */
function grid(op: Operation, path: string, allowed: readonly Role[], extra: Partial<MatrixRow> = {}): MatrixRow[] {
  return ROLES.map((role) => ({ ...extra, role, op, path, expect: allowed.includes(role) ? "allow" : "deny" }));
}

function row(
  role: Role,
  op: Operation,
  path: string,
  expect: Expectation,
  note: string,
  extra: Partial<MatrixRow> = {},
): MatrixRow {
  return { ...extra, role, op, path, expect, note };
}

/** A valid contacts update: the new list plus updatedAt = request.time. */
export function contactsUpdate(contacts: FixtureValue, extra: FixtureDoc = {}): FixtureDoc {
  return { contacts, updatedAt: REQUEST_TIME, ...extra };
}

const CONTACTS = "customers/c-own/private/contacts";
const VALID_UPDATE = contactsUpdate([ANN, BOB]);
const CLIENT_WRITE: FixtureDoc = { note: "written by a client" };

/** Every document the rules know, for the write grids: [existing doc, a new doc in the same place]. */
const WRITE_TARGETS: Array<[existing: string, fresh: string]> = [
  ["customers/c-own", "customers/c-new"],
  ["customers/c-own/private/financials", "customers/c-own-bare/private/financials"],
  ["customers/c-own/private/assessment", "customers/c-own-bare/private/assessment"],
  ["customers/c-own/private/creditState", "customers/c-own-bare/private/creditState"],
  ["customers/c-own/transactions/t1", "customers/c-own/transactions/t-new"],
  ["customers/c-own/ledger/t1", "customers/c-own/ledger/t-new"],
  ["customers/c-own/reviews/r1", "customers/c-own/reviews/r-new"],
  ["customers/c-own/statusChanges/sc1", "customers/c-own/statusChanges/sc-new"],
  ["applications/app-own", "applications/app-new"],
  ["limitRequests/lr-own", "limitRequests/lr-new"],
  ["alerts/al1", "alerts/al-new"],
  ["creditGroups/g1", "creditGroups/g-new"],
  ["orderBlocks/ob-own", "orderBlocks/ob-new"],
  ["disputes/dp-own", "disputes/dp-new"],
  ["termsChanges/tc-own", "termsChanges/tc-new"],
  ["classOverrides/co1", "classOverrides/co-new"],
  ["audit/customer_c-own", "audit/customer_c-new"],
  ["audit/customer_c-own/entries/00000001", "audit/customer_c-own/entries/00000002"],
  ["config/creditPolicy", "config/otherPolicy"],
  ["config/fxRates", "config/fxRatesDraft"],
  ["config/confidentiality", "config/otherConfidentiality"],
  ["confidentialityAcks/u-analyst", "confidentialityAcks/u-new"],
  ["trainingRecords/t1", "trainingRecords/t-new"],
  ["backups/b1", "backups/b-new"],
  ["reports/2026-10", "reports/2026-11"],
  ["simulations/s1", "simulations/s-new"],
  ["requests/rq1", "requests/rq-new"],
  ["identities/taxNo_DE123", "identities/taxNo_DE999"],
  ["processedEvents/ev1", "processedEvents/ev-new"],
];

// ---------------------------------------------------------------- THE TABLE

export const ACCESS_MATRIX: readonly MatrixRow[] = [
  // ---- reads: customers (staff; sales only their own)
  ...grid("get", "customers/c-own", ["sales-owner", "analyst", "manager", "auditor", "admin"]),
  ...grid("get", "customers/c-other", ["analyst", "manager", "auditor", "admin"]),
  ...grid("list", "customers", ["analyst", "manager", "auditor", "admin"], { note: "unfiltered list" }),
  ...grid("list", "customers", ["sales-owner", "analyst", "manager", "auditor", "admin"], {
    note: "list filtered ownerUid == sales-owner",
    query: { where: [["ownerUid", "==", UID["sales-owner"]]] },
  }),

  // ---- reads: private documents of a customer
  ...grid("get", "customers/c-own/private/financials", ["analyst", "manager", "auditor"]),
  ...grid("get", "customers/c-own/private/assessment", ["analyst", "manager", "auditor"]),
  ...grid("get", "customers/c-own/private/creditState", ["analyst", "manager", "auditor"], {
    note: "the confidential rest of the credit file: never the sales rep's",
  }),
  ...grid("get", CONTACTS, ["sales-owner", "analyst", "manager"]),
  ...grid("list", "customers/c-own/private", NOBODY, { note: "private docs are read one by one, never listed" }),

  // ---- reads: customer subcollections
  ...grid("get", "customers/c-own/transactions/t1", ["sales-owner", "analyst", "manager"]),
  ...grid("list", "customers/c-own/transactions", ["sales-owner", "analyst", "manager"]),
  ...grid("get", "customers/c-other/transactions/t1", ["analyst", "manager"]),
  ...grid("list", "customers/c-other/transactions", ["analyst", "manager"]),
  ...grid("get", "customers/c-own/ledger/t1", ["analyst", "manager"]),
  ...grid("list", "customers/c-own/ledger", ["analyst", "manager"]),
  ...grid("get", "customers/c-own/reviews/r1", ["analyst", "manager", "auditor"]),
  ...grid("list", "customers/c-own/reviews", ["analyst", "manager", "auditor"]),
  ...grid("get", "customers/c-own/statusChanges/sc1", ["analyst", "manager", "auditor"], {
    note: "a status decision's memo: credit staff and auditors",
  }),
  ...grid("list", "customers/c-own/statusChanges", ["analyst", "manager", "auditor"]),

  // ---- reads: workflow documents
  ...grid("get", "applications/app-own", ["applicant", "analyst", "manager", "auditor"]),
  ...grid("get", "applications/app-own/private/assessment", ["analyst", "manager", "auditor"], {
    note: "the review and the decision memo are not the applicant's to read",
  }),
  ...grid("list", "applications/app-own/private", [], { note: "private documents are fetched one by one" }),
  ...grid("update", "applications/app-own/private/assessment", [], { data: { score: 99 } }),
  ...grid("get", "applications/app-other", ["analyst", "manager", "auditor"]),
  ...grid("list", "applications", ["analyst", "manager", "auditor"], { note: "unfiltered list" }),
  ...grid("list", "applications", ["applicant", "analyst", "manager", "auditor"], {
    note: "list filtered applicantUid == applicant",
    query: { where: [["applicantUid", "==", UID.applicant]] },
  }),
  ...grid("get", "limitRequests/lr-own", ["sales-owner", "analyst", "manager", "auditor"]),
  ...grid("get", "limitRequests/lr-other", ["analyst", "manager", "auditor"]),
  ...grid("list", "limitRequests", ["analyst", "manager", "auditor"], { note: "unfiltered list" }),
  ...grid("list", "limitRequests", ["sales-owner", "analyst", "manager", "auditor"], {
    note: "list filtered requestedBy == sales-owner",
    query: { where: [["requestedBy", "==", UID["sales-owner"]]] },
  }),
  ...grid("get", "orderBlocks/ob-own", ["sales-owner", "analyst", "manager", "auditor", "admin"]),
  ...grid("get", "orderBlocks/ob-other", ["analyst", "manager", "auditor", "admin"]),
  ...grid("list", "orderBlocks", ["analyst", "manager", "auditor", "admin"], {
    note: "unfiltered list: the release queue",
  }),
  ...grid("list", "orderBlocks", ["sales-owner", "analyst", "manager", "auditor", "admin"], {
    note: "list filtered ownerUid == sales-owner",
    query: { where: [["ownerUid", "==", UID["sales-owner"]]] },
  }),
  ...grid("get", "creditGroups/g1", ["analyst", "manager", "auditor", "admin"], {
    note: "a group holds other customers' figures: never the sales rep's",
  }),
  ...grid("list", "creditGroups", ["analyst", "manager", "auditor", "admin"]),
  ...grid("get", "alerts/al1", ["analyst", "manager"]),
  ...grid("list", "alerts", ["analyst", "manager"]),
  ...grid("get", "disputes/dp-own", ["sales-owner", "analyst", "manager", "auditor"]),
  ...grid("get", "disputes/dp-other", ["analyst", "manager", "auditor"]),
  ...grid("list", "disputes", ["analyst", "manager", "auditor"], { note: "unfiltered list: the disputes queue" }),
  ...grid("list", "disputes", ["sales-owner", "analyst", "manager", "auditor"], {
    note: "list filtered ownerUid == sales-owner",
    query: { where: [["ownerUid", "==", UID["sales-owner"]]] },
  }),
  ...grid("get", "termsChanges/tc-own", ["sales-owner", "analyst", "manager"]),
  ...grid("get", "termsChanges/tc-other", ["analyst", "manager"]),
  ...grid("list", "termsChanges", ["analyst", "manager"], { note: "unfiltered list" }),
  ...grid("list", "termsChanges", ["sales-owner", "analyst", "manager"], {
    note: "list filtered requestedBy == sales-owner",
    query: { where: [["requestedBy", "==", UID["sales-owner"]]] },
  }),
  ...grid("get", "classOverrides/co1", ["analyst", "manager", "auditor"], {
    note: "the manager's reason is confidential credit judgement",
  }),
  ...grid("list", "classOverrides", ["analyst", "manager", "auditor"]),

  // ---- reads: portfolio reporting
  ...grid("get", "reports/2026-10", ["manager", "auditor", "admin"], {
    note: "monthly snapshots: who may ask for the portfolio report",
  }),
  ...grid("list", "reports", ["manager", "auditor", "admin"]),
  ...grid("get", "simulations/s1", ["manager", "admin"], { note: "a what-if job: who may run one" }),
  ...grid("list", "simulations", ["manager", "admin"]),

  // ---- reads: audit, policy, backups, internal collections
  ...grid("get", "audit/customer_c-own", ["auditor", "admin"]),
  ...grid("list", "audit", ["auditor", "admin"]),
  ...grid("get", "audit/customer_c-own/entries/00000001", ["auditor", "admin"]),
  ...grid("list", "audit/customer_c-own/entries", ["auditor", "admin"]),
  ...grid("get", "config/creditPolicy", STAFF),
  ...grid("get", "config/fxRates", STAFF, { note: "the FX table in force: staff read it like the policy" }),
  ...grid("get", "config/fxRatesLastGood", NOBODY, { note: "the loader's fallback: internal" }),
  ...grid("list", "config", NOBODY, { note: "the policy is read by its id, never listed" }),
  ...grid(
    "get",
    "config/confidentiality",
    ["applicant", "sales-owner", "sales-other", "analyst", "manager", "auditor", "admin", "integration"],
    {
      note: "the version to acknowledge: any signed-in user",
    },
  ),
  ...grid("get", "confidentialityAcks/u-analyst", NOBODY),
  ...grid("list", "confidentialityAcks", NOBODY),
  ...grid("get", "trainingRecords/t1", NOBODY),
  ...grid("list", "trainingRecords", NOBODY),
  ...grid("get", "backups/b1", ["admin"]),
  ...grid("list", "backups", ["admin"]),
  ...grid("get", "requests/rq1", NOBODY),
  ...grid("list", "requests", NOBODY),
  ...grid("get", "identities/taxNo_DE123", NOBODY),
  ...grid("list", "identities", NOBODY),
  ...grid("get", "processedEvents/ev1", NOBODY),
  ...grid("list", "processedEvents", NOBODY),

  // ---- writes: nothing from clients, anywhere ...
  ...WRITE_TARGETS.flatMap(([existing, fresh]) => [
    ...grid("create", fresh, NOBODY, { data: CLIENT_WRITE }),
    ...grid("update", existing, NOBODY, { data: CLIENT_WRITE }),
    ...grid("delete", existing, NOBODY),
  ]),
  // ... the contact list included: it changes through updateContacts (validated, audited, identity-indexed).
  ...grid("update", CONTACTS, NOBODY, {
    note: "a well-formed contacts update: still only through the callable",
    data: VALID_UPDATE,
  }),
  ...grid("create", "customers/c-own-bare/private/contacts", NOBODY, { data: VALID_UPDATE }),
  ...grid("delete", CONTACTS, NOBODY),

  // ---- tricky: null and missing fields, missing documents
  row("sales-owner", "get", "customers/c-noowner", "deny", "ownerUid missing → error → deny"),
  row("analyst", "get", "customers/c-noowner", "allow", "ownerUid missing does not matter to an analyst"),
  row("sales-owner", "get", "customers/c-nullowner", "deny", "ownerUid null"),
  row("sales-owner", "get", "customers/c-missing", "deny", "document does not exist: resource == null"),
  row("analyst", "get", "customers/c-missing", "allow", "analyst may learn that a customer does not exist"),
  row("sales-owner", "get", "customers/c-noowner/transactions/t1", "deny", "get(customer).data.ownerUid missing"),
  row(
    "sales-owner",
    "get",
    "customers/c-missing/transactions/t1",
    "deny",
    "get(customer) of a missing customer is null",
  ),
  row("sales-owner", "get", "customers/c-noowner/private/contacts", "deny", "owner unknown"),
  row("applicant", "get", "applications/app-noapplicant", "deny", "applicantUid missing"),
  row("applicant", "get", "applications/app-missing", "deny", "application does not exist"),
  row(
    "sales-other",
    "get",
    "applications/app-by-sales",
    "allow",
    "staff who applied themselves read their own application",
  ),
  row("integration", "get", "applications/app-by-integration", "deny", "integration reads nothing, even 'its own'"),
  row("sales-owner", "get", "limitRequests/lr-norequester", "deny", "requestedBy missing"),
  row("sales-owner", "get", "orderBlocks/ob-noowner", "deny", "block of a customer without a sales rep"),
  row("sales-owner", "list", "disputes", "deny", "filter on the customer only proves nothing", {
    query: { where: [["customerId", "==", "c-own"]] },
  }),
  row("sales-owner", "list", "orderBlocks", "deny", "filter on the customer only proves nothing", {
    query: { where: [["customerId", "==", "c-own"]] },
  }),

  // ---- staff without a current acknowledgement of the confidentiality policy (seed §5.1): the role does not count
  row("analyst", "get", "customers/c-own/private/creditState", "deny", "no acknowledgement", {
    claims: { role: "analyst" },
  }),
  row("analyst", "get", "alerts/al1", "deny", "acknowledgement expired", {
    claims: { role: "analyst", ack: { v: 1, until: 1_700_000_000 } },
  }),
  row("manager", "get", "customers/c-other", "deny", "acknowledged an outdated version", {
    claims: { role: "manager", ack: { v: 0, until: 4_102_444_800 } },
  }),
  row("sales-owner", "get", "customers/c-own", "deny", "sales without acknowledgement", { claims: { role: "sales" } }),
  row("auditor", "get", "audit/customer_c-own", "deny", "ack is not a map", {
    claims: { role: "auditor", ack: "yes" },
  }),
  row("admin", "get", "backups/b1", "deny", "no config/confidentiality document: nobody's role counts (fail closed)", {
    docs: { "config/confidentiality": null },
  }),
  row("analyst", "get", "alerts/al1", "allow", "acknowledged the version in force, still valid"),

  // ---- tricky: odd role claims
  row("applicant", "get", "applications/app-own", "allow", "role claim null = no role", { claims: { role: null } }),
  row("applicant", "get", "applications/app-own", "deny", "unknown role is not an applicant", {
    claims: { role: "superuser" },
  }),
  row("analyst", "get", "alerts/al1", "deny", "role is case-sensitive", { claims: { role: "Analyst", ack: ACK } }),
  row("analyst", "get", "alerts/al1", "deny", "role as a list is not a role", {
    claims: { role: ["analyst"], ack: ACK },
  }),
  row("admin", "get", "customers/c-own/private/financials", "deny", "admin does not read financials"),
  row("auditor", "get", CONTACTS, "deny", "auditor does not read personal data"),

  // ---- tricky: list queries the rules must prove safe
  row("sales-owner", "list", "customers", "deny", "filter on another sales rep's uid", {
    query: { where: [["ownerUid", "==", UID["sales-other"]]] },
  }),
  row("sales-owner", "list", "customers", "deny", "filter on another field only", {
    query: { where: [["status", "==", "active"]] },
  }),
  row("sales-owner", "list", "customers", "allow", "own filter plus another filter and a limit", {
    query: {
      where: [
        ["ownerUid", "==", UID["sales-owner"]],
        ["status", "==", "active"],
      ],
      limit: 10,
    },
  }),
  row("sales-owner", "list", "customers", "deny", "range filter on ownerUid proves nothing", {
    query: { where: [["ownerUid", ">=", UID["sales-owner"]]] },
  }),
  row("integration", "list", "customers", "deny", "integration with an ownerUid filter", {
    query: { where: [["ownerUid", "==", UID.integration]] },
  }),
  row("applicant", "list", "applications", "deny", "filter on someone else's uid", {
    query: { where: [["applicantUid", "==", "u-someone-else"]] },
  }),
  row("sales-owner", "list", "limitRequests", "deny", "filter on another field", {
    query: { where: [["customerId", "==", "c-own"]] },
  }),
  row("sales-owner", "list", "customers/c-noowner/transactions", "deny", "customer without owner"),
  row("sales-owner", "list", "customers/c-missing/transactions", "deny", "customer does not exist"),

  // ---- regression (first-wave review): what the owning sales rep could write directly
  ...[
    ["blank name", [{ name: " " }]],
    ["control characters in a name", [{ name: "Ann\u0000\u001b[2J" }]],
    ["markup in an e-mail", [{ name: "Ann", email: '"><svg/onload=alert(1)>@evil.example' }]],
    ["header injection in an e-mail", [{ name: "Ann", email: "a@b.c\r\nBcc: all@evil.example" }]],
    ["script URL as a phone", [{ name: "Ann", phone: "javascript:alert(1)//" }]],
    ["no contacts at all", []],
  ].map(([note, contacts]) =>
    row("sales-owner", "update", CONTACTS, "deny", `direct write: ${note as string}`, {
      data: contactsUpdate(contacts as FixtureValue),
    }),
  ),
];
