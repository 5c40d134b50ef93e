import { creditPolicySchema, type CreditPolicy } from "../schemas/policy.js";
import { DEFAULT_FRAUD_POLICY } from "./fraud.js";

/**
 * The default credit policy. Amounts are minor units (cents) of the base currency: 50_000_00 is
 * 50,000.00 USD, converted into a customer's currency when a decision compares with it.
 * Every number here is documented in docs/scoring.md; an admin overrides any part in
 * `config/creditPolicy` (deep-merged over these defaults, then validated as a whole).
 */
export const DEFAULT_POLICY: CreditPolicy = {
  version: 1,
  currencies: ["USD", "EUR", "GBP", "CHF", "CAD", "AUD", "SGD", "HKD", "TWD", "CNY", "JPY"],
  // Every money figure below is in the base currency, converted at decision time (domain/money.ts).
  baseCurrency: "USD",
  fx: { maxAgeDays: 7 },
  groupWeights: { payment: 40, financial: 30, trading: 15, profile: 15 },
  factorWeights: {
    payment: { onTimeRatio: 40, daysBeyondTerms: 25, oldestDaysPastDue: 25, dishonoured: 10, disputes: 10 },
    financial: { currentRatio: 25, debtToEquity: 25, netMargin: 20, altmanZ: 30 },
    trading: { tenureMonths: 40, volumeToLimit: 30, orderFrequency: 30 },
    profile: { yearsInBusiness: 50, industry: 30, country: 20 },
  },
  curves: {
    onTimeRatio: [
      [0, 0],
      [0.5, 20],
      [0.8, 60],
      [0.95, 90],
      [1, 100],
    ],
    daysBeyondTerms: [
      [0, 100],
      [5, 85],
      [15, 60],
      [30, 30],
      [60, 0],
    ],
    oldestDaysPastDue: [
      [0, 100],
      [15, 80],
      [30, 55],
      [60, 25],
      [90, 0],
    ],
    dishonoured: [
      [0, 100],
      [1, 40],
      [3, 0],
    ],
    disputesLost: [
      [0, 100],
      [1, 70],
      [2, 45],
      [4, 10],
      [6, 0],
    ],
    currentRatio: [
      [0.5, 0],
      [1, 40],
      [1.5, 75],
      [2, 100],
    ],
    debtToEquity: [
      [0, 100],
      [1, 80],
      [2, 50],
      [4, 10],
      [6, 0],
    ],
    netMargin: [
      [-0.1, 0],
      [0, 40],
      [0.05, 70],
      [0.1, 90],
      [0.2, 100],
    ],
    altmanZ: [
      [0, 0],
      [1.1, 30],
      [2.6, 80],
      [4, 100],
    ],
    tenureMonths: [
      [0, 20],
      [12, 60],
      [36, 85],
      [60, 100],
    ],
    volumeToLimit: [
      [0, 30],
      [1, 70],
      [4, 100],
      [12, 90],
      [24, 60],
    ],
    orderFrequency: [
      [0, 20],
      [4, 50],
      [12, 85],
      [24, 100],
    ],
    yearsInBusiness: [
      [0, 10],
      [1, 30],
      [3, 55],
      [10, 85],
      [20, 100],
    ],
  },
  // ISIC Rev. 4 sections (and the two trade divisions the old table told apart: wholesale, retail).
  industryScores: {
    A: 55, // agriculture, forestry and fishing
    B: 50, // mining and quarrying
    C: 70, // manufacturing
    D: 60, // energy supply
    E: 60, // water, sewerage, waste
    F: 40, // construction
    G: 60, // wholesale and retail trade
    G46: 65, // wholesale
    G47: 55, // retail
    H: 55, // transportation and storage
    I: 40, // accommodation and food service (hospitality)
    J: 65, // information and communication (technology)
    K: 60, // financial and insurance
    L: 45, // real estate
    M: 65, // professional, scientific and technical
    N: 55, // administrative and support services
    O: 80, // public administration
    P: 65, // education
    Q: 75, // human health and social work (healthcare)
    R: 45, // arts, entertainment and recreation
    S: 60, // other services
  },
  defaultIndustryScore: 50,
  countryScores: {
    US: 85,
    DE: 90,
    GB: 85,
    FR: 85,
    NL: 90,
    CH: 95,
    JP: 90,
    SG: 90,
    TW: 85,
    HK: 80,
    CN: 65,
    CA: 90,
    AU: 90,
  },
  defaultCountryScore: 50,
  gradeBands: { A: 80, B: 65, C: 50, D: 35 },
  tierByGrade: { A: "premium", B: "premium", C: "standard", D: "risky", E: "risky" },
  unknownPaymentScore: 50,
  minConfidenceForPremium: 0.6,
  balanceTolerance: { absolute: 100_00, relative: 0.005 },
  reasonCodes: { max: 4, belowFactorScore: 70 },
  limits: {
    gradeCaps: { A: 1_000_000_00, B: 500_000_00, C: 200_000_00, D: 50_000_00, E: 0 },
    starterCap: 100_000_00,
    noStatementCapacity: 25_000_00,
    equityShare: 0.2,
    revenueShare: 0.1,
    needBufferDays: 15,
    roundingUnit: 1_000_00,
  },
  paymentTerms: { defaultDays: 30, maxDays: 120 },
  authority: { analyst: 50_000_00, manager: 500_000_00 },
  fraud: DEFAULT_FRAUD_POLICY,
  monitoring: {
    utilizationAlert: 0.9,
    scoreDropAlert: 10,
    temporaryLimitWarningDays: 7,
    statementStaleMonths: 15,
    reviewOverdueDays: 7,
    maxIdleDays: 366,
  },
  penalties: {
    noIncreaseAfterDays: 30,
    autoHoldAfterDays: 60,
    suspendAfterDays: 90,
    suspendOnDishonoured: true,
    limitCutTo: 0.5,
    dishonouredDecayDays: 90,
    cureDaysPastDue: 30,
  },
  incentives: {
    onTimeMonths: 6,
    minUtilization: 0.7,
    increaseShare: 0.2,
    autoApproveUpTo: 10_000_00,
    extendedTermsDays: 15,
    extendedTermsTiers: ["premium"],
  },
  classification: {
    premium: {
      minHistoryMonths: 6,
      minPayments12m: 3,
      minInvoices12m: 4,
      minVolumeToLimit: 1,
      minOnTimeRatio: 0.9,
      maxAvgDaysBeyondTerms: 5,
      maxDaysPastDue: 15,
      maxDishonoured12m: 0,
      maxDisputesLost12m: 0,
      minFinancialScore: 50,
    },
    risky: { daysPastDueOver: 60, avgDaysBeyondTermsOver: 30, disputesLost12m: 3 },
    overrideMaxDays: 365,
  },
  disputes: { alertAfterDays: 30, maxOpenPerCustomer: 50 },
  limitReview: { cutMargin: 0.1, autoCutMaxShare: 0.5, increaseMargin: 0.2 },
  velocity: { multiple: 3, limitShare: 0.5, newCustomerDays: 90, largeFirstOrderShare: 0.5, bankChangeWindowDays: 30 },
  jobs: { pageSize: 100, batchSize: 200, timeBudgetSeconds: 420 },
  backup: { retentionDays: 35, exportEveryDays: 7 },
  confidentiality: { version: 1, validityDays: 365, expiryWarningDays: 30 },
  ledger: {
    maxAmount: 100_000_000_000,
    maxFutureDays: 7,
    maxPastDays: 3_650,
    horizonDays: 1_825,
    groupCommitSeconds: 2,
    groupCommitMaxRecords: 250,
  },
  simulation: { directMaxCustomers: 500, maxListed: 100 },
  orderCheck: { reviewUtilization: 1, reservationHours: 72, maxOpenOrders: 100 },
  creditGroups: { maxMembers: 50, claimReleaseShare: 0.02, claimHoldHours: 24 },
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep-merge an override over a base: objects merge key by key, arrays and scalars replace. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) {
    if (k === "__proto__" || k === "constructor" || k === "prototype") continue;
    out[k] = k in base ? deepMerge(base[k], v) : v;
  }
  return out;
}

export type PolicyResolution =
  { ok: true; policy: CreditPolicy } | { ok: false; issues: Array<{ path: string; message: string }> };

/** Resolve a stored override document into a full policy, or say exactly why it is invalid. */
export function resolvePolicy(override: unknown): PolicyResolution {
  if (override === undefined || override === null) return { ok: true, policy: DEFAULT_POLICY };
  const merged = deepMerge(DEFAULT_POLICY, override);
  const parsed = creditPolicySchema.safeParse(merged);
  if (parsed.success) return { ok: true, policy: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((i) => ({
      path: [...i.path, ...(i.code === "unrecognized_keys" ? [i.keys.join(",")] : [])].map(String).join("."),
      message: i.message,
    })),
  };
}
