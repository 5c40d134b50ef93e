/** Valid inputs, in minor units, to build cases from. */
export const statement = {
  periodEnd: "2025-12-31",
  currency: "USD",
  totalAssets: 5_000_000_00,
  currentAssets: 2_000_000_00,
  totalLiabilities: 2_000_000_00,
  currentLiabilities: 1_000_000_00,
  equity: 3_000_000_00,
  retainedEarnings: 1_500_000_00,
  revenue: 8_000_000_00,
  ebit: 800_000_00,
  netIncome: 500_000_00,
};

export function application(overrides: Record<string, unknown> = {}) {
  return {
    company: {
      name: "Acme Trading Ltd",
      registrationNo: "REG-100200",
      country: "US",
      industry: "wholesale",
      foundedYear: 2008,
      address: "1 Market Street, Springfield",
    },
    contacts: [{ name: "Pat Buyer", email: "pat@acme.example", phone: "+1 555 0100" }],
    requestedLimit: 40_000_00,
    currency: "USD",
    paymentTermsDays: 30,
    financials: statement,
    ...overrides,
  };
}
