/**
 * The demo portfolio of `npm start` (scripts/lib/seed.mjs DEMO_PORTFOLIO), made in-process through
 * the same callables the seed calls (firebase-functions-test): apply, review, decide at the
 * recommendation within the request and the decider's authority, record the demo transactions,
 * and the Contoso credit group. Returns the customers by demo key.
 */
import * as fns from "../../functions/src/index.js";
import { AUTHORITY, DEMO_GROUP, DEMO_PORTFOLIO, statement } from "../../scripts/lib/seed.mjs";
import { call, users } from "./callables.js";

const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface DemoCustomer {
  key: string;
  name: string;
  customerId: string;
  currency: string;
  creditLimit: number;
  grade: string;
  tier: string;
}

export async function seedDemoInProcess(now = Date.now()): Promise<Map<string, DemoCustomer>> {
  const out = new Map<string, DemoCustomer>();
  for (const item of DEMO_PORTFOLIO) {
    const { applicationId } = await call(
      fns.submitCreditApplication,
      {
        company: item.company,
        contacts: [item.contact],
        requestedLimit: item.requestedLimit,
        currency: item.currency,
        paymentTermsDays: item.paymentTermsDays,
        financials: statement(item.currency, item.financials),
        tradeReferences: [{ name: "Demo Supplier plc", yearsTrading: 5 }],
      },
      users.applicant,
    );
    if (!item.decide) continue;
    const review = await call(fns.reviewCreditApplication, { applicationId }, users.analyst);
    const by = item.decide.by as "analyst" | "manager";
    const approvedLimit = Math.min(
      review.recommendedLimit > 0 ? review.recommendedLimit : 10_000_00,
      item.requestedLimit,
      AUTHORITY[by],
    );
    const owner = item.decide.owner === "sales" ? users.sales.uid : null;
    const decided = await call(
      fns.decideCreditApplication,
      {
        applicationId,
        decision: "approve",
        approvedLimit,
        note: `Demo: approved by the ${by}`,
        ...(owner ? { ownerUid: owner } : {}),
      },
      users[by],
    );
    out.set(item.key, {
      key: item.key,
      name: item.company.name,
      customerId: decided.customerId,
      currency: item.currency,
      creditLimit: decided.creditLimit ?? approvedLimit,
      grade: review.grade,
      tier: review.tier,
    });
    if (item.transactions.length > 0) {
      await call(
        fns.recordTransactions,
        {
          customerId: decided.customerId,
          transactions: item.transactions.map((t) => ({
            externalId: t.externalId,
            type: t.type,
            amount: t.amount,
            issuedAt: isoDay(now - t.issuedDaysAgo * DAY),
            ...(t.dueDaysAgo !== undefined ? { dueAt: isoDay(now - t.dueDaysAgo * DAY) } : {}),
            ...(t.invoiceExternalId ? { invoiceExternalId: t.invoiceExternalId } : {}),
          })),
        },
        users.integration,
      );
    }
  }
  const memberIds = DEMO_GROUP.members.map((k) => out.get(k)?.customerId).filter((x): x is string => Boolean(x));
  await call(
    fns.setCreditGroup,
    {
      groupId: DEMO_GROUP.groupId,
      name: DEMO_GROUP.name,
      groupLimit: DEMO_GROUP.groupLimit,
      memberIds,
      reason: "Demo: parent company guarantee",
    },
    users.manager,
  );
  return out;
}
