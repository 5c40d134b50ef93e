import { recordTransactionsInput } from "../schemas/callables.js";
import { loadPolicy } from "../services/policy.js";
import * as transactions from "../services/transactions.js";
import { callable } from "./common.js";

export const recordTransactions = callable({
  name: "recordTransactions",
  allow: ["integration", "analyst", "manager"],
  input: recordTransactionsInput,
  run: async (input, { caller, now }) => transactions.recordTransactions(input, caller, now, await loadPolicy(now)),
});
