/**
 * Contact persons change through updateContacts only: validated like an application's
 * contacts, audited with before and after, entered in the identity index. The direct client
 * write the first wave allowed is gone (rules and access matrix); its hostile values are
 * refused by the callable, naming the field, with nothing written.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore } from "firebase-admin/firestore";
import * as fns from "../../functions/src/index.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { approvedCustomer } from "../support/workflow.js";
import { call, callError, databaseSnapshot, firestoreServer, users } from "../support/callables.js";

const db = () => getFirestore();
const ANN = { name: "Ann Lee", email: "ann@acme.example", phone: "+1 555 0101" };

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("updateContacts", () => {
  it("the owning sales rep replaces the contacts; audited with before and after; others are refused", async () => {
    const id = await approvedCustomer();
    const r = await call(fns.updateContacts, { customerId: id, contacts: [ANN], requestId: "c1" }, users.sales);
    expect(r).toEqual({ contacts: [ANN], identityCollisions: 0 });
    const stored = (await db().doc(`customers/${id}/private/contacts`).get()).data()!;
    expect(stored).toMatchObject({ contacts: [ANN], updatedBy: users.sales.uid });
    const entries = (
      await db().collection(`audit/customer_${id}/entries`).where("action", "==", "customer.contacts_update").get()
    ).docs.map((d) => d.data());
    expect(entries).toHaveLength(1);
    expect(entries[0]!.before.contacts[0].email).toBe("pat@acme.example");
    expect(entries[0]!.after.contacts).toEqual([ANN]);
    for (const who of [users.sales2, users.auditor, users.integration, users.admin]) {
      expect((await callError(fns.updateContacts, { customerId: id, contacts: [ANN] }, who)).code).toBe(
        "permission-denied",
      );
    }
    expect(
      (
        await call(
          fns.updateContacts,
          { customerId: id, contacts: [ANN, { ...ANN, email: "b@acme.example" }] },
          users.analyst,
        )
      ).contacts,
    ).toHaveLength(2);
  });

  it("a contact another customer's application uses is found in the identity index", async () => {
    const id = await approvedCustomer(40_000_00, { registrationNo: "REG-ONE" });
    await approvedCustomer(40_000_00, { registrationNo: "REG-TWO" }); // its application used pat@acme.example too
    const r = await call(
      fns.updateContacts,
      { customerId: id, contacts: [{ name: "Pat", email: "pat@acme.example", phone: "+1 555 0199" }] },
      users.analyst,
    );
    expect(r.identityCollisions).toBeGreaterThanOrEqual(1);
  });

  describe("regression: what the direct write let a sales rep store (first-wave review) is refused, naming the field", () => {
    it.each([
      ["a blank name", [{ ...ANN, name: " " }], "contacts.0.name"],
      ["control characters in a name", [{ ...ANN, name: "Ann\u0000\u001b[2J" }], "contacts.0.name"],
      ["markup as an e-mail", [{ ...ANN, email: '"><svg/onload=alert(1)>@evil.example' }], "contacts.0.email"],
      ["header injection in an e-mail", [{ ...ANN, email: "a@b.c\r\nBcc: all@evil.example" }], "contacts.0.email"],
      ["a script URL as a phone", [{ ...ANN, phone: "javascript:alert(1)//" }], "contacts.0.phone"],
      ["no contacts at all", [], "contacts"],
    ])("%s", async (_what, contacts, field) => {
      const id = await approvedCustomer();
      const before = databaseSnapshot();
      const err = await callError(fns.updateContacts, { customerId: id, contacts }, users.sales);
      expect(err.code).toBe("invalid-argument");
      expect(err.message.startsWith(field)).toBe(true);
      expect(databaseSnapshot()).toBe(before);
    });
  });
});
