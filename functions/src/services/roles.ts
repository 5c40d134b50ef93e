/**
 * setUserRole: the only way roles change. The custom claim `role` is set with the Admin
 * SDK, refresh tokens are revoked so a demoted user loses access at the next token
 * refresh, and the change is audited in the system chain.
 *
 * The claim lives in Firebase Auth, outside any Firestore transaction, so the change runs in
 * three steps and never answers with a role the user does not have:
 *   1. one transaction audits the request (`role.set_requested`, with the role before) and, with
 *      a `requestId`, records the intent as pending;
 *   2. the claim is set (idempotent) and refresh tokens are revoked when a role is lost or changed;
 *   3. one transaction audits the confirmed change (`role.set`) and records the result.
 * A failure in step 2 or 3 leaves the request pending: a retry with the same `requestId` applies
 * the claim again and confirms it, with the role-before of the first attempt.
 */
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { auth, firestore } from "../data/firebase.js";
import { idempotencyKey, recordPending, recordResult, requestState } from "../data/requests.js";
import { CreditDeskError, notFound, precondition } from "../domain/errors.js";
import { isRole, type Caller, type Role } from "../domain/roles.js";
import { logs } from "../logs.js";

export interface SetUserRoleResult {
  uid: string;
  role: Role | null;
}

/** What this service needs of Firebase Auth (a port, so failures can be tested). */
export interface UserDirectory {
  /** The user's custom claims; throws not-found for an unknown uid. */
  claimsOf(uid: string): Promise<Record<string, unknown>>;
  setClaims(uid: string, claims: Record<string, unknown>): Promise<void>;
  revokeRefreshTokens(uid: string): Promise<void>;
}

export const firebaseUserDirectory: UserDirectory = {
  async claimsOf(uid) {
    try {
      return (await auth().getUser(uid)).customClaims ?? {};
    } catch (err) {
      if ((err as { code?: string }).code === "auth/user-not-found") throw notFound("user", uid);
      throw err;
    }
  },
  setClaims: (uid, claims) => auth().setCustomUserClaims(uid, claims),
  revokeRefreshTokens: (uid) => auth().revokeRefreshTokens(uid),
};

interface RoleIntent {
  previous: Role | null;
}

const roleOf = (claims: Record<string, unknown>): Role | null => (isRole(claims.role) ? claims.role : null);

export async function setUserRole(
  input: { uid: string; role: Role | null; requestId?: string | undefined },
  caller: Caller,
  now: number,
  directory: UserDirectory = firebaseUserDirectory,
): Promise<SetUserRoleResult> {
  if (input.uid === caller.uid && input.role !== "admin") {
    throw precondition("An admin cannot remove their own admin role; ask another admin.");
  }
  const claims = await directory.claimsOf(input.uid);
  const current = roleOf(claims);
  const result: SetUserRoleResult = { uid: input.uid, role: input.role };
  const key = idempotencyKey("setUserRole", caller.uid, input);
  const db = firestore();
  const chain = chains.system();
  const audit = (action: string, previous: Role | null) => ({
    action,
    actor: caller,
    target: `users/${input.uid}`,
    before: { role: previous },
    after: { role: input.role },
    reason: null,
    requestId: input.requestId ?? null,
  });

  // 1. The request on record (or, for a retried key, where the first attempt got to).
  const step1 = await db.runTransaction(async (tx) => {
    const [state, headSnap] = await Promise.all([
      key ? requestState<SetUserRoleResult, RoleIntent>(tx, key) : Promise.resolve({ state: "new" as const }),
      tx.get(chain.headDoc),
    ]);
    if (state.state !== "new") return state;
    const intent: RoleIntent = { previous: current };
    new AuditAppender(tx, chain, headOf(headSnap.data()), now).append(audit("role.set_requested", current));
    if (key) recordPending(tx, key, intent, now);
    return { state: "pending" as const, intent };
  });
  if (step1.state === "done") {
    // A retry of a finished request: the first answer, as long as it is still true.
    if (current !== step1.result.role) {
      throw new CreditDeskError(
        "failed-precondition",
        `the user's role was changed by another request since (now ${current ?? "none"})`,
      );
    }
    return step1.result;
  }

  // 2. The effect, idempotent: set the claim, end the old privileges when a role is lost or changed.
  const next = { ...claims };
  if (input.role === null) delete next.role;
  else next.role = input.role;
  if (current !== input.role) await directory.setClaims(input.uid, next);
  const previous = step1.intent.previous;
  if (previous !== null && previous !== input.role) await directory.revokeRefreshTokens(input.uid);

  // 3. Confirmed: audited, and the key's answer recorded.
  await db.runTransaction(async (tx) => {
    const [state, headSnap] = await Promise.all([
      key ? requestState<SetUserRoleResult, RoleIntent>(tx, key) : Promise.resolve({ state: "new" as const }),
      tx.get(chain.headDoc),
    ]);
    if (state.state === "done") return; // a concurrent retry confirmed it first
    new AuditAppender(tx, chain, headOf(headSnap.data()), now).append(audit("role.set", previous));
    recordResult(tx, key, result, now);
  });
  logs.roleSet(input.uid, input.role);
  return result;
}
