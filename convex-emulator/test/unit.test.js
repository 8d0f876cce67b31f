import { test } from "node:test";
import assert from "node:assert/strict";
import { compareValues as convexCompare, convexToJson } from "convex/values";
import { newId, decodeIdTableNumber, base32Encode, base32Decode } from "../src/ids.js";
import { encodeKeyValue, valueSize } from "../src/values.js";
import { getConvexSize } from "convex/values";
import { SortedMap } from "../src/sorted.js";
import { fastGetArgs } from "../src/runtime.js";
import { Database } from "../src/db.js";

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

test("the fast 1.0/get argument parser agrees with JSON.parse or declines", () => {
  const strs = ["users", "", 'a"b', "x\\y", "\u00e9", "\ud800", "\n", "j57abc", ',"table":"x', "}"];
  let accepted = 0;
  const check = (obj) => {
    const text = JSON.stringify(obj);
    const r = fastGetArgs(text);
    if (r === null) return;
    accepted++;
    if (r.table === undefined) delete r.table;
    assert.deepEqual(r, JSON.parse(text), text);
  };
  for (const a of strs) {
    for (const b of strs) {
      for (const isSystem of [true, false]) {
        check({ id: a, isSystem, version: b });
        check({ id: a, isSystem, version: "1.48.0", table: b });
        check({ id: a, isSystem, version: "1.48.0", table: b, x: 1 });
        check({ id: 3, isSystem, version: "1" });
        check({ isSystem, id: a, version: b });
      }
    }
  }
  assert.ok(accepted >= 50, `only ${accepted} accepted`);
  for (const text of ['{"id":"a","isSystem":false,"version":"1"}x', '{"id":"a","isSystem":false,"version":"1"', '{"id":"a","isSystem":0,"version":"1"}']) {
    assert.equal(fastGetArgs(text), null, text);
  }
});

test("commit records and change log carry exactly the stored documents (savepoints, key order)", () => {
  const db = new Database({ schema: null });
  const records = [];
  db.persist = (r) => records.push(r);
  const check = () => {
    const rec = JSON.parse(records[records.length - 1]);
    for (const [num, id, doc] of rec.w) {
      assert.equal(JSON.stringify(doc), JSON.stringify(db.tablesByNumber.get(num).docs.get(id) ?? null));
    }
    const entry = db.log[db.log.length - 1];
    assert.deepEqual(
      entry.changes.map((c) => [c.id, c.doc]),
      rec.w.map(([num, id]) => [id, db.tablesByNumber.get(num).docs.get(id) ?? null]),
    );
  };
  let tx = db.begin("mutation");
  const ids = [];
  for (const v of [{ b: 1, a: 2 }, { a: 1, b: 2 }, {}, { Z: 1, a: 2 }, { a: "\u00e9\ud800" }]) ids.push(db.insert(tx, "t", v));
  db.commit(tx);
  check();
  let seed = 7;
  const rnd = (n) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  for (let trial = 0; trial < 100; trial++) {
    tx = db.begin("mutation");
    let depth = 0;
    for (let step = 0; step < 20; step++) {
      const id = ids[rnd(ids.length)];
      const v = rnd(2) ? { a: step, b: trial } : { b: step, a: trial };
      try {
        switch (rnd(7)) {
          case 0: db.savepoint(tx); depth++; break;
          case 1: if (depth) { db.releaseSavepoint(tx); depth--; } break;
          case 2: if (depth) { db.rollbackSavepoint(tx); depth--; } break;
          case 3: ids.push(db.insert(tx, "t", v)); break;
          case 4: db.patch(tx, "t", id, { c: step }); break;
          case 5: db.replace(tx, "t", id, v); break;
          default: db.remove(tx, "t", id);
        }
      } catch {
        // a removed document
      }
    }
    while (depth-- > 0) db.releaseSavepoint(tx);
    if (db.commit(tx) > 0) check();
  }
  assert.ok(records.length > 50);
});

test("withSyscallFastPath patches a CLI bundle's copy of syscall.js, and nothing else", async () => {
  const { withSyscallFastPath } = await import("../src/loader.js");
  const src = `function N(e,t){let r=Convex.syscall(e,JSON.stringify(t));return JSON.parse(r)}
async function u(e,t){let r;try{r=await Convex.asyncSyscall(e,JSON.stringify(t));}catch(o){throw new Error(o.message)}return JSON.parse(r)}
export {N, u};`;
  const out = withSyscallFastPath(src);
  assert.match(out, /if \(Convex\.jsonSyscall !== void 0\) return Convex\.jsonSyscall\(e, t\);/);
  assert.match(out, /if \(Convex\.jsonAsyncSyscall !== void 0\) return await Convex\.jsonAsyncSyscall\(e, t\);/);
  new Function(out.replace("export {N, u};", "")); // still parses
  assert.equal(withSyscallFastPath("const x = 1;"), "const x = 1;");
  assert.equal(withSyscallFastPath(src + src), src + src); // ambiguous: left alone
});
