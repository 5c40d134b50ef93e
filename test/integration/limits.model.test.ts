/**
 * Limit control as an invariant across calls and actors: a model-based property test
 * (fast-check commands). Random sequences of limit requests and decisions by random people,
 * the clock moving on (temporary limits expiring), status changes and the monitor's
 * no-increase flag, run against the real services and the in-process Firestore. After every
 * step, from the stored credit file and the audit chain:
 *   1. the approved limit never rises, and a temporary limit is never raised or extended,
 *      without an approval (`limit.approve`) by someone who is not the requester and has the
 *      authority for the resulting limit;
 *   2. the limit in force never exceeds the approved limit or an approved temporary limit
 *      (max of the two), and a temporary limit is always above the approved limit;
 *   3. every change of the limits is audited exactly once with the right kind
 *      (`limit.approve` for increases, `limit.decrease` otherwise), whose after-state is the
 *      stored one; nothing else writes a limit entry;
 *   4. no one decides their own request; increases stay pending while noLimitIncrease holds.
 */
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { getFirestore } from "firebase-admin/firestore";
import { readCustomer } from "../../functions/src/data/customers.js";
import { DEFAULT_POLICY } from "../../functions/src/domain/policy.js";
import { limitInForce, temporaryLimitInForce, type TemporaryLimit } from "../../functions/src/domain/limits.js";
import { withinAuthority, type Caller } from "../../functions/src/domain/roles.js";
import { decideLimitChange, requestLimitChange, setCreditStatus } from "../../functions/src/services/limits.js";
import { clearPolicyCache } from "../../functions/src/services/policy.js";
import { approvedCustomer } from "../support/workflow.js";
import { firestoreServer, users } from "../support/callables.js";
import { updateCreditFile } from "../support/credit-file.js";

const db = () => getFirestore();
const HOUR = 3_600_000;
const P = DEFAULT_POLICY;

const REQUESTERS: Caller[] = [users.sales, users.analyst, users.analyst2, users.manager].map((u) => ({
  uid: u.uid,
  role: u.role as Caller["role"],
}));
const DECIDERS: Caller[] = [users.analyst, users.analyst2, users.manager, users.admin].map((u) => ({
  uid: u.uid,
  role: u.role as Caller["role"],
}));
const STATUS_SETTERS: Caller[] = [users.manager, users.admin].map((u) => ({
  uid: u.uid,
  role: u.role as Caller["role"],
}));

interface Limits {
  creditLimit: number;
  temporaryLimit: TemporaryLimit | null;
}

interface Model {
  customerId: string;
  now: number;
  /** Limit requests made so far (ids, requester), to pick from. */
  requests: Array<{ id: string; requestedBy: string }>;
  /** The last seen limits and audit seq. */
  seen: Limits;
  seq: number;
  noIncrease: boolean;
}

interface Real {
  failures: string[];
}

type Outcome = { ok: true; value: unknown } | { ok: false; code: string; message: string };
async function attempt(f: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await f() };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (!e.code || !["invalid-argument", "failed-precondition", "permission-denied", "not-found"].includes(e.code))
      throw err;
    return { ok: false, code: e.code, message: String(e.message) };
  }
}

async function readLimits(customerId: string): Promise<Limits> {
  const c = (await readCustomer(null, customerId)).file!;
  return { creditLimit: c.creditLimit, temporaryLimit: c.temporaryLimit ?? null };
}

async function entriesAfter(customerId: string, seq: number) {
  const snap = await db()
    .collection(`audit/customer_${customerId}/entries`)
    .where("seq", ">", seq)
    .orderBy("seq")
    .get();
  return snap.docs.map((d) => d.data());
}

const raises = (before: Limits, after: Limits): boolean => {
  if (after.creditLimit > before.creditLimit) return true;
  const a = after.temporaryLimit;
  const b = before.temporaryLimit;
  if (!a) return false;
  return !b || a.limit > b.limit || a.expiresAt > b.expiresAt;
};
const sameLimits = (a: Limits, b: Limits) =>
  a.creditLimit === b.creditLimit &&
  (a.temporaryLimit?.limit ?? null) === (b.temporaryLimit?.limit ?? null) &&
  (a.temporaryLimit?.expiresAt ?? null) === (b.temporaryLimit?.expiresAt ?? null);

/** The invariants, checked after every command against what is stored. */
async function checkInvariants(m: Model, label: string): Promise<void> {
  const now = await readLimits(m.customerId);
  const entries = await entriesAfter(m.customerId, m.seq);
  const limitEntries = entries.filter((e) => e.action === "limit.approve" || e.action === "limit.decrease");
  const changed = !sameLimits(m.seen, now);
  // 3. exactly one limit entry per change, none without a change; its after-state is what is stored.
  expect(limitEntries.length, `${label}: limit entries for a ${changed ? "change" : "non-change"}`).toBe(
    changed ? 1 : 0,
  );
  if (changed) {
    const e = limitEntries[0]!;
    expect(e.after.creditLimit, label).toBe(now.creditLimit);
    expect(e.after.temporaryLimit?.limit ?? null, label).toBe(now.temporaryLimit?.limit ?? null);
    // 1. increases only by an approval within authority, never by the requester.
    if (raises(m.seen, now)) {
      expect(e.action, `${label}: a raise must be an approval`).toBe("limit.approve");
      expect(e.actor.uid, `${label}: four eyes`).not.toBe(e.after.requestedBy);
      const resulting = Math.max(now.creditLimit, now.temporaryLimit?.limit ?? 0);
      expect(
        withinAuthority(e.actor.role, resulting, P.authority),
        `${label}: ${e.actor.role} approving ${resulting}`,
      ).toBe(true);
      expect(m.noIncrease, `${label}: raised while noLimitIncrease`).toBe(false);
    } else {
      expect(e.action, `${label}: a change that raises nothing is a decrease`).toBe("limit.decrease");
    }
  }
  // 2. the limit in force is the approved limit or an approved temporary limit above it.
  if (now.temporaryLimit)
    expect(now.temporaryLimit.limit, `${label}: temporary above approved`).toBeGreaterThan(now.creditLimit);
  const inForce = limitInForce(now, m.now);
  expect([now.creditLimit, temporaryLimitInForce(now, m.now)?.limit].includes(inForce), label).toBe(true);
  m.seen = now;
  m.seq = entries.length ? Math.max(m.seq, ...entries.map((e) => e.seq as number)) : m.seq;
}

/** What a request's new limit is measured from: the approved limit, or the limit in force. */
type Anchor = "approved" | "inForce";

class RequestCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly who: number,
    readonly temporary: boolean,
    readonly anchor: Anchor,
    readonly delta: number,
    readonly hours: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const actor = REQUESTERS[this.who]!;
    const base = this.anchor === "inForce" ? limitInForce(m.seen, m.now) : m.seen.creditLimit;
    const newLimit = Math.max(0, base + this.delta);
    const input = {
      customerId: m.customerId,
      newLimit,
      reason: "model",
      ...(this.temporary ? { expiresAt: m.now + this.hours * HOUR } : {}),
    };
    const out = await attempt(() => requestLimitChange(input, actor, m.now, P));
    if (out.ok) {
      const res = out.value as { limitRequestId: string; status: string };
      if (res.status === "pending") m.requests.push({ id: res.limitRequestId, requestedBy: actor.uid });
      if (res.status === "pending" && m.noIncrease)
        r.failures.push("an increase was requested while noLimitIncrease (should be refused)");
    }
    await checkInvariants(m, this.toString());
  }
  toString = () =>
    `request(${REQUESTERS[this.who]!.uid}, ${this.temporary ? `temporary ${this.hours}h` : "permanent"}, ${this.anchor}${this.delta >= 0 ? "+" : ""}${this.delta})`;
}

class DecideCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly who: number,
    readonly pick: number,
    readonly approve: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.requests.length > 0;
  async run(m: Model, r: Real): Promise<void> {
    const actor = DECIDERS[this.who]!;
    const req = m.requests[this.pick % m.requests.length]!;
    const out = await attempt(() =>
      decideLimitChange(
        { limitRequestId: req.id, decision: this.approve ? "approve" : "reject", note: "model" },
        actor,
        m.now,
        P,
      ),
    );
    if (out.ok && req.requestedBy === actor.uid) r.failures.push(`${actor.uid} decided their own request`);
    await checkInvariants(m, this.toString());
  }
  toString = () => `decide(${DECIDERS[this.who]!.uid}, #${this.pick}, ${this.approve ? "approve" : "reject"})`;
}

class ClockCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly hours: number) {}
  check = () => true;
  async run(m: Model): Promise<void> {
    m.now += this.hours * HOUR;
    await checkInvariants(m, this.toString());
  }
  toString = () => `clock(+${this.hours}h)`;
}

class StatusCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly who: number,
    readonly status: "active" | "on_hold" | "suspended",
  ) {}
  check = () => true;
  async run(m: Model): Promise<void> {
    await setCreditStatus(
      { customerId: m.customerId, status: this.status, reason: "model" },
      STATUS_SETTERS[this.who]!,
      m.now,
      DEFAULT_POLICY,
    );
    await checkInvariants(m, this.toString());
  }
  toString = () => `status(${STATUS_SETTERS[this.who]!.uid}, ${this.status})`;
}

/** The monitor's penalty flag (overdue invoices), as monitoring sets it. */
class PenaltyCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly on: boolean) {}
  check = () => true;
  async run(m: Model): Promise<void> {
    await updateCreditFile(m.customerId, { "flags.noLimitIncrease": this.on });
    m.noIncrease = this.on;
    await checkInvariants(m, this.toString());
  }
  toString = () => `noLimitIncrease(${this.on})`;
}

/** Small steps around the anchors (where classification mistakes live) and large jumps (authority). */
const delta = fc.oneof(
  fc.constantFrom(0, 1, -1, 1_000_00, -1_000_00, 5_000_00, -5_000_00),
  fc.integer({ min: -60_000, max: 600_000 }).map((k) => k * 100),
);
const anchor = fc.constantFrom<Anchor>("approved", "inForce");
const hours = fc.oneof(fc.integer({ min: 1, max: 24 * 60 }), fc.constant(24 * 365 * 170));
const commands = [
  fc
    .tuple(fc.nat(REQUESTERS.length - 1), fc.boolean(), anchor, delta, hours)
    .map(([w, t, a, d, h]) => new RequestCommand(w, t, a, d, h)),
  fc
    .tuple(fc.nat(REQUESTERS.length - 1), fc.boolean(), anchor, delta, hours)
    .map(([w, t, a, d, h]) => new RequestCommand(w, t, a, d, h)),
  fc.tuple(fc.nat(DECIDERS.length - 1), fc.nat(20), fc.boolean()).map(([w, p, a]) => new DecideCommand(w, p, a)),
  fc.tuple(fc.nat(DECIDERS.length - 1), fc.nat(20)).map(([w, p]) => new DecideCommand(w, p, true)),
  fc.integer({ min: 1, max: 24 * 30 }).map((h) => new ClockCommand(h)),
  fc
    .tuple(
      fc.nat(STATUS_SETTERS.length - 1),
      fc.constantFrom("active" as const, "on_hold" as const, "suspended" as const),
    )
    .map(([w, s]) => new StatusCommand(w, s)),
  fc.boolean().map((on) => new PenaltyCommand(on)),
];

beforeEach(async () => {
  await firestoreServer().clear();
  clearPolicyCache();
});

describe("limit control under random sequences of requests, decisions, expiries and status changes by different people", () => {
  it("keeps its invariants", { timeout: 240_000 }, async () => {
    let runs = 0;
    let steps = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }).map((k) => k * 1_000_00),
        fc.commands(commands, { maxCommands: 25 }),
        async (limit, cmds) => {
          await firestoreServer().clear();
          const customerId = await approvedCustomer(limit);
          const seq = (await entriesAfter(customerId, 0)).length;
          const model: Model = {
            customerId,
            now: Date.now(),
            requests: [],
            seen: await readLimits(customerId),
            seq,
            noIncrease: false,
          };
          const real: Real = { failures: [] };
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          expect(real.failures).toEqual([]);
          runs++;
          steps += [...cmds].length;
        },
      ),
      { numRuns: 40, endOnFailure: true },
    );
    console.log(`limit control model: ${runs} runs, ${steps} commands`);
  });
});
