import { portfolioReport } from "../services/portfolio.js";
import { callable } from "./common.js";

export const getPortfolioReport = callable("getPortfolioReport", (input, { now }) => portfolioReport(input, now));
