// The user's workflow against an emulator started empty, with the official tools only: the project's
// Convex folder deployed with `npx convex deploy`, the sink's applyBatch calls mirroring rows into it
// (over HTTP with the admin key, as convex-sink does), `npx convex data users` showing them, and a
// ConvexClient subscribed over the websocket seeing an updated row arrive.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ConvexClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { Emulator } from "../src/server.js";
import { ADMIN, makeProject, convexCli, post, pos } from "./helpers.js";

let em;
before(async () => {
  em = await new Emulator({ adminKey: ADMIN }).start();
});
after(async () => {
  await em.close();
});

let seq = 0;
const upsert = (key, doc) => ({ table: "users", key: `[${key}]`, op: "upsert", position: pos(++seq), doc });
const user = (k, email) => ({ clerkUserId: `user_${k}`, email, credits: "1.50", createdAt: 1732233600000 + k });
const applyBatch = (ops) => post(em.url, "/api/mutation", { path: "cdc/ingest:applyBatch", args: { ops }, format: "json" }, { key: ADMIN });

test("deploy the project's convex/ folder, mirror rows, see them with npx convex data and a ConvexClient", async () => {
  const proj = makeProject({}, { copyReal: true });
  let r = await convexCli(proj, em.url, ["deploy", "--typecheck", "disable"]);
  assert.equal(r.code, 0, r.stderr);

  r = await applyBatch([upsert(1, user(1, "ada@example.com")), upsert(2, user(2, "bob@example.com"))]);
  assert.equal(r.body.status, "success", r.text);

  const client = new ConvexClient(em.url, { logger: false });
  client.setAdminAuth(ADMIN);
  try {
    const seen = [];
    client.onUpdate(makeFunctionReference("cdc/ingest:docPage"), { table: "users", cursor: null, limit: 100 }, (v) =>
      seen.push(v.page.map((p) => p.doc.email)),
    );
    r = await convexCli(proj, em.url, ["data", "users"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ada@example\.com/);
    assert.match(r.stdout, /bob@example\.com/);

    // A row updated at the source arrives as an update of the subscription.
    r = await applyBatch([upsert(1, user(1, "ada@new.example.com"))]);
    assert.equal(r.body.status, "success", r.text);
    const t0 = Date.now();
    while (!seen.some((emails) => emails.includes("ada@new.example.com"))) {
      if (Date.now() - t0 > 5000) assert.fail(`no update; saw ${JSON.stringify(seen)}`);
      await new Promise((res) => setTimeout(res, 10));
    }
    assert.deepEqual(seen[0].sort(), ["ada@example.com", "bob@example.com"]);
    assert.deepEqual(seen.at(-1).sort(), ["ada@new.example.com", "bob@example.com"]);
  } finally {
    await client.close();
  }
});
