// The official client against the emulator.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import { startEmulator, ADMIN } from "./helpers.js";

let em;
before(async () => {
  em = await startEmulator();
});
after(async () => {
  await em.close();
});

const send = makeFunctionReference("messages:send");
const get = makeFunctionReference("messages:get");
const byAuthor = makeFunctionReference("messages:byAuthor");
const echo = makeFunctionReference("messages:echo");
const convexError = makeFunctionReference("messages:convexError");
const secret = makeFunctionReference("messages:secret");
const action = makeFunctionReference("actions:sendViaAction");

test("ConvexHttpClient: mutation, query, bigint and bytes, errors, action", async () => {
  const client = new ConvexHttpClient(em.url, { logger: false });
  const id = await client.mutation(send, { author: "cli", body: "hello", n: 5, big: 123n, data: new Uint8Array([1, 2, 3]).buffer });
  const doc = await client.query(get, { id });
  assert.equal(doc.body, "hello");
  assert.equal(doc.big, 123n);
  assert.deepEqual([...new Uint8Array(doc.data)], [1, 2, 3]);
  assert.deepEqual(await client.query(byAuthor, { author: "cli" }), [5]);
  assert.deepEqual(await client.query(echo, { value: { x: [1, "a", null, -5n] } }), { x: [1, "a", null, -5n] });
  await assert.rejects(client.mutation(convexError, {}), (e) => e instanceof ConvexError && e.data.code === "E_TEST" && e.data.n === 42n);
  await assert.rejects(client.mutation(send, { author: "cli" }), /ArgumentValidationError/);
  assert.equal(await client.action(action, { author: "cli2" }), "from action");
});

test("ConvexHttpClient with admin auth calls internal functions", async () => {
  const client = new ConvexHttpClient(em.url, { logger: false });
  await assert.rejects(client.query(secret, {}), /Could not find public function/);
  assert.equal(typeof client.setAdminAuth, "function");
  client.setAdminAuth(ADMIN);
  assert.equal(await client.query(secret, {}), "internal-ok");
  client.setAdminAuth("wrong-key");
  await assert.rejects(client.query(secret, {}), /BadAdminKey/);
});
