// The official ConvexClient (convex/browser, websocket sync protocol) against the emulator:
// subscriptions get their result and then every change a mutation (websocket or HTTP) makes to what
// they read; mutations and actions over the websocket; admin auth for internal functions.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ConvexClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { startEmulator, mutation, ADMIN } from "./helpers.js";

let em;
before(async () => {
  em = await startEmulator();
});
after(async () => {
  await em.close();
});

const send = makeFunctionReference("messages:send");
const byAuthor = makeFunctionReference("messages:byAuthor");
const secret = makeFunctionReference("messages:secret");
const action = makeFunctionReference("actions:sendViaAction");

/** Resolves with the first value of `values` (an array the callback appends to) that satisfies pred. */
function waitFor(values, pred, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const v = values.find(pred);
      if (v !== undefined) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error(`timed out; saw ${JSON.stringify(values)}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

test("ConvexClient.onUpdate: initial result, then updates from websocket and HTTP mutations", async () => {
  const client = new ConvexClient(em.url, { logger: false });
  try {
    const seen = [];
    const unsubscribe = client.onUpdate(byAuthor, { author: "ws" }, (v) => seen.push(v));
    await waitFor(seen, (v) => Array.isArray(v) && v.length === 0);
    // A mutation over the websocket resolves once the subscription shows its write.
    const id = await client.mutation(send, { author: "ws", body: "a", n: 1 });
    assert.equal(typeof id, "string");
    assert.deepEqual(seen.at(-1), [1]);
    // A write by someone else (HTTP, as the pipeline's sink) reaches the subscriber.
    await mutation(em.url, "messages:send", { author: "ws", body: "b", n: 2 });
    await waitFor(seen, (v) => v.length === 2);
    // A write the query does not read changes nothing.
    const before = seen.length;
    await mutation(em.url, "messages:send", { author: "other", body: "c", n: 3 });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(seen.length, before);
    // Actions and query one-shots over the websocket; errors as Convex reports them.
    assert.equal(await client.action(action, { author: "ws2" }), "from action");
    assert.deepEqual(await client.query(byAuthor, { author: "ws2" }), [7]);
    await assert.rejects(client.mutation(send, { author: "ws" }), /ArgumentValidationError/);
    unsubscribe();
  } finally {
    await client.close();
  }
});

test("ConvexClient with admin auth subscribes to internal functions", async () => {
  const client = new ConvexClient(em.url, { logger: false });
  try {
    client.setAdminAuth(ADMIN);
    const seen = [];
    client.onUpdate(secret, {}, (v) => seen.push(v));
    await waitFor(seen, (v) => v === "internal-ok");
  } finally {
    await client.close();
  }
});
