import { test } from "node:test";
import assert from "node:assert/strict";
import { startEmulator, post, mutation, query, ADMIN, pos } from "./helpers.js";

test("concurrent mutations beyond the limit wait, then get 429", async () => {
  const em = await startEmulator({ maxConcurrentMutations: 1, mutationQueueTimeoutMs: 300 });
  try {
    const slow = mutation(em.url, "messages:slow", { ms: 1200 });
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    const second = await mutation(em.url, "messages:send", { author: "c", body: "b", n: 1 });
    assert.equal(second.status, 429);
    assert.equal(second.body.code, "TooManyConcurrentMutations");
    assert.ok(Date.now() - t0 >= 250, "waited in the queue first");
    assert.equal((await slow).body.status, "success");
    // Queries are not limited by the mutation semaphore, and a queued mutation that gets a slot runs.
    const a = mutation(em.url, "messages:slow", { ms: 100 });
    const b = mutation(em.url, "messages:send", { author: "c", body: "b", n: 2 });
    assert.equal((await a).status, 200);
    assert.equal((await b).status, 200);
    assert.equal((await query(em.url, "messages:byAuthor", { author: "c" })).body.value.length, 1);
  } finally {
    await em.close();
  }
});

test("write throughput limit answers 429 with Retry-After", async () => {
  const em = await startEmulator({ writeLimitMiBPerS: 0.01 }); // ~10 KiB/s
  try {
    let limited = null;
    for (let i = 0; i < 50 && !limited; i++) {
      const r = await mutation(em.url, "messages:send", { author: "w", body: "x".repeat(4000), n: i });
      if (r.status === 429) limited = r;
      else assert.equal(r.status, 200);
    }
    assert.ok(limited, "the limit kicked in");
    assert.equal(limited.body.code, "TooManyWrites");
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    // Queries are not affected.
    assert.equal((await query(em.url, "messages:count", {})).status, 200);
  } finally {
    await em.close();
  }
});

test("fault injection: 503, 429, latency, dropped connections, per route, switchable at run time", async () => {
  const em = await startEmulator({ faults: { fault503: 1, faultRoutes: ["/api/mutation"] } });
  try {
    const r = await mutation(em.url, "messages:send", { author: "f", body: "b", n: 1 });
    assert.equal(r.status, 503);
    assert.equal(r.body.code, "OptimisticConcurrencyControlFailure");
    // Other routes are untouched.
    assert.equal((await query(em.url, "messages:count", {})).status, 200);
    assert.equal((await query(em.url, "messages:byAuthor", { author: "f" })).body.value.length, 0);
    // Switch at run time: needs the admin key.
    assert.equal((await post(em.url, "/_emulator/faults", { fault503: 0 })).status, 401);
    const set = await post(em.url, "/_emulator/faults", { fault503: 0, fault429: 1 }, { key: ADMIN });
    assert.equal(set.status, 200);
    assert.equal(set.body.fault503, 0);
    const r429 = await mutation(em.url, "messages:send", { author: "f", body: "b", n: 1 });
    assert.equal(r429.status, 429);
    assert.ok(r429.headers.get("retry-after"));
    await post(em.url, "/_emulator/faults", { fault429: 0, faultLatencyMs: 200 }, { key: ADMIN });
    const t0 = Date.now();
    assert.equal((await mutation(em.url, "messages:send", { author: "f", body: "b", n: 1 })).status, 200);
    assert.ok(Date.now() - t0 >= 190);
    // Dropped connection after the commit: the client sees a network error, the write happened.
    await post(em.url, "/_emulator/faults", { faultLatencyMs: 0, faultDrop: 1, faultDropPhase: "after" }, { key: ADMIN });
    await assert.rejects(mutation(em.url, "messages:send", { author: "f", body: "dropped", n: 2 }));
    await post(em.url, "/_emulator/faults", { faultDrop: 1, faultDropPhase: "before" }, { key: ADMIN });
    await assert.rejects(mutation(em.url, "messages:send", { author: "f", body: "never", n: 3 }));
    await post(em.url, "/_emulator/faults", { faultDrop: 0 }, { key: ADMIN });
    assert.deepEqual((await query(em.url, "messages:byAuthor", { author: "f" })).body.value, [1, 2]);
    // Probabilities between 0 and 1 with a seed are reproducible.
    await post(em.url, "/_emulator/faults", { fault503: 0.5, faultSeed: 7, faultRoutes: [] }, { key: ADMIN });
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push((await query(em.url, "messages:count", {})).status);
    assert.ok(statuses.includes(503) && statuses.includes(200));
    const bad = await post(em.url, "/_emulator/faults", { fault503: 2 }, { key: ADMIN });
    assert.equal(bad.status, 400);
  } finally {
    await em.close();
  }
});

test("too many index ranges read: 400 TooManyReads", async () => {
  const em = await startEmulator();
  try {
    // 4,096 index ranges per transaction: exactly the limit passes, one more fails.
    assert.equal((await mutation(em.url, "messages:readMany", { count: 4096 })).body.value, 4096);
    const r = await mutation(em.url, "messages:readMany", { count: 4097 });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, "TooManyReads");
  } finally {
    await em.close();
  }
});

test("the real applyBatch: its largest batch stays within the read limit, a larger one is refused", async () => {
  // The real cdc/ingest caps a batch at 1,000 ops (at most 3 index ranges each, under the 4,096), so unlike
  // the emulator's old reference copy it cannot be driven into TooManyReads; a larger batch is a
  // BATCH_TOO_LARGE function error before anything is written (docs/contracts.md).
  const em = await startEmulator();
  try {
    const call = (ops) => post(em.url, "/api/mutation", { path: "cdc/ingest:applyBatch", args: { ops } }, { key: ADMIN });
    const ops = (n, position) => Array.from({ length: n }, (_, i) => ({ table: "users", key: `[${i}]`, op: "upsert", position, doc: { i } }));
    const first = await call(ops(1000, pos(2)));
    assert.equal(first.status, 200);
    assert.equal(first.body.status, "success", first.text.slice(0, 500));
    // Second pass: every key has a live document (key-row query + get per op).
    const again = await call(ops(1000, pos(3)));
    assert.equal(again.status, 200);
    assert.equal(again.body.status, "success", again.text.slice(0, 500));
    assert.ok(again.body.value.results.every((x) => x.status === "applied"));
    const tooLarge = await call(ops(1001, pos(4)));
    assert.equal(tooLarge.status, 200);
    assert.equal(tooLarge.body.status, "error");
    assert.equal(tooLarge.body.errorData.code, "BATCH_TOO_LARGE");
    assert.equal(tooLarge.body.errorData.limit, "ops");
    assert.equal(em.db.tables.get("users").docs.size, 1000);
  } finally {
    await em.close();
  }
});
