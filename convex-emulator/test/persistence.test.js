import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startChild, waitExit, mutation, query, post, functionsDir, pos, ADMIN } from "./helpers.js";

const args = (dataDir, extra = []) => ["--port", "0", "--admin-key", ADMIN, "--functions", functionsDir(), "--data", dataDir, ...extra];

test("CLI: ready line, SIGTERM closes cleanly, data survives a restart", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "convex-emulator-data-"));
  try {
    const a = await startChild(args(dir));
    assert.match(a.stdout(), /^CONVEX_EMULATOR_READY http:\/\/127\.0\.0\.1:\d+\n$/);
    const id = (await mutation(a.url, "messages:send", { author: "p", body: "kept", n: 1 })).body.value;
    const ops = Array.from({ length: 300 }, (_, i) => ({ table: "users", key: `[${i}]`, op: "upsert", position: pos(1), doc: { i } }));
    const batch = await post(a.url, "/api/mutation", { path: "cdc/ingest:applyBatch", args: { ops } }, { key: ADMIN });
    assert.equal(batch.status, 200);
    assert.equal(batch.body.status, "success", batch.text.slice(0, 500));
    await mutation(a.url, "messages:insertThenThrow", { author: "p" }); // rolled back: not persisted
    a.child.kill("SIGTERM");
    const exit = await waitExit(a.child);
    assert.equal(exit.code, 0);

    const b = await startChild(args(dir));
    try {
      const doc = (await query(b.url, "messages:get", { id })).body.value;
      assert.equal(doc.body, "kept");
      assert.deepEqual((await query(b.url, "messages:byAuthor", { author: "p" })).body.value, [1]);
      const health = await (await fetch(b.url + "/_emulator/health")).json();
      assert.equal(health.tables.users, 300);
      // New ids keep the table numbers of before.
      const id2 = (await mutation(b.url, "messages:send", { author: "p", body: "second", n: 2 })).body.value;
      assert.equal(id2.slice(0, 3), id.slice(0, 3));
    } finally {
      b.child.kill("SIGTERM");
      await waitExit(b.child);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("kill -9: every acknowledged mutation survives; a torn last record is dropped", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "convex-emulator-data-"));
  try {
    const a = await startChild(args(dir));
    const acked = [];
    for (let i = 0; i < 10; i++) {
      const r = await mutation(a.url, "messages:send", { author: "k9", body: `b${i}`, n: i });
      assert.equal(r.status, 200);
      acked.push(i);
    }
    // Then a burst, killed while requests are in flight.
    const inflight = [];
    let killed = false;
    const kill = () => {
      if (!killed) {
        killed = true;
        a.child.kill("SIGKILL");
      }
    };
    for (let i = 10; i < 60; i++) {
      inflight.push(
        mutation(a.url, "messages:send", { author: "k9", body: `b${i}`, n: i }).then(
          (r) => {
            if (!killed && r.status === 200 && r.body.status === "success") {
              acked.push(i);
              if (acked.length >= 20) kill();
            }
          },
          () => {},
        ),
      );
    }
    setTimeout(kill, 3000);
    await Promise.allSettled(inflight);
    await waitExit(a.child);
    assert.ok(acked.length > 0);
    // Simulate a crash in the middle of a write.
    fs.appendFileSync(path.join(dir, "log.jsonl"), '{"ts":"999999999999999999999","w":[[10003,"abc",');

    const b = await startChild(args(dir));
    try {
      const ns = (await query(b.url, "messages:byAuthor", { author: "k9" })).body.value;
      for (const i of acked) assert.ok(ns.includes(i), `acknowledged mutation ${i} is there`);
      // Still writable after recovery.
      assert.equal((await mutation(b.url, "messages:send", { author: "k9", body: "after", n: 100 })).status, 200);
    } finally {
      b.child.kill("SIGKILL");
      await waitExit(b.child);
    }
    const c = await startChild(args(dir));
    try {
      const ns = (await query(c.url, "messages:byAuthor", { author: "k9" })).body.value;
      assert.ok(ns.includes(100));
    } finally {
      c.child.kill("SIGTERM");
      await waitExit(c.child);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("compaction into a snapshot keeps the data", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "convex-emulator-data-"));
  try {
    const { Emulator } = await import("../src/server.js");
    const em = await new Emulator({ adminKey: ADMIN, functionsDir: functionsDir(), dataDir: dir, compactBytes: 1 }).start();
    const id = (await mutation(em.url, "messages:send", { author: "cp", body: "one", n: 1 })).body.value;
    await mutation(em.url, "messages:patchBody", { id, body: "two" });
    await new Promise((r) => setTimeout(r, 50));
    await em.close();
    assert.ok(fs.existsSync(path.join(dir, "snapshot.jsonl")));
    const em2 = await new Emulator({ adminKey: ADMIN, functionsDir: functionsDir(), dataDir: dir }).start();
    try {
      assert.equal((await query(em2.url, "messages:get", { id })).body.value.body, "two");
      await mutation(em2.url, "messages:remove", { id });
    } finally {
      await em2.close();
    }
    const em3 = await new Emulator({ adminKey: ADMIN, functionsDir: functionsDir(), dataDir: dir }).start();
    try {
      assert.equal((await query(em3.url, "messages:get", { id })).body.value, null);
    } finally {
      await em3.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("CLI rejects bad flags", async () => {
  await assert.rejects(startChild(["--port", "0", "--functions", functionsDir()]), /exited \(2\)/);
  await assert.rejects(startChild(["--port", "0", "--admin-key", "k", "--functions", functionsDir(), "--bogus", "1"]), /exited \(2\)/);
});

test("CLI: --exit-on-stdin-close stops the emulator when its parent's pipe closes", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "convex-emulator-stdin-"));
  try {
    const a = await startChild(args(dir, ["--exit-on-stdin-close"]), { stdin: "pipe" });
    const id = (await mutation(a.url, "messages:send", { author: "p", body: "kept", n: 1 })).body.value;
    // What a parent killed with SIGKILL leaves behind: its end of the pipe closes.
    a.child.stdin.end();
    const exit = await waitExit(a.child);
    assert.equal(exit.code, 0);
    const b = await startChild(args(dir));
    try {
      assert.equal((await query(b.url, "messages:get", { id })).body.value.body, "kept");
    } finally {
      b.child.kill("SIGTERM");
      await waitExit(b.child);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
