import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ChainVerifier,
  EMPTY_HEAD,
  GENESIS_HASH,
  canonicalJson,
  changedFields,
  entryMac,
  legacyHash,
  nextEntry,
  parseAuditKeyring,
  type AuditContent,
  type AuditEntry,
  type AuditKey,
  type AuditKeyring,
  type ChainHead,
  type ChainVerdict,
  type ChainVerifierOptions,
} from "../../functions/src/domain/audit.js";
import { auditContent } from "../support/arbitraries.js";

const CHAIN = "customer_c1";
const keyText = (id: string) => `${id}:${randomBytes(32).toString("base64")}`;
const [K1_TEXT, K2_TEXT, OTHER_TEXT] = [keyText("k1"), keyText("k2"), keyText("k1")];
/** The department's keyring: k1 signs. */
const RING = parseAuditKeyring(K1_TEXT);
const KEY = RING.signing;
/** Someone else's key under the same id (what a forger without the secret would have). */
const FORGER_KEY = parseAuditKeyring(OTHER_TEXT).signing;

function buildChain(
  contents: AuditContent[],
  chainId = CHAIN,
  start = 1_700_000_000_000,
  key: AuditKey = KEY,
  from: ChainHead = EMPTY_HEAD,
): { entries: AuditEntry[]; head: ChainHead } {
  let head = from;
  const entries = contents.map((c, i) => {
    const e = nextEntry(chainId, head, c, start + i * 1000, key);
    head = { seq: e.seq, hash: e.hash };
    return e;
  });
  return { entries, head };
}

/** Entries as written before the keyring existed: no keyId, plain SHA-256. */
function buildLegacyChain(
  contents: AuditContent[],
  chainId = CHAIN,
  start = 1_600_000_000_000,
): { entries: AuditEntry[]; head: ChainHead } {
  let head = EMPTY_HEAD;
  const entries = contents.map((c, i) => {
    const base = { ...c, chainId, seq: head.seq + 1, at: start + i * 1000, prevHash: head.hash };
    const e = { ...base, hash: legacyHash(base) };
    head = { seq: e.seq, hash: e.hash };
    return e;
  });
  return { entries, head };
}

function verify(
  entries: AuditEntry[],
  head: ChainHead | null,
  chainId = CHAIN,
  ring: AuditKeyring | null = RING,
  opts: ChainVerifierOptions = {},
  subjectMissing = false,
): ChainVerdict {
  const v = new ChainVerifier(chainId, ring, opts);
  for (const e of entries) v.push(e);
  return v.finish(head, { subjectMissing });
}

const content = (over: Partial<AuditContent> = {}): AuditContent => ({
  action: "customer.reassess",
  actor: { uid: "u1", role: "analyst" },
  target: "customers/c1",
  before: { score: 50 },
  after: { score: 60 },
  reason: null,
  requestId: null,
  ...over,
});

/** A random valid chain of 1..25 entries. */
const chainArb = fc.array(auditContent, { minLength: 1, maxLength: 25 }).map((cs) => buildChain(cs));

/** Field alterations that leave a stored entry different from what was hashed. */
const alterations: Array<[string, (e: AuditEntry) => AuditEntry]> = [
  ["action", (e) => ({ ...e, action: `${e.action}!` })],
  ["actor.uid", (e) => ({ ...e, actor: { ...e.actor, uid: `${e.actor.uid}x` } })],
  ["actor.role", (e) => ({ ...e, actor: { ...e.actor, role: e.actor.role === "admin" ? "analyst" : "admin" } })],
  ["target", (e) => ({ ...e, target: `${e.target}/x` })],
  ["before", (e) => ({ ...e, before: { ...(e.before ?? {}), injected: 1 } })],
  ["after", (e) => ({ ...e, after: e.after === null ? {} : null })],
  ["reason", (e) => ({ ...e, reason: e.reason === null ? "r" : null })],
  ["requestId", (e) => ({ ...e, requestId: `${e.requestId ?? ""}x` })],
  ["at", (e) => ({ ...e, at: e.at + 1 })],
  ["prevHash", (e) => ({ ...e, prevHash: e.prevHash === GENESIS_HASH ? "f".repeat(64) : GENESIS_HASH })],
  ["hash", (e) => ({ ...e, hash: e.hash.replace(/^./, (c) => (c === "0" ? "1" : "0")) })],
  ["chainId", (e) => ({ ...e, chainId: `${e.chainId}x` })],
];

describe("canonicalJson", () => {
  it("sorts keys at every depth, drops undefined, keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined, x: 2 }], c: null }, u: undefined })).toBe(
      '{"a":{"c":null,"d":[3,{"x":2,"z":1}]},"b":1}',
    );
  });

  it("times become {$t: millis}, whether Date or Timestamp-like; non-finite numbers become strings", () => {
    expect(canonicalJson({ d: new Date(5), t: { toMillis: () => 7 } })).toBe('{"d":{"$t":5},"t":{"$t":7}}');
    expect(canonicalJson([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0])).toBe(
      '["NaN","Infinity","-Infinity",0]',
    );
    expect(canonicalJson(undefined)).toBe("null");
  });

  it("property: independent of key insertion order, idempotent over its own output", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const once = canonicalJson(v);
        expect(canonicalJson(JSON.parse(once))).toBe(once);
        const reversed = JSON.parse(JSON.stringify(v), (_k, x) =>
          x && typeof x === "object" && !Array.isArray(x)
            ? Object.fromEntries(Object.entries(x as object).reverse())
            : x,
        );
        expect(canonicalJson(reversed)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });
});

describe("changedFields", () => {
  it("keeps only the fields whose values differ, before and after", () => {
    expect(changedFields({ a: 1, b: { x: 1 }, c: 3 }, { a: 1, b: { x: 2 }, d: 4 })).toEqual({
      before: { b: { x: 1 }, c: 3, d: null },
      after: { b: { x: 2 }, c: null, d: 4 },
    });
  });

  it("a creation or a deletion records the whole side", () => {
    expect(changedFields(null, { a: 1 })).toEqual({ before: null, after: { a: 1 } });
    expect(changedFields(undefined, undefined)).toEqual({ before: null, after: null });
    expect(changedFields({ a: 1 }, null)).toEqual({ before: { a: 1 }, after: null });
  });

  it("equal up to key order and time representation is no change", () => {
    expect(
      changedFields({ m: { a: 1, b: 2 }, t: new Date(9) }, { m: { b: 2, a: 1 }, t: { toMillis: () => 9 } }),
    ).toEqual({ before: {}, after: {} });
  });

  it("property: a key is reported exactly when its canonical value differs; reported values are the originals", () => {
    const rec = fc.dictionary(fc.constantFrom("a", "b", "c", "d", "e"), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 });
    fc.assert(
      fc.property(rec, rec, (before, after) => {
        const d = changedFields(before, after);
        for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
          const differs = canonicalJson(before[key]) !== canonicalJson(after[key]);
          expect(key in d.before!).toBe(differs);
          expect(key in d.after!).toBe(differs);
          if (differs) {
            expect(d.before![key]).toEqual(before[key] ?? null);
            expect(d.after![key]).toEqual(after[key] ?? null);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("hash chain", () => {
  it("entries link to the previous hash and number from 1", () => {
    const { entries, head } = buildChain([content(), content({ reason: "x" }), content({ requestId: "r" })]);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    expect(entries[1]!.prevHash).toBe(entries[0]!.hash);
    expect(head).toEqual({ seq: 3, hash: entries[2]!.hash });
    const { hash, ...rest } = entries[1]!;
    expect(entryMac(rest, KEY)).toBe(hash);
    expect(entries.every((e) => e.keyId === "k1")).toBe(true);
  });

  it("the MAC covers every field, the key id included", () => {
    const [e] = buildChain([content()]).entries;
    for (const [field, alter] of alterations.filter(([f]) => f !== "hash")) {
      const { hash: _h, ...rest } = alter(e!);
      expect(entryMac(rest, KEY), field).not.toBe(e!.hash);
    }
    const { hash: _h, ...rest } = e!;
    expect(() => entryMac({ ...rest, keyId: "k2" }, KEY)).toThrow(/names key k2/);
  });

  it("the MAC depends on the key: another secret under the same id gives another hash", () => {
    const [e] = buildChain([content()]).entries;
    const { hash, ...rest } = e!;
    expect(entryMac(rest, FORGER_KEY)).not.toBe(hash);
    expect(legacyHash(rest)).not.toBe(hash);
  });
});

describe("ChainVerifier", () => {
  it("an intact chain verifies against its head; an empty chain against the empty head", () => {
    const { entries, head } = buildChain([content(), content(), content()]);
    expect(verify(entries, head)).toEqual({ ok: true, checked: 3 });
    expect(verify(entries, null)).toEqual({ ok: true, checked: 3 });
    expect(verify([], EMPTY_HEAD)).toEqual({ ok: true, checked: 0 });
  });

  it("names the broken entry for each kind of damage", () => {
    const { entries, head } = buildChain([content(), content(), content(), content()]);
    const [e1, e2, e3, e4] = entries as [AuditEntry, AuditEntry, AuditEntry, AuditEntry];
    expect(verify([e1, { ...e2, reason: "x" }, e3, e4], head).firstBrokenEntry).toEqual({ seq: 2, problem: "altered" });
    expect(verify([e1, e3, e4], head).firstBrokenEntry).toEqual({ seq: 2, problem: "missing" });
    expect(verify([e1, e2, e3], head).firstBrokenEntry).toEqual({ seq: 4, problem: "missing" });
    expect(verify([e1, e2, e2, e3, e4], head).firstBrokenEntry).toEqual({ seq: 2, problem: "out_of_order" });
    expect(verify(entries, { seq: 3, hash: e3.hash }).firstBrokenEntry).toEqual({ seq: 4, problem: "unexpected" });
    expect(verify(entries, { seq: 4, hash: e3.hash }).firstBrokenEntry).toEqual({ seq: 4, problem: "head_mismatch" });
    expect(verify(entries, EMPTY_HEAD).firstBrokenEntry).toEqual({ seq: 1, problem: "unexpected" });
    expect(verify(entries, head, "customer_other").firstBrokenEntry).toEqual({ seq: 1, problem: "altered" });
    // an entry of another chain, re-hashed into this position, still breaks the link
    const foreign = buildChain([content({ reason: "other" }), content()]).entries[1]!;
    expect(verify([e1, foreign, e3, e4], head).firstBrokenEntry).toEqual({ seq: 2, problem: "out_of_order" });
  });

  it("stops at the first break: later damage does not change the verdict", () => {
    const { entries, head } = buildChain([content(), content(), content(), content()]);
    const damaged = entries.map((e) => (e.seq >= 2 ? { ...e, reason: "x" } : e));
    expect(verify(damaged, head)).toEqual({ ok: false, checked: 2, firstBrokenEntry: { seq: 2, problem: "altered" } });
  });

  it("property: a random valid chain verifies", () => {
    fc.assert(
      fc.property(chainArb, ({ entries, head }) => {
        expect(verify(entries, head)).toEqual({ ok: true, checked: entries.length });
      }),
      { numRuns: 200 },
    );
  });

  it("property: any single-field alteration of entry k is detected at k", () => {
    fc.assert(
      fc.property(chainArb, fc.nat(), fc.constantFrom(...alterations), ({ entries, head }, i, [, alter]) => {
        const k = (i % entries.length) + 1;
        const damaged = entries.map((e) => (e.seq === k ? alter(e) : e));
        expect(verify(damaged, head).firstBrokenEntry).toEqual({ seq: k, problem: "altered" });
      }),
      { numRuns: 300 },
    );
  });

  it("property: a forgery of entry k with a recomputed hash is detected at k (or at the head when k is last)", () => {
    fc.assert(
      fc.property(chainArb, fc.nat(), auditContent, ({ entries, head }, i, forgedContent) => {
        const k = (i % entries.length) + 1;
        const original = entries[k - 1]!;
        // An insider with the key: the link to the next entry (or the head) still gives it away.
        const forged = nextEntry(CHAIN, { seq: k - 1, hash: original.prevHash }, forgedContent, original.at, KEY);
        fc.pre(forged.hash !== original.hash);
        const damaged = entries.map((e) => (e.seq === k ? forged : e));
        const expected =
          k === entries.length ? { seq: k, problem: "head_mismatch" } : { seq: k + 1, problem: "out_of_order" };
        expect(verify(damaged, head).firstBrokenEntry).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("property: deleting entry k is detected at k", () => {
    fc.assert(
      fc.property(chainArb, fc.nat(), ({ entries, head }, i) => {
        const k = (i % entries.length) + 1;
        expect(
          verify(
            entries.filter((e) => e.seq !== k),
            head,
          ).firstBrokenEntry,
        ).toEqual({ seq: k, problem: "missing" });
      }),
      { numRuns: 300 },
    );
  });

  it("property: swapping adjacent entries k and k+1 is detected at k", () => {
    fc.assert(
      fc.property(
        chainArb.filter(({ entries }) => entries.length >= 2),
        fc.nat(),
        ({ entries, head }, i) => {
          const k = (i % (entries.length - 1)) + 1;
          const swapped = [...entries];
          [swapped[k - 1], swapped[k]] = [swapped[k]!, swapped[k - 1]!];
          expect(verify(swapped, head).firstBrokenEntry).toEqual({ seq: k, problem: "missing" });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("property: swapping the contents of adjacent entries (seq kept in place) is detected at k", () => {
    fc.assert(
      fc.property(
        chainArb.filter(({ entries }) => entries.length >= 2),
        fc.nat(),
        ({ entries, head }, i) => {
          const k = (i % (entries.length - 1)) + 1;
          const a = entries[k - 1]!;
          const b = entries[k]!;
          const swapped = [...entries];
          swapped[k - 1] = { ...b, seq: a.seq };
          swapped[k] = { ...a, seq: b.seq };
          expect(verify(swapped, head).firstBrokenEntry).toEqual({ seq: k, problem: "altered" });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("property: an entry appended without moving the head is unexpected; a truncated tail is missing", () => {
    fc.assert(
      fc.property(chainArb, auditContent, fc.nat(), ({ entries, head }, extra, cut) => {
        const appended = nextEntry(CHAIN, head, extra, Date.now(), KEY);
        expect(verify([...entries, appended], head).firstBrokenEntry).toEqual({
          seq: head.seq + 1,
          problem: "unexpected",
        });
        const keep = cut % entries.length;
        expect(verify(entries.slice(0, keep), head).firstBrokenEntry).toEqual({ seq: keep + 1, problem: "missing" });
      }),
      { numRuns: 200 },
    );
  });
});

describe("keyed hashes", () => {
  it("property: a forgery of entry k by someone without the key (re-hashed under another secret, or unkeyed) is altered at k", () => {
    fc.assert(
      fc.property(chainArb, fc.nat(), auditContent, fc.boolean(), ({ entries, head }, i, forgedContent, unkeyed) => {
        const k = (i % entries.length) + 1;
        const original = entries[k - 1]!;
        const base = { ...forgedContent, chainId: CHAIN, seq: k, at: original.at, prevHash: original.prevHash };
        const forged: AuditEntry = unkeyed
          ? { ...base, hash: legacyHash(base) }
          : { ...base, keyId: "k1", hash: entryMac({ ...base, keyId: "k1" }, FORGER_KEY) };
        const damaged = entries.map((e) => (e.seq === k ? forged : e));
        // k = 1 unkeyed: an unkeyed first entry passes as a legacy prefix, so its successor's
        // link (to the real entry 1) breaks instead, or, alone, it is an unsealed legacy chain.
        const expected =
          unkeyed && k === 1
            ? entries.length > 1
              ? { seq: 2, problem: "out_of_order" }
              : { seq: 1, problem: "legacy_unsealed" }
            : { seq: k, problem: "altered" };
        expect(verify(damaged, head).firstBrokenEntry).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("rotation: with the new key signing and the old one kept, both kinds of entries verify; without the old one, its entries are unknown_key", () => {
    const old = buildChain([content(), content()]);
    const ring2 = parseAuditKeyring(`${K2_TEXT},${K1_TEXT}`);
    expect(ring2.signing.id).toBe("k2");
    const later = buildChain(
      [content({ reason: "after rotation" })],
      CHAIN,
      1_800_000_000_000,
      ring2.signing,
      old.head,
    );
    const entries = [...old.entries, ...later.entries];
    expect(later.entries[0]!.keyId).toBe("k2");
    expect(verify(entries, later.head, CHAIN, ring2)).toEqual({ ok: true, checked: 3 });
    expect(verify(entries, later.head, CHAIN, parseAuditKeyring(K2_TEXT)).firstBrokenEntry).toEqual({
      seq: 1,
      problem: "unknown_key",
    });
    expect(verify(entries, later.head, CHAIN, null).firstBrokenEntry).toEqual({ seq: 1, problem: "unknown_key" });
  });

  it("parseAuditKeyring: id:base64 pairs, the first signs; refuses short, duplicate, malformed keys without quoting them", () => {
    const ring = parseAuditKeyring(` ${K2_TEXT}\n${K1_TEXT} `);
    expect([ring.signing.id, [...ring.keys.keys()]]).toEqual(["k2", ["k2", "k1"]]);
    expect(() => parseAuditKeyring("")).toThrow(/empty/);
    expect(() => parseAuditKeyring("k1:c2hvcnQ=")).toThrow(/at least 32/);
    expect(() => parseAuditKeyring(`${K1_TEXT},${K1_TEXT}`)).toThrow(/twice/);
    expect(() => parseAuditKeyring("no-colon")).toThrow(/id:base64/);
    expect(() => parseAuditKeyring("bad id:AAAA")).toThrow(/id:base64/);
    const secret = K1_TEXT.slice(3);
    expect(() => parseAuditKeyring(`k!:${secret}`)).toThrow(/^(?!.*AAAA)/);
    try {
      parseAuditKeyring(`k1:${secret}@`);
    } catch (err) {
      expect((err as Error).message).not.toContain(secret);
    }
  });
});

describe("legacy (unkeyed) entries and the migration point", () => {
  const legacy = buildLegacyChain([content(), content({ reason: "r" }), content()]);

  it("an unkeyed prefix followed by a keyed entry (the migration entry) verifies", () => {
    const migrated = buildChain([content({ action: "audit.migrate" })], CHAIN, 1_700_000_000_000, KEY, legacy.head);
    expect(verify([...legacy.entries, ...migrated.entries], migrated.head)).toEqual({ ok: true, checked: 4 });
  });

  it("an unkeyed chain with no keyed entry after it is legacy_unsealed (anyone could have rewritten it)", () => {
    expect(verify(legacy.entries, legacy.head)).toMatchObject({
      ok: false,
      firstBrokenEntry: { seq: 1, problem: "legacy_unsealed" },
    });
  });

  it("an unkeyed entry after a keyed one is altered, even with a correct SHA-256 and link", () => {
    const migrated = buildChain([content({ action: "audit.migrate" })], CHAIN, 1_700_000_000_000, KEY, legacy.head);
    const base = {
      ...content({ reason: "forged" }),
      chainId: CHAIN,
      seq: 5,
      at: 1_700_000_100_000,
      prevHash: migrated.head.hash,
    };
    const forged = { ...base, hash: legacyHash(base) };
    expect(
      verify([...legacy.entries, ...migrated.entries, forged], { seq: 5, hash: forged.hash }).firstBrokenEntry,
    ).toEqual({ seq: 5, problem: "altered" });
  });

  it("a legacy entry rewritten (and the legacy hashes after it recomputed) breaks the link of the keyed entry", () => {
    const migrated = buildChain([content({ action: "audit.migrate" })], CHAIN, 1_700_000_000_000, KEY, legacy.head);
    const rewritten = buildLegacyChain([content(), content({ reason: "rewritten" }), content()]);
    expect(verify([...rewritten.entries, ...migrated.entries], migrated.head).firstBrokenEntry).toEqual({
      seq: 4,
      problem: "out_of_order",
    });
  });
});

describe("the latest seal", () => {
  const { entries, head } = buildChain([content(), content(), content(), content(), content()]);
  const sealed = { seq: 5, hash: head.hash };

  it("an intact chain that reaches its sealed head verifies, with entries after the seal too", () => {
    expect(verify(entries, head, CHAIN, RING, { sealed })).toEqual({ ok: true, checked: 5 });
    const more = buildChain([content()], CHAIN, 1_800_000_000_000, KEY, head);
    expect(verify([...entries, ...more.entries], more.head, CHAIN, RING, { sealed })).toEqual({ ok: true, checked: 6 });
  });

  it("truncated and the head set back: truncated at the first entry cut off", () => {
    const h3 = { seq: 3, hash: entries[2]!.hash };
    expect(verify(entries.slice(0, 3), h3)).toEqual({ ok: true, checked: 3 }); // what main accepted
    expect(verify(entries.slice(0, 3), h3, CHAIN, RING, { sealed })).toEqual({
      ok: false,
      checked: 3,
      firstBrokenEntry: { seq: 4, problem: "truncated" },
    });
  });

  it("every entry deleted and the head nulled: truncated at 1", () => {
    expect(verify([], EMPTY_HEAD)).toEqual({ ok: true, checked: 0 }); // what main accepted
    expect(verify([], EMPTY_HEAD, CHAIN, RING, { sealed }).firstBrokenEntry).toEqual({ seq: 1, problem: "truncated" });
  });

  it("the subject gone: subject_deleted at the last entry, or at the sealed seq when the entries went too", () => {
    expect(verify(entries, null, CHAIN, RING, { sealed }, true).firstBrokenEntry).toEqual({
      seq: 5,
      problem: "subject_deleted",
    });
    expect(verify(entries.slice(0, 2), null, CHAIN, RING, {}, true).firstBrokenEntry).toEqual({
      seq: 2,
      problem: "subject_deleted",
    });
    expect(verify([], null, CHAIN, RING, { sealed }, true).firstBrokenEntry).toEqual({
      seq: 5,
      problem: "subject_deleted",
    });
    expect(verify([], null, CHAIN, RING, {}, true)).toEqual({ ok: true, checked: 0 }); // nothing ever existed
  });

  it("another entry at the sealed seq (a different history) is seal_mismatch", () => {
    const other = buildChain([content(), content(), content(), content(), content({ reason: "other" })]);
    expect(verify(other.entries, other.head, CHAIN, RING, { sealed }).firstBrokenEntry).toEqual({
      seq: 5,
      problem: "seal_mismatch",
    });
  });

  it("resuming from the sealed head checks only what follows, and that the sealed entry is still there", () => {
    const more = buildChain([content(), content()], CHAIN, 1_800_000_000_000, KEY, head);
    const all = [...entries, ...more.entries];
    expect(verify(all.slice(4), more.head, CHAIN, RING, { resumeFrom: sealed, sealed })).toEqual({
      ok: true,
      checked: 3,
    });
    expect(verify([], EMPTY_HEAD, CHAIN, RING, { resumeFrom: sealed, sealed }).firstBrokenEntry).toEqual({
      seq: 5,
      problem: "truncated",
    });
    expect(verify(all.slice(5), more.head, CHAIN, RING, { resumeFrom: sealed, sealed }).firstBrokenEntry).toEqual({
      seq: 5,
      problem: "missing",
    });
    expect(
      verify([{ ...all[4]!, reason: "x" }, ...all.slice(5)], more.head, CHAIN, RING, { resumeFrom: sealed })
        .firstBrokenEntry,
    ).toEqual({ seq: 5, problem: "altered" });
    const other = buildChain([content(), content(), content(), content(), content({ reason: "other" })]);
    expect(verify(other.entries.slice(4), other.head, CHAIN, RING, { resumeFrom: sealed }).firstBrokenEntry).toEqual({
      seq: 5,
      problem: "seal_mismatch",
    });
  });

  it("property: any cut of a sealed chain back to a shorter valid prefix, head set back to match, is truncated at the cut", () => {
    fc.assert(
      fc.property(chainArb, fc.nat(), ({ entries: es, head: h }, cut) => {
        const keep = cut % es.length;
        const prefixHead = keep === 0 ? EMPTY_HEAD : { seq: keep, hash: es[keep - 1]!.hash };
        expect(verify(es.slice(0, keep), prefixHead, CHAIN, RING, { sealed: h }).firstBrokenEntry).toEqual({
          seq: keep + 1,
          problem: "truncated",
        });
      }),
      { numRuns: 200 },
    );
  });
});
