/**
 * What every callable shares: auth and role guard, zod parsing with errors that name
 * the field, error mapping, and the options (App Check; region, memory and the instance ceiling are global: config.ts). A callable file is
 * `export const name = callable("name", run)`: who may call and the input schema come from
 * the contract (schemas/contract.ts, docs/API.md); `run` is a service call.
 */
import { randomUUID } from "node:crypto";
import { HttpsError, onCall, type CallableRequest, type CallableOptions } from "firebase-functions/v2/https";
import { z } from "zod";
import { AUDITED, appCheckSetting } from "../config.js";
import { CreditDeskError } from "../domain/errors.js";
import { acknowledgementProblem, needsAcknowledgement } from "../domain/confidentiality.js";
import { isRole, type Caller } from "../domain/roles.js";
import { loadPolicy } from "../services/policy.js";
import { logs } from "../logs.js";
import {
  CALLABLES,
  type Audience,
  type CallableName,
  type CallableOutput,
  type CallableParsedInput,
} from "../schemas/contract.js";

export type { Audience };

export interface CallContext {
  caller: Caller;
  now: number;
}

export interface CallableSpec<I, O> {
  name: string;
  /** Who may call: roles, and "applicant" for signed-in users without a role. */
  allow: readonly Audience[];
  input: z.ZodType<I>;
  run: (input: I, ctx: CallContext) => Promise<O>;
}

/** Read once per instance (cold start), and logged: App Check fails closed (config.ts). */
const appCheck = appCheckSetting();
logs.appCheckMode(appCheck.enforced, appCheck.reason);

export const callableOptions: CallableOptions = {
  ...AUDITED,
  enforceAppCheck: appCheck.enforced,
  cors: true,
  timeoutSeconds: 60,
};

/** "company.name: Too small: expected string to have >=1 characters" — the field first. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join(".") : "(input)"}: ${i.message}`)
    .join("; ");
}

export function checkAuth(request: Pick<CallableRequest, "auth">): Caller {
  const auth = request.auth;
  if (!auth?.uid) throw new HttpsError("unauthenticated", "Sign in to call this function.");
  const claim = auth.token?.role;
  return { uid: auth.uid, role: isRole(claim) ? claim : null };
}

export function checkAudience(caller: Caller, allow: readonly Audience[]): void {
  const audience: Audience = caller.role ?? "applicant";
  if (!allow.includes(audience))
    throw new HttpsError("permission-denied", `Role ${audience} may not call this function.`);
}

export function checkRequestZod<I>(schema: z.ZodType<I>, data: unknown): I {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new HttpsError("invalid-argument", describeZodError(parsed.error));
  return parsed.data;
}

/**
 * A staff role takes effect only while its holder has acknowledged the confidentiality policy
 * in force (the `ack` claim; domain/confidentiality.ts). The integration service account and
 * applicants need none.
 */
export async function checkAcknowledgement(caller: Caller, claim: unknown, now: number): Promise<void> {
  if (!needsAcknowledgement(caller.role)) return;
  const version = (await loadPolicy(now)).confidentiality.version;
  const problem = acknowledgementProblem(claim, version, now);
  if (problem === null) return;
  const why =
    problem === "missing"
      ? "has not been acknowledged"
      : problem === "outdated"
        ? "acknowledged is not the one in force"
        : "acknowledgement has expired";
  throw new HttpsError(
    "permission-denied",
    `The confidentiality policy ${why}: acknowledge version ${version} (acknowledgeConfidentiality), then refresh your sign-in.`,
    {
      reason: `CONFIDENTIALITY_${problem.toUpperCase()}`,
      version,
    },
  );
}

/**
 * An unexpected error is logged with its stack under a new error id, and the client's
 * `internal` error carries that id (message and details.errorId): a support request that
 * quotes it finds the log entry.
 */
function toHttpsError(name: string, caller: Caller | null, err: unknown): HttpsError {
  if (err instanceof HttpsError) return err;
  if (err instanceof CreditDeskError) return new HttpsError(err.code, err.message, err.details);
  const errorId = randomUUID();
  logs.callableFailed(name, caller?.uid ?? null, errorId, err);
  return new HttpsError("internal", `Internal error ${errorId}; the change was not made.`, { errorId });
}

/** The handler body, separate from onCall so it is testable without the HTTP layer. */
export async function handleCall<I, O>(
  spec: CallableSpec<I, O>,
  request: Pick<CallableRequest, "auth" | "data">,
  now: number = Date.now(),
): Promise<O> {
  let caller: Caller | null = null;
  try {
    caller = checkAuth(request);
    checkAudience(caller, spec.allow);
    if (spec.name !== "acknowledgeConfidentiality") await checkAcknowledgement(caller, request.auth?.token?.ack, now);
    const input = checkRequestZod(spec.input, request.data);
    return await spec.run(input, { caller, now });
  } catch (err) {
    const mapped = toHttpsError(spec.name, caller, err);
    if (mapped.code !== "internal") logs.callableRejected(spec.name, mapped.code, caller?.uid ?? null);
    throw mapped;
  }
}

/** The callable's spec from the contract: its name, who may call, its input schema, and `run`. */
function callableSpec<N extends CallableName>(
  name: N,
  run: (input: CallableParsedInput<N>, ctx: CallContext) => Promise<CallableOutput<N>>,
): CallableSpec<CallableParsedInput<N>, CallableOutput<N>> {
  const contract = CALLABLES[name];
  return { name, allow: contract.allow, input: contract.input as unknown as z.ZodType<CallableParsedInput<N>>, run };
}

/** A callable of the contract: `run` gets the parsed input and must return the contract's output. */
export function callable<N extends CallableName>(
  name: N,
  run: (input: CallableParsedInput<N>, ctx: CallContext) => Promise<CallableOutput<N>>,
) {
  const spec = callableSpec(name, run);
  return onCall(callableOptions, (request: CallableRequest<unknown>) => handleCall(spec, request));
}
