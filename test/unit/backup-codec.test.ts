import { describe, expect, it } from "vitest";
import { GeoPoint, Timestamp } from "firebase-admin/firestore";
import {
  FirestoreDouble,
  decodeDocument,
  encodeDocument,
  openBackupDatabase,
} from "../../functions/src/tools/logicalBackup.js";

const db = openBackupDatabase("demo-credit");

describe("tagged JSON codec", () => {
  it("keeps every Firestore type apart", () => {
    const data = {
      int: 5n,
      bigInt: 9007199254740993n,
      double: 1.25,
      wholeDouble: 2,
      negZero: -0,
      nan: NaN,
      inf: -Infinity,
      ts: new Timestamp(1_700_000_000, 123_456_789),
      geo: new GeoPoint(47.37, 8.54),
      ref: db.doc("customers/c1"),
      bytes: Buffer.from([0, 1, 254, 255]),
      map: { nested: { list: [1n, "x", null, true, { deep: 0.5 }] } },
      dollar: { $ts: "not a timestamp", plain: 1n },
      empty: {},
      emptyList: [],
      nul: null,
      "dotted.key": "v",
    };
    const tagged = encodeDocument(data);
    expect(tagged).toMatchObject({
      int: 5,
      bigInt: { $int: "9007199254740993" },
      double: 1.25,
      wholeDouble: { $double: "2" },
      negZero: { $double: "-0" },
      nan: { $double: "NaN" },
      inf: { $double: "-Infinity" },
      ts: { $ts: [1_700_000_000, 123_456_789] },
      geo: { $geo: [47.37, 8.54] },
      ref: { $ref: "customers/c1" },
      bytes: { $bytes: "AAH+/w==" },
      dollar: { $map: { $ts: "not a timestamp", plain: 1 } },
    });
    const back = decodeDocument(JSON.parse(JSON.stringify(tagged)), db);
    expect(back.int).toBe(5);
    expect(back.bigInt).toBe(9007199254740993n);
    expect(back.wholeDouble).toBeInstanceOf(FirestoreDouble);
    expect((back.wholeDouble as FirestoreDouble).value).toBe(2);
    expect(Object.is(back.negZero, -0)).toBe(true);
    expect(back.nan).toBeNaN();
    expect(back.ts).toEqual(data.ts);
    expect(back.geo).toEqual(data.geo);
    expect((back.ref as { path: string }).path).toBe("customers/c1");
    expect(back.bytes).toEqual(data.bytes);
    expect(back.dollar).toEqual({ $ts: "not a timestamp", plain: 1 });
    // decoded values are the write form (safe integers as JS numbers, which the SDK writes as
    // integers); the full round trip through Firestore is the restore drill's (integration).
  });

  it("rejects unknown or mixed tags", () => {
    expect(() => decodeDocument({ a: { $what: 1 } }, db)).toThrow(/BAD_VALUE/);
    expect(() => decodeDocument({ a: { $ts: [1, 2], x: 1 } }, db)).toThrow(/BAD_VALUE/);
    expect(() => decodeDocument({ a: { $ref: "customers" } }, db)).toThrow(/BAD_VALUE/);
  });

  it("rejects values Firestore does not hold", () => {
    expect(() => encodeDocument({ f: () => 1 })).toThrow(/BAD_VALUE/);
    expect(() => encodeDocument({ d: new (class Custom {})() })).toThrow(/BAD_VALUE/);
  });
});
