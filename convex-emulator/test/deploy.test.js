// `npx convex deploy` (the official 1.48 CLI, as a child process) against an emulator started without
// a functions folder: the push protocol, codegen from the module analysis, schema validation against
// the stored documents, the new functions served at once, and the pushed code kept in --data.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Emulator } from "../src/server.js";
import { ADMIN, makeProject, writeFiles, convexCli, query } from "./helpers.js";

const SCHEMA = (textType, extra = "") => `
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  notes: defineTable({ text: ${textType}, tag: v.optional(v.string()) })${extra},
});
`;
const NOTES = `
import { mutation, query } from "./_generated/server";
import { v } from "convex/values";
export const add = mutation({ args: { text: v.string() }, handler: (ctx, { text }) => ctx.db.insert("notes", { text }) });
export const list = query({ args: {}, handler: async (ctx) => (await ctx.db.query("notes").collect()).map((n) => n.text) });
`;

let em;
let dataDir;
before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "convex-emulator-deploy-"));
  em = await new Emulator({ adminKey: ADMIN, dataDir }).start();
});
after(async () => {
  await em.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test("npx convex deploy pushes a folder, refuses a schema the documents violate, serves new code at once", async () => {
  const proj = makeProject({ "schema.ts": SCHEMA("v.string()"), "notes.ts": NOTES });
  // The default deploy: codegen (from the emulator's module analysis) included; tsc is not installed here.
  let r = await convexCli(proj, em.url, ["deploy", "--typecheck", "disable"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Deployed Convex functions to/);
  assert.ok(fs.existsSync(path.join(proj, "convex/_generated/api.d.ts")));
  r = await convexCli(proj, em.url, ["run", "notes:add", '{"text":"hello"}']);
  assert.equal(r.code, 0, r.stderr);
  const id = JSON.parse(r.stdout);
  r = await convexCli(proj, em.url, ["run", "notes:list"]);
  assert.deepEqual(JSON.parse(r.stdout), ["hello"]);

  // A schema the stored document violates: refused with Convex's message, nothing changes.
  writeFiles(proj, { "schema.ts": SCHEMA("v.number()") });
  r = await convexCli(proj, em.url, ["deploy", "--typecheck", "disable", "--codegen", "disable"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /Schema validation failed/);
  assert.ok(r.stderr.includes(`Document with ID "${id}" in table "notes" does not match the schema`), r.stderr);
  assert.equal((await query(em.url, "notes:list", {})).body.value[0], "hello");

  // A compatible change (new index, new function) is served without a restart, by `dev --once` too.
  writeFiles(proj, {
    "schema.ts": SCHEMA("v.string()", '.index("by_text", ["text"])'),
    "more.ts": `import { query } from "./_generated/server";
export const byText = query({ args: {}, handler: async (ctx) => (await ctx.db.query("notes").withIndex("by_text", (q) => q.eq("text", "hello")).collect()).length });`,
  });
  r = await convexCli(proj, em.url, ["dev", "--once", "--typecheck", "disable"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[\+\] notes\.by_text/);
  assert.equal((await query(em.url, "more:byText", {})).body.value, 1);

  // A second deploy of the same code sends only hashes of unchanged modules.
  r = await convexCli(proj, em.url, ["deploy", "--typecheck", "disable", "--codegen", "disable", "--verbose"]);
  assert.equal(r.code, 0, r.stderr);

  // Wrong admin key: the CLI reports the backend's 401.
  r = await convexCli(proj, em.url, ["deploy", "--typecheck", "disable", "--codegen", "disable"], { key: "nope" });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /BadAdminKey|401/);

  // The pushed code is kept with the data: a restart without a functions folder serves it.
  await em.close();
  em = await new Emulator({ adminKey: ADMIN, dataDir }).start();
  assert.equal((await query(em.url, "more:byText", {})).body.value, 1);
});
