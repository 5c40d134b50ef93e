import { getPortfolioReportInput } from "../schemas/callables.js";
import { portfolioReport } from "../services/portfolio.js";
import { callable } from "./common.js";

export const getPortfolioReport = callable({
  name: "getPortfolioReport",
  allow: ["manager", "auditor", "admin"],
  input: getPortfolioReportInput,
  run: (input, { now }) => portfolioReport(input, now),
});
