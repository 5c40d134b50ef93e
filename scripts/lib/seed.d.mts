import type { ClientSession } from "./client.mjs";

export type DemoRole = "admin" | "analyst" | "manager" | "sales" | "auditor" | "integration";
export declare const DEMO_PASSWORD: string;
export declare const DEMO_USERS: ReadonlyArray<{ email: string; role: DemoRole | null }>;
export declare const DEMO_GROUP: { groupId: string; name: string; groupLimit: number; members: string[]; by: DemoRole };
export interface DemoItem {
  key: string;
  company: {
    name: string;
    registrationNo: string;
    country: string;
    industry: string;
    foundedYear: number;
    address: string;
  };
  contact: { name: string; email: string; phone: string };
  currency: string;
  requestedLimit: number;
  paymentTermsDays: number;
  financials: { assets: number; equityShare: number; currentShare: number; revenue: number; margin: number };
  decide: { by: DemoRole; owner: DemoRole | null } | null;
  transactions: ReadonlyArray<{
    externalId: string;
    type: string;
    amount: number;
    issuedDaysAgo: number;
    dueDaysAgo?: number;
    invoiceExternalId?: string;
  }>;
  orderCheck: { by: DemoRole; amount: number } | null;
}
export declare const DEMO_PORTFOLIO: ReadonlyArray<DemoItem>;
/** Approval authority by role in the base currency's minor units (the demo's limits stay inside it). */
export declare const AUTHORITY: Readonly<Record<"analyst" | "manager" | "admin", number>>;
/** A balanced demo statement in the currency given. */
export declare function statement(currency: string, f: DemoItem["financials"]): Record<string, unknown>;

export interface SeedContext {
  functionsOrigin: string;
  authHost: string;
  projectId?: string;
  region?: string;
  log?: (line: string) => void;
}

export interface DemoUser {
  email: string;
  role: DemoRole | null;
  uid: string;
}

export interface SeededCustomer {
  key: string;
  name: string;
  customerId: string;
  currency: string;
  creditLimit: number;
  tier: string;
  grade: string;
  owner: DemoRole | null;
  exposure?: number;
  availableCredit?: number;
  recorded?: number;
}

export interface SeedResult {
  users: DemoUser[];
  customers: SeededCustomer[];
  applications: Array<{
    key: string;
    name: string;
    applicationId: string;
    status: string;
    score?: number;
    grade?: string;
    tier?: string;
    recommendedLimit?: number;
  }>;
  orderChecks: Array<{
    key: string;
    by: DemoRole;
    orderAmount: number;
    decision: string;
    availableCredit: number;
    reasons: string[];
  }>;
  /** The demo's credit groups (members in more than one currency). */
  groups: Array<{
    groupId: string;
    name: string;
    currency: string;
    groupLimit: number;
    memberIds: string[];
    exposure: number;
    availableCredit: number;
  }>;
  /** The demo history written for the report's trends (reports/{yyyy-mm}, source "demo"). */
  history: { written: number; kept: number };
}

export declare function servedFunctions(functionsOrigin: string): Promise<string[]>;
export declare function ensureDemoUsers(
  ctx: SeedContext,
): Promise<{ users: DemoUser[]; sessions: Map<string, ClientSession> }>;
export declare function closeSessions(sessions: Map<string, ClientSession>): Promise<void>;
export declare function withAdminAuth<T>(
  projectId: string,
  authHost: string,
  fn: (auth: import("firebase-admin/auth").Auth) => Promise<T>,
): Promise<T>;
export declare function seedDemoPortfolio(
  ctx: SeedContext & { now?: number; firestoreHost?: string | null },
): Promise<SeedResult>;
/** Load the day's FX rates into config/fxRates (as an admin does in the console). */
export declare function loadDayRates(opts: {
  projectId: string;
  firestoreHost: string | null;
  now?: number;
  log?: (line: string) => void;
}): Promise<void>;
export declare function warmUp(opts: {
  functionsOrigin: string;
  projectId?: string;
  region?: string;
  names: string[];
  concurrency?: number;
}): Promise<void>;
export declare const FIRST_CALL_EXAMPLE: string;
/** Lines naming each demo customer's id, name and owner, and the first-call command. */
export declare function describeDemoCustomers(
  seed: Pick<SeedResult, "customers"> | null,
  opts?: { command?: string },
): string[];

/** Acknowledge the confidentiality policy in force as this session's user, then refresh its token. */
export declare function acknowledge(session: ClientSession, who: string, log?: (line: string) => void): Promise<void>;
