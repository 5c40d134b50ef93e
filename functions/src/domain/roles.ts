/** Roles (custom claim `role`) and what each may do; a signed-in user with no role is an applicant. */
export const ROLES = ["sales", "analyst", "manager", "auditor", "admin", "integration"] as const;
export type Role = (typeof ROLES)[number];
export type Caller = { uid: string; role: Role | null };

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** Highest amount (minor units) a role may approve; null = no ceiling; 0 = none. */
export function approvalCeiling(role: Role | null, authority: { analyst: number; manager: number }): number | null {
  switch (role) {
    case "admin":
      return null;
    case "manager":
      return authority.manager;
    case "analyst":
      return authority.analyst;
    default:
      return 0;
  }
}

export function withinAuthority(
  role: Role | null,
  amount: number,
  authority: { analyst: number; manager: number },
): boolean {
  const ceiling = approvalCeiling(role, authority);
  return ceiling === null || amount <= ceiling;
}
