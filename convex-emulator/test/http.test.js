import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEmulator, post, mutation, query, ADMIN, int64, pos } from "./helpers.js";
import { decodeIdTableNumber } from "../src/ids.js";

let em;
let url;
before(async () => {
  em = await startEmulator();
  url = em.url;
});
after(async () => {
  await em.close();
});

test("GET /version and /_emulator/health", async () => {
  const v = await fetch(url + "/version");
  assert.equal(v.status, 200);
  const h = await fetch(url + "/_emulator/health");
  assert.equal(h.status, 200);
  const body = await h.json();
  assert.equal(body.status, "ok");
  assert.ok(body.functions > 10);
});

test("a request offering another protocol (Java's HttpClient offers h2c) is answered as plain HTTP/1.1", async () => {
  const http = await import("node:http");
  const status = await new Promise((resolve, reject) => {
    const req = http.get(
      url + "/version",
      { headers: { Connection: "Upgrade, HTTP2-Settings", Upgrade: "h2c", "HTTP2-Settings": "AAMAAABkAARAAAAAAAIAAAAA" } },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on("upgrade", () => reject(new Error("the server upgraded")));
    req.on("error", reject);
  });
  assert.equal(status, 200);
  // With a body too (Java offers h2c on its first POST as well): the body reaches the function.
  const body = JSON.stringify({ path: "messages:send", args: { author: "h2c", body: "hi", n: 2 }, format: "json" });
  const answer = await new Promise((resolve, reject) => {
    const req = http.request(
      url + "/api/mutation",
      {
        method: "POST",
        headers: {
          Connection: "Upgrade, HTTP2-Settings",
          Upgrade: "h2c",
          "HTTP2-Settings": "AAMAAABkAARAAAAAAAIAAAAA",
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(body),
          Authorization: `Convex ${ADMIN}`,
        },
      },
      (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on("upgrade", () => reject(new Error("the server upgraded")));
    req.on("error", reject);
    req.end(body);
  });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(JSON.parse(answer.text).status, "success", answer.text);
});

test("unknown route is 404, bad JSON body is 400 BadJsonBody", async () => {
  const r = await post(url, "/api/nope", {});
  assert.equal(r.status, 404);
  const bad = await post(url, "/api/mutation", "{not json");
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, "BadJsonBody");
  const noPath = await post(url, "/api/query", { args: {} });
  assert.equal(noPath.status, 400);
});

test("mutation and query over HTTP; args as object or one-element array", async () => {
  const r = await mutation(url, "messages:send", { author: "ann", body: "hi", n: 1 });
  assert.equal(r.status, 200);
  assert.equal(r.body.status, "success");
  assert.equal(typeof r.body.value, "string");
  assert.deepEqual(r.body.logLines, []);
  const r2 = await post(url, "/api/mutation", { path: "messages:send", args: [{ author: "ann", body: "again", n: 2 }] });
  assert.equal(r2.body.status, "success");
  const q = await query(url, "messages:byAuthor", { author: "ann" });
  assert.deepEqual(q.body.value, [1, 2]);
  // A path with a module extension and the default export naming are normalised.
  const q2 = await post(url, "/api/query", { path: "messages.js:byAuthor", args: { author: "ann" } });
  assert.deepEqual(q2.body.value, [1, 2]);
});

test("function not found is 404; calling a mutation as a query is a function error", async () => {
  const r = await query(url, "messages:doesNotExist", {});
  assert.equal(r.status, 404);
  assert.equal(r.body.code, "FunctionNotFound");
  const wrong = await query(url, "messages:send", { author: "a", body: "b", n: 1 });
  assert.equal(wrong.status, 200);
  assert.equal(wrong.body.status, "error");
  assert.match(wrong.body.errorMessage, /defined as Mutation/);
});

test("auth: internal functions need the admin key; wrong key is 401", async () => {
  const noKey = await query(url, "messages:secret", {});
  assert.equal(noKey.status, 404);
  const ok = await query(url, "messages:secret", {}, { key: ADMIN });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.value, "internal-ok");
  const wrong = await query(url, "messages:secret", {}, { key: "wrong" });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.code, "BadAdminKey");
  const wrongOnPublic = await query(url, "messages:count", {}, { key: "wrong" });
  assert.equal(wrongOnPublic.status, 401);
  // /api/function requires the admin key and runs any kind of function.
  const fnNoKey = await post(url, "/api/function", { path: "messages:secret", args: {} });
  assert.equal(fnNoKey.status, 401);
  const fn = await post(url, "/api/function", { path: "messages:internalInsert", args: { author: "adm" }, format: "json" }, { key: ADMIN });
  assert.equal(fn.body.status, "success");
  const fnQ = await post(url, "/api/function", { path: "messages:secret", args: {} }, { key: ADMIN });
  assert.equal(fnQ.body.value, "internal-ok");
});

test("/api/run/{path} runs public functions", async () => {
  const r = await post(url, "/api/run/messages/count", { args: {}, format: "json" });
  assert.equal(r.status, 200);
  assert.equal(typeof r.body.value, "number");
  const internal = await post(url, "/api/run/cdc/ingest/getCheckpoint", { args: { source: "x" } });
  assert.equal(internal.status, 404);
  const internalOk = await post(url, "/api/run/cdc/ingest/getCheckpoint", { args: { source: "x" } }, { key: ADMIN });
  assert.equal(internalOk.body.value, null);
});

test("Convex-encoded JSON round trip and json output format", async () => {
  const value = {
    big: int64(-12345678901234n),
    bytes: { $bytes: Buffer.from([0, 1, 2, 255]).toString("base64") },
    nan: { $float: Buffer.from(new Float64Array([NaN]).buffer).toString("base64") },
    negZero: { $float: Buffer.from(new Float64Array([-0]).buffer).toString("base64") },
    inf: { $float: Buffer.from(new Float64Array([Infinity]).buffer).toString("base64") },
    nested: [{ a: 1.5, b: "x", c: null, d: true }],
  };
  const enc = await post(url, "/api/query", { path: "messages:echo", args: { value }, format: "convex_encoded_json" });
  assert.equal(enc.body.status, "success");
  assert.deepEqual(enc.body.value, value);
  const json = await post(url, "/api/query", { path: "messages:echo", args: { value }, format: "json" });
  assert.equal(json.body.value.big, "-12345678901234");
  assert.equal(json.body.value.bytes, Buffer.from([0, 1, 2, 255]).toString("base64"));
  assert.equal(json.body.value.nan, "NaN");
  assert.equal(json.body.value.inf, "Infinity");
  assert.deepEqual(json.body.value.nested, value.nested);
  // Stored and read back through the database too.
  const id = (await mutation(url, "messages:send", { author: "enc", body: "b", n: 3, big: int64(42n), data: value.bytes })).body.value;
  const doc = (await query(url, "messages:get", { id })).body.value;
  assert.deepEqual(doc.big, int64(42n));
  assert.deepEqual(doc.data, value.bytes);
  assert.equal(typeof doc._creationTime, "number");
  assert.equal(doc._id, id);
  const bad = await post(url, "/api/query", { path: "messages:echo", args: { value: { $weird: 1 } } });
  assert.equal(bad.body.status, "error");
  assert.match(bad.body.errorMessage, /reserved/);
});

test("ids: real Convex format, normalizeId accepts exactly ids of its table", async () => {
  const id = (await mutation(url, "messages:send", { author: "ids", body: "b", n: 1 })).body.value;
  assert.match(id, /^[0-9abcdefghjkmnpqrstvwxyz]{31,37}$/);
  assert.equal(id.length, 32);
  const msgTable = em.db.tables.get("messages");
  assert.equal(decodeIdTableNumber(id), msgTable.number);
  assert.equal((await query(url, "messages:normalize", { table: "messages", id })).body.value, id);
  assert.equal((await query(url, "messages:normalize", { table: "users", id })).body.value, null);
  assert.equal((await query(url, "messages:normalize", { table: "messages", id: "not-an-id" })).body.value, null);
  const flipped = id.slice(0, -1) + (id.endsWith("0") ? "1" : "0");
  assert.equal((await query(url, "messages:normalize", { table: "messages", id: flipped })).body.value, null);
  // v.id("messages") argument validation checks the table.
  const userId = (await post(url, "/api/mutation", { path: "cdc/ingest:applyBatch", args: { ops: [{ table: "users", key: "[1]", op: "upsert", position: pos(1), doc: { a: 1 } }] } }, { key: ADMIN })).body.value.results[0].id;
  const wrongTable = await query(url, "messages:get", { id: userId });
  assert.equal(wrongTable.body.status, "error");
  assert.match(wrongTable.body.errorMessage, /ArgumentValidationError/);
  // db.get of a well-formed id of a missing document is null; of garbage, an error.
  await mutation(url, "messages:remove", { id });
  assert.equal((await query(url, "messages:get", { id })).body.value, null);
  const garbage = await query(url, "messages:getLoose", { id: "zzz" });
  assert.equal(garbage.body.status, "error");
});

test("argument validation errors are function errors (HTTP 200)", async () => {
  const missing = await mutation(url, "messages:send", { author: "a", body: "b" });
  assert.equal(missing.status, 200);
  assert.equal(missing.body.status, "error");
  assert.match(missing.body.errorMessage, /^ArgumentValidationError: Object is missing the required field `n`/);
  const extra = await mutation(url, "messages:send", { author: "a", body: "b", n: 1, zzz: 1 });
  assert.match(extra.body.errorMessage, /extra field `zzz`/);
  const type = await mutation(url, "messages:send", { author: "a", body: "b", n: "1" });
  assert.match(type.body.errorMessage, /Path: \.n/);
  const notObject = await post(url, "/api/mutation", { path: "messages:send", args: [1] });
  assert.equal(notObject.body.status, "error");
});

test("schema validation rejects bad documents; nothing is committed", async () => {
  const before = (await query(url, "messages:count", {})).body.value;
  const r = await mutation(url, "messages:badSchemaWrite", {});
  assert.equal(r.status, 200);
  assert.equal(r.body.status, "error");
  assert.match(r.body.errorMessage, /does not match the schema/);
  const raw = await mutation(url, "messages:insertRaw", { doc: { author: "a", body: "b", n: 1, extra: 1 } });
  assert.match(raw.body.errorMessage, /extra field `extra`/);
  const underscore = await mutation(url, "messages:insertRaw", { doc: { author: "a", body: "b", n: 1, _hidden: 1 } });
  assert.equal(underscore.body.status, "error");
  assert.equal((await query(url, "messages:count", {})).body.value, before);
});

test("thrown errors and ConvexError; atomicity on throw", async () => {
  const before = (await query(url, "messages:byAuthor", { author: "doomed" })).body.value;
  const r = await mutation(url, "messages:insertThenThrow", { author: "doomed" });
  assert.equal(r.status, 200);
  assert.equal(r.body.status, "error");
  assert.match(r.body.errorMessage, /Uncaught Error: boom after insert/);
  assert.equal(r.body.errorData, undefined);
  assert.deepEqual((await query(url, "messages:byAuthor", { author: "doomed" })).body.value, before);
  const ce = await mutation(url, "messages:convexError", {});
  assert.equal(ce.body.status, "error");
  assert.deepEqual(ce.body.errorData, { code: "E_TEST", n: int64(42n) });
  const ceJson = await post(url, "/api/mutation", { path: "messages:convexError", args: {}, format: "json" });
  assert.deepEqual(ceJson.body.errorData, { code: "E_TEST", n: "42" });
});

test("console output becomes log lines", async () => {
  const r = await mutation(url, "messages:logSomething", {});
  assert.deepEqual(r.body.logLines, ["[LOG] hello 1 { a: 2 }", "[WARN] careful"]);
});

test("returns validator is enforced", async () => {
  const r = await query(url, "messages:withReturns", {});
  assert.equal(r.body.status, "error");
  assert.match(r.body.errorMessage, /ReturnsValidationError/);
});

test("index range queries, order, filter, first, unique", async () => {
  const r = await mutation(url, "messages:sendMany", { author: "rng", count: 10 });
  assert.equal(r.body.value, 10);
  assert.deepEqual((await query(url, "messages:byAuthor", { author: "rng" })).body.value, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual((await query(url, "messages:byAuthor", { author: "rng", min: 3, max: 6 })).body.value, [3, 4, 5]);
  assert.deepEqual((await query(url, "messages:byAuthor", { author: "rng", min: 7, desc: true })).body.value, [9, 8, 7]);
  assert.deepEqual((await query(url, "messages:byAuthor", { author: "rng", max: 2, desc: true })).body.value, [1, 0]);
  assert.deepEqual((await query(url, "messages:byAuthor", { author: "nobody" })).body.value, []);
  assert.deepEqual((await query(url, "messages:takeFiltered", { author: "rng", limit: 3 })).body.value, [2, 3, 4]);
  assert.equal((await query(url, "messages:firstByN", { gt: 8.5 })).body.value, 9);
  const u = await query(url, "messages:uniqueAuthor", { author: "rng" });
  assert.equal(u.body.status, "error");
  assert.match(u.body.errorMessage, /unique\(\) query returned more than one result/);
  await mutation(url, "messages:send", { author: "solo", body: "only", n: 1 });
  assert.equal((await query(url, "messages:uniqueAuthor", { author: "solo" })).body.value, "only");
});

test("pagination with cursors, both orders", async () => {
  await mutation(url, "messages:sendMany", { author: "pg", count: 25, start: 1000 });
  const all = [];
  const ids = new Set();
  let cursor = null;
  let pages = 0;
  for (;;) {
    const r = await query(url, "messages:page", { cursor, numItems: 7 });
    assert.equal(r.body.status, "success", r.text);
    const p = r.body.value;
    all.push(...p.page.map((d) => d.n));
    for (const d of p.page) ids.add(d._id);
    pages++;
    if (p.isDone) break;
    cursor = p.continueCursor;
    assert.ok(pages < 100);
  }
  const sorted = [...all].sort((a, b) => a - b);
  assert.deepEqual(all, sorted);
  assert.equal(ids.size, all.length);
  assert.equal(ids.size, em.db.tables.get("messages").docs.size);
  assert.ok(all.includes(1000) && all.includes(1024));
  const desc = [];
  cursor = null;
  for (;;) {
    const p = (await query(url, "messages:page", { cursor, numItems: 10, desc: true })).body.value;
    desc.push(...p.page.map((d) => d.n));
    if (p.isDone) break;
    cursor = p.continueCursor;
  }
  assert.deepEqual(desc, [...all].reverse());
});

test("patch removes fields with undefined; delete", async () => {
  const id = (await mutation(url, "messages:send", { author: "p", body: "b", n: 1, tags: ["x"] })).body.value;
  const patched = (await mutation(url, "messages:patchBody", { id, body: "new", clearTags: true })).body.value;
  assert.equal(patched.body, "new");
  assert.equal(patched.tags, undefined);
  await mutation(url, "messages:remove", { id });
  const again = await mutation(url, "messages:remove", { id });
  assert.equal(again.body.status, "error");
});

test("too many writes: 400 TooManyWrites, nothing committed, even when caught", async () => {
  const before = em.db.tables.get("users")?.docs.size ?? 0;
  const r = await mutation(url, "messages:catchLimit", { count: 16001 });
  assert.equal(r.status, 400);
  assert.equal(r.body.code, "TooManyWrites");
  assert.equal(em.db.tables.get("users")?.docs.size ?? 0, before);
  const ok = await mutation(url, "messages:catchLimit", { count: 100 });
  assert.equal(ok.body.value, "done");
});

test("actions run queries and mutations", async () => {
  const r = await post(url, "/api/action", { path: "actions:sendViaAction", args: { author: "act" } });
  assert.equal(r.body.status, "success");
  assert.equal(r.body.value, "from action");
});

test("request body limit", async () => {
  const big = "x".repeat(16 * 1024 * 1024 + 3000);
  const r = await post(url, "/api/query", { path: "messages:echo", args: { value: big } });
  assert.equal(r.status, 413);
});

test("applyBatch upserts, skips stale positions, patches and deletes", async () => {
  // The real convex/cdc/ingest.ts (copied into the assembled functions folder), over HTTP.
  const call = (ops) => post(url, "/api/mutation", { path: "cdc/ingest:applyBatch", args: { ops }, format: "json" }, { key: ADMIN });
  const a = await call([{ table: "threads", key: "[7]", op: "upsert", position: pos(2), doc: { title: "hi" } }]);
  const id = a.body.value.results[0].id;
  assert.equal(a.body.value.results[0].status, "applied");
  const stale = await call([{ table: "threads", key: "[7]", op: "upsert", position: pos(1), doc: { title: "old" } }]);
  assert.deepEqual(stale.body.value.results[0], { status: "skipped", id });
  const patch = await call([{ table: "threads", key: "[7]", op: "patch", position: pos(3), doc: { title: "new", extra: 1 } }]);
  assert.deepEqual(patch.body.value.results[0], { status: "applied", id });
  const del = await call([{ table: "threads", key: "[7]", op: "delete", position: pos(4) }]);
  assert.deepEqual(del.body.value.results[0], { status: "applied", id: null });
  const missing = await call([{ table: "threads", key: "[7]", op: "patch", position: pos(5), doc: { title: "x" } }]);
  assert.deepEqual(missing.body.value.results[0], { status: "missing", id: null });
  // The contract's position format and declared tables (docs/contracts.md): rejected with INVALID_OP.
  const badPosition = await call([{ table: "threads", key: "[8]", op: "upsert", position: "0002", doc: { title: "hi" } }]);
  assert.equal(badPosition.body.status, "error");
  assert.equal(badPosition.body.errorData.code, "INVALID_OP");
  const undeclared = await call([{ table: "orderItems", key: "[1,1]", op: "upsert", position: pos(6), doc: { sku: "x" } }]);
  assert.equal(undeclared.body.errorData.code, "INVALID_OP");
  assert.match(undeclared.body.errorData.reason, /not declared/);
});

test("checkpoints go to the real cdc_checkpoints table and only move forward", async () => {
  const set = (position) =>
    post(url, "/api/mutation", { path: "cdc/ingest:setCheckpoint", args: { source: "slot1", position, commitTs: 1732233600000 }, format: "json" }, { key: ADMIN });
  assert.deepEqual((await set(pos(9))).body.value, { status: "applied", position: pos(9) });
  assert.deepEqual((await set(pos(8))).body.value, { status: "skipped", position: pos(9) });
  const got = await post(url, "/api/query", { path: "cdc/ingest:getCheckpoint", args: { source: "slot1" }, format: "json" }, { key: ADMIN });
  assert.equal(got.body.value.position, pos(9));
  assert.equal(got.body.value.commitTs, 1732233600000);
  assert.equal(em.db.tables.get("cdc_checkpoints").docs.size, 1);
});

test("streaming export: list_snapshot pages and document_deltas", async () => {
  const auth = { key: ADMIN };
  const noKey = await post(url, "/api/list_snapshot", { tableName: "messages" });
  assert.equal(noKey.status, 401);
  const seen = new Map();
  let cursor = undefined;
  let snapshot = undefined;
  for (;;) {
    const r = await post(url, "/api/list_snapshot", { tableName: "messages", cursor, snapshot, format: "json" }, auth);
    assert.equal(r.status, 200, r.text);
    for (const v of r.body.values) seen.set(v._id, v);
    snapshot = r.body.snapshot;
    cursor = r.body.cursor;
    if (!r.body.hasMore) break;
  }
  assert.equal(seen.size, em.db.tables.get("messages").docs.size);
  const someDoc = [...seen.values()][0];
  assert.equal(someDoc._table, "messages");
  assert.equal(typeof someDoc._ts, "number");
  // Changes after the snapshot show up as deltas (raw text: _ts is a 64-bit integer).
  const id = (await mutation(url, "messages:send", { author: "delta", body: "b", n: 1 })).body.value;
  await mutation(url, "messages:remove", { id });
  const snapText = JSON.stringify(snapshot);
  const raw = await fetch(`${url}/api/document_deltas?cursor=${BigInt(Math.round(snapshot)) - 1000n}&tableName=messages&format=json`, {
    headers: { authorization: `Convex ${ADMIN}` },
  });
  assert.equal(raw.status, 200);
  const text = await raw.text();
  assert.match(text, /"_deleted":true/);
  const d = JSON.parse(text);
  const mine = d.values.filter((v) => v._id === id);
  assert.equal(mine.length, 2);
  assert.equal(mine[0].author, "delta");
  assert.equal(mine[1]._deleted, true);
  assert.equal(d.hasMore, false);
  assert.ok(snapText.length > 0);
});

test("snapshot isolation of list_snapshot: versions as of the snapshot", async () => {
  const auth = { key: ADMIN };
  const id = (await mutation(url, "messages:send", { author: "iso", body: "v1", n: 1 })).body.value;
  const first = await fetch(`${url}/api/list_snapshot?tableName=messages&format=json`, { headers: { authorization: `Convex ${ADMIN}` } });
  const snapTs = (await first.text()).match(/"snapshot":(\d+)/)[1];
  await mutation(url, "messages:patchBody", { id, body: "v2" });
  const again = await post(url, "/api/list_snapshot", { tableName: "messages", snapshot: snapTs, format: "json" }, auth);
  const doc = again.body.values.find((v) => v._id === id);
  assert.equal(doc?.body, "v1");
});

test("creation-time order survives a rolled-back delete; by_creation_time and by_id ranges", async () => {
  const ids = [];
  for (let i = 0; i < 4; i++) ids.push((await mutation(url, "messages:send", { author: "ord", body: "b", n: i })).body.value);
  assert.deepEqual((await query(url, "messages:scanByCreation", { author: "ord" })).body.value, [0, 1, 2, 3]);
  const r = await mutation(url, "messages:deleteThenThrow", { id: ids[1] });
  assert.equal(r.body.status, "error");
  assert.deepEqual((await query(url, "messages:scanByCreation", { author: "ord" })).body.value, [0, 1, 2, 3]);
  assert.deepEqual((await query(url, "messages:scanByCreation", { author: "ord", desc: true })).body.value, [3, 2, 1, 0]);
  const doc2 = (await query(url, "messages:get", { id: ids[2] })).body.value;
  assert.deepEqual((await query(url, "messages:scanByCreation", { author: "ord", after: doc2._creationTime })).body.value, [3]);
  await mutation(url, "messages:send", { author: "ord", body: "b", n: 4 });
  assert.deepEqual((await query(url, "messages:scanByCreation", { author: "ord" })).body.value, [0, 1, 2, 3, 4]);
  assert.deepEqual((await query(url, "messages:byIdIndex", { id: ids[0] })).body.value, [ids[0], ids[0]]);
});
