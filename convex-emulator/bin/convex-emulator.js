#!/usr/bin/env node
// Convex emulator CLI. Prints exactly one line to stdout when listening:
//   CONVEX_EMULATOR_READY http://127.0.0.1:<port>
import v8 from "node:v8";
import { format } from "node:util";

// stdout carries exactly one line (the ready line): everything else that code running in this
// process logs (module top levels, actions) goes to stderr.
for (const m of ["log", "info", "debug"]) console[m] = (...a) => process.stderr.write(format(...a) + "\n");
// A larger young generation: the workload allocates many short-lived objects (syscall JSON).
v8.setFlagsFromString("--max-semi-space-size=64");
const { Emulator } = await import("../src/server.js");

const USAGE = `usage: convex-emulator --port P (--admin-key K | env CONVEX_ADMIN_KEY) [--functions DIR] [--data DIR] [--host 127.0.0.1]
  (without --functions: empty until \`npx convex deploy\`, or what the last deploy saved in --data)
  [--max-concurrent-mutations 16] [--mutation-queue-timeout-ms 5000] [--write-limit-mib-per-s 0]
  [--fault-503 0..1] [--fault-429 0..1] [--fault-latency-ms N] [--fault-drop 0..1]
  [--fault-drop-phase after|before] [--fault-routes /api/mutation,...] [--fault-seed N]
  [--retain-changes 1000000] [--exit-on-stdin-close]`;

// Options without a value.
const FLAGS = new Set(["exit-on-stdin-close"]);

function parse(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (a === "-h" || a === "--help") {
      process.stdout.write(USAGE + "\n");
      process.exit(0);
    }
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    a = a.slice(2);
    if (FLAGS.has(a)) {
      o[a] = true;
      continue;
    }
    let v;
    const eq = a.indexOf("=");
    if (eq >= 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    } else {
      v = argv[++i];
      if (v === undefined) throw new Error(`--${a} needs a value`);
    }
    o[a] = v;
  }
  return o;
}

function num(v, name, def) {
  if (v === undefined) return def;
  const x = Number(v);
  if (!Number.isFinite(x)) throw new Error(`--${name} must be a number`);
  return x;
}

let emulator;
let exitOnStdinClose = false;
try {
  const a = parse(process.argv.slice(2));
  const known = new Set([
    "port", "admin-key", "functions", "data", "host", "max-concurrent-mutations", "mutation-queue-timeout-ms",
    "write-limit-mib-per-s", "fault-503", "fault-429", "fault-latency-ms", "fault-drop", "fault-drop-phase",
    "fault-routes", "fault-seed", "retain-changes", "exit-on-stdin-close",
  ]);
  for (const k of Object.keys(a)) if (!known.has(k)) throw new Error(`unknown option --${k}`);
  // The key may come from the environment, so it does not show in the process list.
  if (a["admin-key"] === undefined && process.env.CONVEX_ADMIN_KEY) a["admin-key"] = process.env.CONVEX_ADMIN_KEY;
  if (a["admin-key"] === undefined) {
    throw new Error("--admin-key (or the environment variable CONVEX_ADMIN_KEY) is required");
  }
  exitOnStdinClose = a["exit-on-stdin-close"] === true;
  const faults = {};
  for (const k of ["fault-503", "fault-429", "fault-latency-ms", "fault-drop", "fault-drop-phase", "fault-routes", "fault-seed"]) {
    if (a[k] !== undefined) faults[k] = a[k];
  }
  emulator = new Emulator({
    port: num(a.port, "port", 0),
    host: a.host ?? "127.0.0.1",
    adminKey: a["admin-key"],
    functionsDir: a.functions ?? null,
    dataDir: a.data ?? null,
    maxConcurrentMutations: num(a["max-concurrent-mutations"], "max-concurrent-mutations", 16),
    mutationQueueTimeoutMs: num(a["mutation-queue-timeout-ms"], "mutation-queue-timeout-ms", 5000),
    writeLimitMiBPerS: num(a["write-limit-mib-per-s"], "write-limit-mib-per-s", 0),
    retainChanges: num(a["retain-changes"], "retain-changes", 1_000_000),
    faults,
  });
} catch (e) {
  process.stderr.write(`convex-emulator: ${e.message}\n${USAGE}\n`);
  process.exit(2);
}

// Function code may leave timers or promises behind; their failures must not stop the server.
process.on("uncaughtException", (e) => process.stderr.write(`convex-emulator: uncaught exception: ${e?.stack ?? e}\n`));
process.on("unhandledRejection", (e) => process.stderr.write(`convex-emulator: unhandled rejection: ${e?.stack ?? e}\n`));

let closing = false;
async function shutdown(signal) {
  if (closing) return;
  closing = true;
  try {
    await emulator.close();
  } catch (e) {
    process.stderr.write(`convex-emulator: error while closing: ${e.message}\n`);
  }
  process.exit(0);
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
if (exitOnStdinClose) {
  // The parent holds our stdin open: when it dies, even by SIGKILL, stdin ends and we stop, so a
  // restarted parent never finds an orphan still holding the port and the data directory.
  process.stdin.on("end", () => shutdown("stdin closed"));
  process.stdin.on("close", () => shutdown("stdin closed"));
  process.stdin.resume();
}
process.on("SIGINT", () => shutdown("SIGINT"));

try {
  await emulator.start();
} catch (e) {
  process.stderr.write(`convex-emulator: failed to start: ${e.stack ?? e.message}\n`);
  try {
    await emulator.close();
  } catch {
    /* ignore */
  }
  process.exit(1);
}
process.stdout.write(`CONVEX_EMULATOR_READY ${emulator.url}\n`);
