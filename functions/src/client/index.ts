/**
 * `credit-desk-functions/client`: what web and mobile clients (and our seed, e2e tests and
 * examples) import to call the credit desk — every callable's name, input and output types,
 * the zod schemas, and a typed helper over the Firebase SDK's `httpsCallable`:
 *
 *   import { getFunctions, httpsCallable } from "firebase/functions";
 *   import { creditDesk } from "credit-desk-functions/client";
 *
 *   const desk = creditDesk(getFunctions(app, "us-central1"), httpsCallable);
 *   const { decision, availableCredit } = await desk.checkOrder({ customerId, orderAmount: 1_250_00 });
 *
 * The Firebase SDK is passed in, not imported: this module loads only zod and the contract
 * (no firebase-admin, no firebase-functions; test/unit/client-module.test.ts keeps it so).
 * The contract itself is docs/API.md.
 */
import type { z } from "zod";
import {
  CALLABLES,
  CALLABLE_NAMES,
  type CallableInput,
  type CallableName,
  type CallableOutput,
} from "../schemas/contract.js";

export {
  AUDIENCES,
  CALLABLES,
  CALLABLE_NAMES,
  ERROR_CODES,
  contractJsonSchema,
  isCallableName,
  type Audience,
  type CallableContract,
  type CallableErrorCode,
  type CallableInput,
  type CallableName,
  type CallableOutput,
  type CallableParsedInput,
  type Callables,
} from "../schemas/contract.js";
export * from "../schemas/callables.js";
export * from "../schemas/outputs.js";
export { auditChainIdSchema, verifyAuditTrailInput } from "../schemas/audit.js";
export { ROLES, type Role } from "../domain/roles.js";

/** The Firebase SDK's `httpsCallable` (firebase/functions), or anything shaped like it. */
export type HttpsCallableLike<F> = (
  functions: F,
  name: string,
  options?: { timeout?: number },
) => (data?: unknown) => Promise<{ data: unknown }>;

export type CreditDeskClient = {
  readonly [N in CallableName]: (input: CallableInput<N>) => Promise<CallableOutput<N>>;
} & {
  /** The same, by name. */
  call<N extends CallableName>(name: N, input: CallableInput<N>): Promise<CallableOutput<N>>;
};

export interface CreditDeskClientOptions {
  /** Per-call timeout in milliseconds (the SDK's default is 70 s). */
  timeoutMs?: number;
  /** Parse every result with its output schema and throw when it does not fit (tests, the seed). */
  checkResults?: boolean;
}

/** A result that does not fit the callable's output schema (only with `checkResults`). */
export class ContractViolationError extends Error {
  constructor(
    readonly callable: CallableName,
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    super(
      `${callable}: the result does not fit its output schema: ${issues.map((i) => `${i.path.join(".") || "(result)"}: ${i.message}`).join("; ")}`,
    );
    this.name = "ContractViolationError";
  }
}

/**
 * The typed callables over a Firebase `Functions` instance: `creditDesk(functions, httpsCallable)`.
 * Each call rejects as the SDK does (a FunctionsError with `code` "functions/<code>", docs/API.md).
 */
export function creditDesk<F>(
  functions: F,
  httpsCallable: HttpsCallableLike<F>,
  options: CreditDeskClientOptions = {},
): CreditDeskClient {
  const callableOptions = options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : undefined;
  async function call<N extends CallableName>(name: N, input: CallableInput<N>): Promise<CallableOutput<N>> {
    const { data } = await httpsCallable(functions, name, callableOptions)(input);
    if (options.checkResults) {
      const parsed = CALLABLES[name].output.safeParse(data);
      if (!parsed.success) throw new ContractViolationError(name, parsed.error.issues);
    }
    return data as CallableOutput<N>;
  }
  const client = { call } as Record<string, unknown>;
  for (const name of CALLABLE_NAMES) client[name] = (input: never) => call(name, input);
  return client as CreditDeskClient;
}

/** The error id an `internal` error carries (quote it to support: it finds the logged stack), or null. */
export function internalErrorId(err: unknown): string | null {
  const e = err as { code?: unknown; details?: { errorId?: unknown } } | null;
  if (e?.code !== "functions/internal" && e?.code !== "internal") return null;
  return typeof e.details?.errorId === "string" ? e.details.errorId : null;
}
