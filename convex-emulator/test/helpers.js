import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Emulator } from "../src/server.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const FIXTURE = path.join(ROOT, "test/fixtures/basic");
export const ADMIN = "test-admin-key";

/** Starts an in-process emulator on the fixture folder. */
export async function startEmulator(opts = {}) {
  return new Emulator({ adminKey: ADMIN, functionsDir: FIXTURE, ...opts }).start();
}

/** POSTs JSON; returns {status, headers, body (parsed when JSON), text}. */
export async function post(url, route, body, { key, headers = {} } = {}) {
  const res = await fetch(url + route, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Convex ${key}` } : {}), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export const mutation = (url, path, args, opts) => post(url, "/api/mutation", { path, args, format: "convex_encoded_json" }, opts);
export const query = (url, path, args, opts) => post(url, "/api/query", { path, args, format: "convex_encoded_json" }, opts);

/** Starts the CLI as a child process; resolves once it printed its ready line. */
export function startChild(args, { stdin = "ignore" } = {}) {
  const child = spawn(process.execPath, [path.join(ROOT, "bin/convex-emulator.js"), ...args], {
    stdio: [stdin, "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c) => (stderr += c));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
      const m = out.match(/^CONVEX_EMULATOR_READY (\S+)\n/);
      if (m) resolve({ child, url: m[1], stdout: () => out, stderr: () => stderr });
    });
    child.on("exit", (code, signal) => reject(new Error(`emulator exited (${code ?? signal}): ${stderr}`)));
  });
}

export function waitExit(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => resolve({ code, signal }));
  });
}

export function int64(n) {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return { $integer: b.toString("base64") };
}
