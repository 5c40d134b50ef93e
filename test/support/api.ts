/** Every callable of the API contract (functions/src/schemas/contract.ts, docs/API.md). */
import { CALLABLE_NAMES, type CallableName } from "../../functions/src/schemas/contract.js";

export const API_CALLABLES: readonly CallableName[] = CALLABLE_NAMES;
export type { CallableName };
