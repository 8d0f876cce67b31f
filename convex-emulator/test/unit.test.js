import { test } from "node:test";
import assert from "node:assert/strict";
import { compareValues as convexCompare, convexToJson } from "convex/values";
import { newId, decodeIdTableNumber, base32Encode, base32Decode } from "../src/ids.js";
import { encodeKeyValue, valueSize } from "../src/values.js";
import { getConvexSize } from "convex/values";
import { SortedMap } from "../src/sorted.js";

test("ids: encode/decode round trip, checksum, canonical form", () => {
  for (const n of [1, 127, 128, 10001, 10006, 65535, 1 << 20]) {
    const id = newId(n);
    assert.equal(decodeIdTableNumber(id), n);
    assert.match(id, /^[0-9abcdefghjkmnpqrstvwxyz]+$/);
  }
  const id = newId(10001);
  assert.equal(id.length, 32);
  for (let i = 0; i < id.length; i++) {
    const c = id[i] === "a" ? "b" : "a";
    assert.equal(decodeIdTableNumber(id.slice(0, i) + c + id.slice(i + 1)), -1, `corrupted at ${i}`);
  }
  assert.equal(decodeIdTableNumber(""), -1);
  assert.equal(decodeIdTableNumber("hello"), -1);
  const bytes = Uint8Array.from([0, 1, 2, 3, 250, 251, 252]);
  assert.deepEqual([...base32Decode(base32Encode(bytes, bytes.length))], [...bytes]);
});

test("key encoding sorts like Convex's compareValues", () => {
  const values = [
    undefined, null, -5n, 0n, 7n, 2n ** 62n, -(2n ** 63n), -Infinity, -1e300, -1.5, -0, 0, 1e-300, 1, 2.5, 1e300, Infinity, NaN,
    false, true, "", "a", "a\u0000", "a\u0001", "ab", "b", "é", "\uffff", "😀", "\ue000",
    new Uint8Array([]).buffer, new Uint8Array([0]).buffer, new Uint8Array([1, 2]).buffer, new Uint8Array([255]).buffer,
    [], [1], [1, 2], [2], ["a"], [[]], {}, { a: 1 }, { a: 2 }, { b: 0 }, { a: 1, b: 1 },
  ];
  const enc = (v) => encodeKeyValue(v === undefined ? undefined : convexToJson(v));
  for (const a of values) {
    for (const b of values) {
      const expected = Math.sign(convexCompare(a, b));
      const ka = enc(a);
      const kb = enc(b);
      const got = ka < kb ? -1 : ka > kb ? 1 : 0;
      assert.equal(got, expected, `${String(a)} vs ${String(b)}`);
    }
  }
});

test("value sizes match the convex package", () => {
  for (const v of [null, 1, true, "héllo", 5n, [1, "x"], { a: { b: [1, 2, 3] } }, new Uint8Array([1, 2, 3, 4]).buffer]) {
    assert.equal(valueSize(convexToJson(v)), getConvexSize(v));
  }
});

test("SortedMap keeps order under random inserts and deletes", () => {
  const m = new SortedMap();
  const ref = new Map();
  for (let i = 0; i < 20000; i++) {
    const k = String(Math.floor(Math.random() * 5000)).padStart(5, "0");
    if (Math.random() < 0.3) {
      m.delete(k);
      ref.delete(k);
    } else {
      m.set(k, i);
      ref.set(k, i);
    }
  }
  assert.equal(m.size, ref.size);
  assert.deepEqual([...m.range("", "\uffff")].map((e) => e[0]), [...ref.keys()].sort());
  for (const [k, v] of ref) assert.equal(m.get(k), v);
});
