// `npx convex data`, `npx convex export` and `npx convex import` (the official 1.48 CLI, as child
// processes) against emulators started empty and deployed to with `npx convex deploy`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Emulator } from "../src/server.js";
import { spawn } from "node:child_process";
import { ADMIN, makeProject, convexCli, query, startChild, waitExit } from "./helpers.js";
import { readZip } from "../src/snapshot.js";

const FILES = {
  "schema.ts": `
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  items: defineTable({ name: v.string(), big: v.optional(v.int64()), f: v.optional(v.number()), raw: v.optional(v.bytes()), ref: v.optional(v.id("items")) }),
});`,
  "items.ts": `
import { mutation, query } from "./_generated/server";
import { v } from "convex/values";
export const seed = mutation({ args: {}, handler: async (ctx) => {
  console.log("seeding items");
  const a = await ctx.db.insert("items", { name: "a", big: 9007199254740993n, f: 2, raw: new Uint8Array([1, 2]).buffer });
  await ctx.db.insert("items", { name: "b", ref: a, f: 0.5 });
  return a;
} });
export const all = query({ args: {}, handler: async (ctx) => (await ctx.db.query("items").collect()).map((d) => ({ ...d, big: d.big === undefined ? null : d.big.toString() })) });
`,
};

let src;
let dst;
let proj;
let tmp;
before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "convex-emulator-transfer-"));
  // Emulators in one process share globalThis.Convex: the second one is a child process.
  [src, dst] = await Promise.all([new Emulator({ adminKey: ADMIN }).start(), startChild(["--port", "0", "--admin-key", ADMIN])]);
  proj = makeProject(FILES);
  // The first deploy writes convex/_generated (codegen), which the second one bundles.
  const a = await convexCli(proj, src.url, ["deploy", "--typecheck", "disable"]);
  const b = await convexCli(proj, dst.url, ["deploy", "--typecheck", "disable", "--codegen", "disable"]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
});
after(async () => {
  dst.child.kill("SIGTERM");
  await Promise.all([src.close(), waitExit(dst.child)]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("npx convex data, export --path F.zip, import F.zip / F.jsonl in Convex's formats", async () => {
  let r = await convexCli(proj, src.url, ["run", "items:seed"]);
  assert.equal(r.code, 0, r.stderr);
  const idA = JSON.parse(r.stdout);

  r = await convexCli(proj, src.url, ["data"]);
  assert.equal(r.stdout.trim(), "items");
  r = await convexCli(proj, src.url, ["data", "items", "--format", "jsonl", "--order", "asc"]);
  // One document a line, as the CLI prints them (bigints as `123n`, so not JSON).
  const rows = r.stdout.trim().split("\n");
  assert.equal(rows.length, 2);
  assert.ok(rows[0].includes(`"_id": "${idA}"`) && rows[0].includes('"name": "a"'), rows[0]);

  const zipPath = path.join(tmp, "snapshot.zip");
  r = await convexCli(proj, src.url, ["export", "--path", zipPath]);
  assert.equal(r.code, 0, r.stderr);
  const files = readZip(fs.readFileSync(zipPath));
  assert.ok(files.has("README.md") && files.has("items/generated_schema.jsonl"));
  assert.match(files.get("_tables/documents.jsonl").toString(), /\{"name":"items","id":10001\}/);
  const lines = files.get("items/documents.jsonl").toString();
  // Convex's export JSON: Int64 as an integer literal, floats with a fraction, bytes as $bytes.
  assert.match(lines, /"big":9007199254740993,/);
  assert.match(lines, /"f":2\.0,/);
  assert.match(lines, /"raw":\{"\$bytes":"AQI="\}/);

  // Into a fresh deployment: ids, creation times and Int64 survive; references still resolve.
  r = await convexCli(proj, dst.url, ["import", zipPath]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Added 2 documents/);
  const before = (await query(src.url, "items:all", {})).body.value;
  const after = (await query(dst.url, "items:all", {})).body.value;
  assert.deepEqual(after, before);
  assert.equal(after[0].big, "9007199254740993");

  // JSONL into one table: refused when not empty (as Convex), then --append and --replace.
  const jsonl = path.join(tmp, "items.jsonl");
  fs.writeFileSync(jsonl, '{"name":"c","f":1}\n{"name":"d"}\n');
  r = await convexCli(proj, dst.url, ["import", "--table", "items", jsonl]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not empty/);
  r = await convexCli(proj, dst.url, ["import", "--table", "items", "--append", jsonl]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await query(dst.url, "items:all", {})).body.value.length, 4);
  r = await convexCli(proj, dst.url, ["import", "--table", "items", "--replace", "--yes", jsonl]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((await query(dst.url, "items:all", {})).body.value.map((d) => d.name), ["c", "d"]);
  // A document the schema refuses: nothing is imported.
  fs.writeFileSync(jsonl, '{"name":"e"}\n{"name":5}\n');
  r = await convexCli(proj, dst.url, ["import", "--table", "items", "--append", jsonl]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not match the schema/);
  assert.equal((await query(dst.url, "items:all", {})).body.value.length, 2);
});

test("npx convex logs shows the executions with their console lines", async () => {
  // The CLI's own entry (what `npx convex` runs), started directly so that stopping it stops it.
  const child = spawn(process.execPath, [path.join(proj, "node_modules/convex/bin/main.js"), "logs", "--history", "20", "--success"], {
    cwd: proj,
    env: { ...process.env, CI: "1", CONVEX_SELF_HOSTED_URL: src.url, CONVEX_SELF_HOSTED_ADMIN_KEY: ADMIN, CONVEX_DEPLOYMENT: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  try {
    const t0 = Date.now();
    while (!/M\(items:seed\)\] \[LOG\] seeding items/.test(out)) {
      if (Date.now() - t0 > 20_000) assert.fail(`no log line; got ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // New executions stream in (the CLI long-polls).
    await query(src.url, "items:all", {});
    while (!/Q\(items:all\)\] Function executed in/.test(out)) {
      if (Date.now() - t0 > 20_000) assert.fail(`no streamed entry; got ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
});
