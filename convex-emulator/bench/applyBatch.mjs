#!/usr/bin/env node
// Benchmark: upserts/s through cdc/ingest:applyBatch over HTTP, batches of 1,000 ops, against N
// pre-existing documents, durable (--data) and in memory. Starts the emulator as a child process
// (the CLI), times several runs per configuration and prints medians as JSON (plus a table on
// stderr).
//
//   npm run bench -- [--functions DIR] [--sizes 10000,1000000] [--modes durable,memory] [--runs 5]
//                    [--ops-per-run 50000] [--warmup-ops 10000] [--concurrency 4] [--table T]
//                    [--baseline DIR]
//
// durable: the N documents (plus their cdc_keys rows, as applyBatch would have made them) are
// written as a snapshot file into a fresh --data directory, so every commit is fsynced before its
// answer. memory: no --data; the documents are preloaded through applyBatch over HTTP.
// (--http-preload is the old spelling of --modes memory.)
// --baseline DIR: another emulator checkout (DIR/bin/convex-emulator.js, e.g. the previous version):
// each configuration then starts both emulators side by side and alternates their runs (A, B, A, B,
// ...), so both see the same machine load; the report has both medians and their ratio.
// Besides upserts/s (wall clock, which depends on what else the machine runs) it reports the
// emulator's CPU time per upsert, read from /proc.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { newId } from "../src/ids.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith("--") ? true : v;
}

// The project's functions folder (the test fixture alone no longer holds the CDC functions).
const defaultFunctions = path.resolve(root, "../convex");
const functionsDir = path.resolve(arg("functions", defaultFunctions));
const sizes = String(arg("sizes", "10000,1000000")).split(",").map(Number);
const runs = Number(arg("runs", 5));
const opsPerRun = Number(arg("ops-per-run", 50000));
const concurrency = Number(arg("concurrency", 4));
const table = String(arg("table", "users"));
const modes = arg("http-preload", false) === true ? ["memory"] : String(arg("modes", "durable,memory")).split(",");
for (const m of modes) if (m !== "durable" && m !== "memory") throw new Error(`unknown mode ${m}`);
const baseline = arg("baseline", null);
const warmupOps = Number(arg("warmup-ops", 10000));
const BATCH = 1000;
const ADMIN = "bench-admin-key";

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(url, body, retried = false) {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request(
      url + "/api/mutation",
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": data.length, authorization: `Convex ${ADMIN}` },
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 500)}`));
          const j = JSON.parse(text);
          if (j.status !== "success") return reject(new Error(j.errorMessage));
          resolve(j.value);
        });
      },
    );
    req.setNoDelay(true);
    req.on("error", (err) => {
      // A kept-alive socket that the server closed (idle timeout, e.g. while the other emulator was
      // loading) just as it was reused: send once more on a new socket.
      if (req.reusedSocket && err.code === "ECONNRESET" && !retried) post(url, body, true).then(resolve, reject);
      else reject(err);
    });
    req.end(data);
  });
}

let seq = 0;
function position() {
  seq++;
  return seq.toString(16).toUpperCase().padStart(16, "0") + ":00000000";
}

function docFor(k) {
  // A row of the demo schema's `users` table (convex/schema.ts).
  return {
    clerkUserId: `user_${k}`,
    email: `user${k}@example.com`,
    image: `https://img.example.com/avatars/${k}.png`,
    credits: `${k % 1000}.50`,
    createdAt: 1732233600000 + k,
  };
}

function batch(keys) {
  return {
    path: "cdc/ingest:applyBatch",
    format: "json",
    args: {
      ops: keys.map((k) => ({ table, key: `[${k}]`, op: "upsert", position: position(), doc: docFor(k) })),
    },
  };
}

async function runBatches(url, batches) {
  let next = 0;
  const workers = [];
  for (let w = 0; w < concurrency; w++) {
    workers.push(
      (async () => {
        while (next < batches.length) {
          const b = batches[next++];
          await post(url, b);
        }
      })(),
    );
  }
  await Promise.all(workers);
}

/** Writes a snapshot with `size` documents of `table` and their cdc_keys rows. */
function writeSnapshot(dir, size) {
  const USERS = 10001;
  const KEYS = 10002;
  const fd = fs.openSync(path.join(dir, "snapshot.jsonl"), "w");
  let ct = Date.now() - 3600_000;
  const ts = String(BigInt(Date.now()) * 1000000n);
  let buf = JSON.stringify({ ts, ct: ct + size * 0.002 + 1, nextTableNumber: 10003, tables: { [table]: USERS, cdc_keys: KEYS } }) + "\n";
  for (let k = 0; k < size; k++) {
    const id = newId(USERS);
    const doc = { _creationTime: (ct += 0.001), _id: id, ...docFor(k) };
    const keyRow = { _creationTime: (ct += 0.001), _id: newId(KEYS), docId: id, key: `[${k}]`, position: position(), table };
    buf += `[${USERS},${JSON.stringify(doc)}]\n[${KEYS},${JSON.stringify(keyRow)}]\n`;
    if (buf.length > 1 << 22) {
      fs.writeSync(fd, buf);
      buf = "";
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}

function startEmulator(emulatorRoot, size, durable) {
  const dataDir = durable ? fs.mkdtempSync(path.join(os.tmpdir(), "convex-bench-data-")) : null;
  if (dataDir) writeSnapshot(dataDir, size);
  const args = [
    ...(process.env.BENCH_EMULATOR_NODE_ARGS ?? "").split(" ").filter(Boolean),
    "--max-old-space-size=8192",
    path.join(emulatorRoot, "bin/convex-emulator.js"),
    "--port", "0", "--admin-key", ADMIN, "--functions", functionsDir, "--retain-changes", "200000",
    "--max-concurrent-mutations", "64",
  ];
  if (dataDir) args.push("--data", dataDir);
  args.push(...(process.env.BENCH_EMULATOR_ARGS ?? "").split(" ").filter(Boolean));
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (c) => {
      buf += c;
      const m = buf.match(/CONVEX_EMULATOR_READY (\S+)/);
      if (m) resolve({ child, url: m[1], dataDir, startS: (performance.now() - t0) / 1000 });
    });
    child.on("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
  });
}

/** CPU seconds (user + system) used so far by a process. */
function cpuSeconds(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function stop(e) {
  e.child.kill("SIGTERM");
  await new Promise((r) => e.child.once("exit", r));
  if (e.dataDir) fs.rmSync(e.dataDir, { recursive: true, force: true });
}

/** Starts one emulator for a configuration and pre-loads it; returns it with its timings. */
async function prepare(name, emulatorRoot, size, durable) {
  const e = await startEmulator(emulatorRoot, size, durable);
  e.name = name;
  e.rates = [];
  e.cpus = [];
  if (!durable) {
    const t0 = performance.now();
    const pre = [];
    for (let k = 0; k < size; k += BATCH) pre.push(batch(Array.from({ length: Math.min(BATCH, size - k) }, (_, i) => k + i)));
    await runBatches(e.url, pre);
    const preloadS = (performance.now() - t0) / 1000;
    e.preloadRate = Math.round(size / preloadS);
    process.stderr.write(`${name}: preloaded ${size} documents over HTTP in ${preloadS.toFixed(1)} s (${e.preloadRate}/s)\n`);
  } else {
    process.stderr.write(`${name}: loaded ${size} documents (+ key rows) from a snapshot in ${e.startS.toFixed(1)} s\n`);
  }
  if (warmupOps > 0) {
    // Untimed: lets the JIT compile the hot path before the timed runs.
    const warm = [];
    for (let n = 0; n < warmupOps; n += BATCH) warm.push(batch(Array.from({ length: BATCH }, () => Math.floor(Math.random() * size * 1.1))));
    await runBatches(e.url, warm);
  }
  return e;
}

async function timedRun(e, size, durable, r) {
  const batches = [];
  for (let n = 0; n < opsPerRun; n += BATCH) {
    // ~90% updates of existing keys, ~10% new keys
    batches.push(batch(Array.from({ length: BATCH }, () => Math.floor(Math.random() * size * 1.1))));
  }
  const c0 = cpuSeconds(e.child.pid);
  const t = performance.now();
  await runBatches(e.url, batches);
  const s = (performance.now() - t) / 1000;
  const cpu = cpuSeconds(e.child.pid) - c0;
  e.rates.push(opsPerRun / s);
  e.cpus.push((cpu * 1e6) / opsPerRun);
  process.stderr.write(
    `  ${e.name} ${durable ? "durable" : "memory"} size ${size} run ${r + 1}: ${Math.round(opsPerRun / s)} upserts/s, emulator CPU ${((cpu * 1e6) / opsPerRun).toFixed(1)} us/upsert, load ${os.loadavg()[0].toFixed(1)}\n`,
  );
}

function summary(e) {
  return {
    medianUpsertsPerSecond: Math.round(median(e.rates)),
    runsUpsertsPerSecond: e.rates.map(Math.round),
    medianEmulatorCpuMicrosPerUpsert: Number(median(e.cpus).toFixed(1)),
    startSeconds: Number(e.startS.toFixed(1)),
    ...(e.preloadRate ? { preloadUpsertsPerSecond: e.preloadRate } : {}),
  };
}

const results = [];
for (const mode of modes) {
  const durable = mode === "durable";
  for (const size of sizes) {
    const emulators = [];
    try {
      emulators.push(await prepare(baseline ? "this" : "emulator", root, size, durable));
      if (baseline) emulators.push(await prepare("baseline", path.resolve(baseline), size, durable));
      for (let r = 0; r < runs; r++) {
        // Alternate which one goes first, so neither always runs right after the other.
        const order = r % 2 === 0 ? emulators : [...emulators].reverse();
        for (const e of order) await timedRun(e, size, durable, r);
      }
      const row = {
        mode,
        existingDocuments: size,
        batchSize: BATCH,
        concurrency,
        opsPerRun,
        runs,
        ...summary(emulators[0]),
        loadAverage1m: Number(os.loadavg()[0].toFixed(1)),
      };
      if (baseline) {
        row.baseline = summary(emulators[1]);
        row.speedup = Number((row.medianUpsertsPerSecond / row.baseline.medianUpsertsPerSecond).toFixed(2));
        row.cpuRatio = Number((row.baseline.medianEmulatorCpuMicrosPerUpsert / row.medianEmulatorCpuMicrosPerUpsert).toFixed(2));
      }
      results.push(row);
    } finally {
      for (const e of emulators) await stop(e);
    }
  }
}
agent.destroy();

// Side by side: one line per configuration.
const pad = (x, n) => String(x).padStart(n);
let out = `\n${pad("mode", 8)} ${pad("documents", 10)} ${pad("upserts/s", 10)} ${pad("CPU us/op", 10)}`;
if (baseline) out += ` ${pad("baseline/s", 11)} ${pad("base CPU", 9)} ${pad("speedup", 8)}`;
for (const r of results) {
  out += `\n${pad(r.mode, 8)} ${pad(r.existingDocuments, 10)} ${pad(r.medianUpsertsPerSecond, 10)} ${pad(r.medianEmulatorCpuMicrosPerUpsert, 10)}`;
  if (baseline) out += ` ${pad(r.baseline.medianUpsertsPerSecond, 11)} ${pad(r.baseline.medianEmulatorCpuMicrosPerUpsert, 9)} ${pad(r.speedup + "x", 8)}`;
}
process.stderr.write(out + "\n(medians of " + runs + " runs of " + opsPerRun + " upserts)\n");
process.stdout.write(
  JSON.stringify({ functions: functionsDir, node: process.version, cpus: os.cpus().length, baseline: baseline ? path.resolve(baseline) : null, results }, null, 2) + "\n",
);
