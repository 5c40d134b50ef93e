/**
 * setUserRole: the only way roles change. The custom claim `role` is set with the Admin
 * SDK, refresh tokens are revoked so a demoted user loses access at the next token
 * refresh, and the change is audited in the system chain.
 */
import { AuditAppender, chains, headOf } from "../data/audit.js";
import { auth, firestore } from "../data/firebase.js";
import { readRequest, requestRef, writeRequest } from "../data/requests.js";
import { CreditDeskError, notFound } from "../domain/errors.js";
import type { Caller, Role } from "../domain/roles.js";
import { logs } from "../logs.js";

export interface SetUserRoleResult {
  uid: string;
  role: Role | null;
}

export async function setUserRole(
  input: { uid: string; role: Role | null; requestId?: string | undefined },
  caller: Caller,
  now: number,
): Promise<SetUserRoleResult> {
  let user;
  try {
    user = await auth().getUser(input.uid);
  } catch (err) {
    if ((err as { code?: string }).code === "auth/user-not-found") throw notFound("user", input.uid);
    throw err;
  }
  if (input.uid === caller.uid && input.role !== "admin") {
    throw new CreditDeskError("failed-precondition", "An admin cannot remove their own admin role; ask another admin.");
  }
  const previous = (user.customClaims?.role as string | undefined) ?? null;
  const result: SetUserRoleResult = { uid: input.uid, role: input.role };
  const db = firestore();
  const chain = chains.system();
  const reqRef = input.requestId ? requestRef("setUserRole", caller.uid, input.requestId) : null;
  const replay = await db.runTransaction(async (tx) => {
    const [prior, headSnap] = await Promise.all([reqRef ? readRequest(tx, reqRef) : Promise.resolve(undefined), tx.get(chain.headDoc)]);
    if (prior !== undefined) return prior as SetUserRoleResult;
    new AuditAppender(tx, chain, headOf(headSnap.data()), now).append({
      action: "role.set",
      actor: caller,
      target: `users/${input.uid}`,
      before: { role: previous },
      after: { role: input.role },
      reason: null,
      requestId: input.requestId ?? null,
    });
    if (reqRef) writeRequest(tx, reqRef, "setUserRole", caller.uid, result, now);
    return null;
  });
  if (replay) return replay;
  const claims = { ...(user.customClaims ?? {}) };
  if (input.role === null) delete claims.role;
  else claims.role = input.role;
  await auth().setCustomUserClaims(input.uid, claims);
  // Losing or changing a role ends the old privileges at once (the user signs in again); a first role does not.
  if (previous !== null && previous !== input.role) await auth().revokeRefreshTokens(input.uid);
  logs.roleSet(input.uid, input.role);
  return result;
}
