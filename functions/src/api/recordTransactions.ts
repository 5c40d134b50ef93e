import { loadPolicy } from "../services/policy.js";
import * as transactions from "../services/transactions.js";
import { callable } from "./common.js";

export const recordTransactions = callable("recordTransactions", async (input, { caller, now }) =>
  transactions.recordTransactions(input, caller, now, await loadPolicy(now)),
);
