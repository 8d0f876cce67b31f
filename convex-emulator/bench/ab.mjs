#!/usr/bin/env node
// In-process A/B of two versions of the emulator's src/ (e.g. a copy of the previous version and this
// one): both run cdc/ingest:applyBatch in one process (no HTTP), their batches of 1,000 upserts
// interleaved A,B / B,A, so the machine's load hits both alike. Prints the median per-batch times
// (ms per 1,000 upserts = us per upsert) and the median of the per-round ratios A/B (> 1: B faster).
//
//   node bench/ab.mjs OLD/src NEW/src [documents=10000] [rounds=60]     (DATA=1: with durability)
//
// Both share one heap, so garbage collection triggered by one can land in the other's batch.
import path from "node:path";
import fs from "node:fs";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const functionsDir = process.env.FUNCTIONS ?? path.resolve(here, "../../convex");
if (process.argv.length < 4 || !fs.existsSync(functionsDir)) {
  process.stderr.write("usage: node bench/ab.mjs OLD/src NEW/src [documents] [rounds]   (FUNCTIONS=dir, DATA=1)\n");
  process.exit(2);
}
const [srcA, srcB] = [path.resolve(process.argv[2]), path.resolve(process.argv[3])];
const size = Number(process.argv[4] ?? 10000), rounds = Number(process.argv[5] ?? 60);
const durable = !!process.env.DATA;
async function make(src) {
  const { loadFunctions, schemaJson } = await import(path.join(src, "loader.js"));
  const { Database } = await import(path.join(src, "db.js"));
  const { Runtime } = await import(path.join(src, "runtime.js"));
  const { functions, schema } = await loadFunctions(functionsDir);
  const db = new Database({ schema: schemaJson(schema), retainChanges: 200000 });
  if (durable) {
    const { Persistence } = await import(path.join(src, "persist.js"));
    const os = await import("node:os");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ab-data-"));
    new Persistence(dir, db).load();
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  db.initSchemaTables();
  const rt = new Runtime({ db, functions });
  return { name: src, rt, times: [] };
}
const A = await make(srcA), B = await make(srcB);
let seq = 0;
const pos = () => (++seq).toString(16).toUpperCase().padStart(16, "0") + ":00000000";
const docFor = (k) => ({ clerkUserId: `user_${k}`, email: `user${k}@example.com`, image: `https://img.example.com/avatars/${k}.png`, credits: `${k % 1000}.50`, createdAt: 1732233600000 + k });
const batch = (keys) => JSON.parse(JSON.stringify({ ops: keys.map((k) => ({ table: "users", key: `[${k}]`, op: "upsert", position: pos(), doc: docFor(k) })) }));
async function run(e, args) { e.rt.installGlobal(); const r = await e.rt.call({ path: "cdc/ingest:applyBatch", args, kind: "mutation", admin: true }); if (r.status !== "success") throw new Error(JSON.stringify(r).slice(0, 300)); if (r.durable) await r.durable; }
for (const e of [A, B]) for (let k = 0; k < size; k += 1000) await run(e, batch(Array.from({ length: 1000 }, (_, i) => k + i)));
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [A, B] : [B, A];
  for (const e of order) {
    const b = batch(Array.from({ length: 1000 }, () => Math.floor(Math.random() * size * 1.1)));
    const t0 = performance.now(); await run(e, b); e.times.push(performance.now() - t0);
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * p)];
const skip = Math.floor(rounds / 6); // warm-up
const a = A.times.slice(skip), b = B.times.slice(skip);
const ratios = a.map((x, i) => x / b[i]);
console.log(JSON.stringify({ durable, size, A: srcA, B: srcB, medA_us: med(a).toFixed(1), medB_us: med(b).toFixed(1), p25A: q(a, .25).toFixed(1), p25B: q(b, .25).toFixed(1), medianRatioAoverB: med(ratios).toFixed(3) }));
