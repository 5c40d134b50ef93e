/**
 * The audit keyring secret: every deployed function binds it (the Functions emulator and
 * Cloud Functions give a function only the secrets it binds), and without it nothing is
 * written, because nothing could be audited.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fns from "../../functions/src/index.js";
import { AUDIT_KEYS } from "../../functions/src/config.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { call, callError, databaseSnapshot, firestoreServer, users } from "../support/callables.js";
import { application } from "../support/fixtures.js";

const saved = process.env.CREDIT_DESK_AUDIT_KEYS;

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});
afterEach(() => {
  process.env.CREDIT_DESK_AUDIT_KEYS = saved;
});

describe("the audit keyring secret", () => {
  it("every exported function binds CREDIT_DESK_AUDIT_KEYS (a new trigger or job without it could not audit)", () => {
    const unbound = Object.entries(fns)
      .filter(
        ([, f]) =>
          !(
            (f as { __endpoint?: { secretEnvironmentVariables?: Array<{ key: string }> } }).__endpoint
              ?.secretEnvironmentVariables ?? []
          ).some((s) => s.key === AUDIT_KEYS.name),
      )
      .map(([name]) => name);
    expect(Object.keys(fns).length).toBeGreaterThan(20);
    expect(unbound).toEqual([]);
  });

  it.each([
    ["unset", undefined],
    ["empty", ""],
    ["too short", "k1:c2hvcnQ="],
  ])("%s: a mutating callable fails internal and writes nothing", async (_name, value) => {
    const { applicationId } = await call<{ applicationId: string }>(
      fns.submitCreditApplication,
      application(),
      users.applicant,
    );
    if (value === undefined) delete process.env.CREDIT_DESK_AUDIT_KEYS;
    else process.env.CREDIT_DESK_AUDIT_KEYS = value;
    const before = databaseSnapshot();
    expect((await callError(fns.reviewCreditApplication, { applicationId }, users.analyst)).code).toBe("internal");
    expect(
      (
        await callError(
          fns.submitCreditApplication,
          application({ company: { ...application().company, registrationNo: "REG-999" } }),
          users.applicant2,
        )
      ).code,
    ).toBe("internal");
    expect(databaseSnapshot()).toBe(before);
    process.env.CREDIT_DESK_AUDIT_KEYS = saved;
    await call(fns.reviewCreditApplication, { applicationId }, users.analyst);
    expect(databaseSnapshot()).not.toBe(before);
  });
});
