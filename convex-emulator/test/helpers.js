import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Emulator } from "../src/server.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The fixture's own modules (`messages.ts`, `actions.ts`) and its `schema.ts`; not loadable on its own. */
export const FIXTURE = path.join(ROOT, "test/fixtures/basic");
/** The project's real Convex functions folder. */
export const REAL_FUNCTIONS = path.resolve(ROOT, "../convex");
export const ADMIN = "test-admin-key";

let assembled = null;

/**
 * The functions folder the tests run, assembled once per test process in a temporary directory (removed
 * at exit): the real `convex/cdc/` (copied, not linked: esbuild follows symlinks to their real path, so
 * `cdc/ingest.ts`'s `../schema.js` would resolve to `convex/schema.ts`), the real `convex/_generated/`, and
 * the fixture's modules and schema (which spreads the real `cdcTables` from `./cdc/tables`).
 */
export function functionsDir() {
  if (assembled) return assembled;
  for (const p of ["cdc/ingest.ts", "cdc/tables.ts", "_generated"]) {
    if (!fs.existsSync(path.join(REAL_FUNCTIONS, p))) throw new Error(`the emulator tests need ${path.join(REAL_FUNCTIONS, p)}`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "convex-emulator-fixture-"));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(path.join(REAL_FUNCTIONS, "cdc"), path.join(dir, "cdc"), { recursive: true });
  fs.cpSync(path.join(REAL_FUNCTIONS, "_generated"), path.join(dir, "_generated"), { recursive: true });
  for (const ent of fs.readdirSync(FIXTURE, { withFileTypes: true })) {
    if (["cdc", "_generated"].includes(ent.name)) throw new Error(`${FIXTURE}/${ent.name} would shadow the real functions folder's`);
    fs.cpSync(path.join(FIXTURE, ent.name), path.join(dir, ent.name), { recursive: true });
  }
  assembled = dir;
  return dir;
}

/** Starts an in-process emulator on the assembled functions folder. */
export async function startEmulator(opts = {}) {
  return new Emulator({ adminKey: ADMIN, functionsDir: functionsDir(), ...opts }).start();
}

/** A position in the format of docs/contracts.md: 16 upper-case hex digits (LSN), `:`, 8 (order). */
export function pos(lsn, order = 0) {
  return `${lsn.toString(16).toUpperCase().padStart(16, "0")}:${order.toString(16).toUpperCase().padStart(8, "0")}`;
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

/**
 * A throwaway Convex project directory (removed at exit): `package.json` depending on `convex`,
 * `node_modules` linked to the emulator's own (so `npx convex` is the pinned 1.48 CLI and the bundler
 * resolves `convex/*`), and the given files under `convex/`.
 * @param {Record<string, string>} files path under convex/ -> content
 * @param {{copyReal?: boolean}} opts copyReal: start from a copy of the project's real `convex/` folder
 */
export function makeProject(files = {}, { copyReal = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "convex-emulator-project-"));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "p", private: true, type: "module", dependencies: { convex: "1.48.0" } }));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  const cdir = path.join(dir, "convex");
  fs.mkdirSync(cdir);
  if (copyReal) {
    for (const p of ["cdc", "_generated", "schema.ts", "tsconfig.json"]) fs.cpSync(path.join(REAL_FUNCTIONS, p), path.join(cdir, p), { recursive: true });
  }
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(projectDir, files) {
  for (const [p, content] of Object.entries(files)) {
    const f = path.join(projectDir, "convex", p);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, content);
  }
}

/**
 * Runs the official CLI (`npx convex ...`) in a project against a deployment, as a user would with a
 * self-hosted backend: CONVEX_SELF_HOSTED_URL + CONVEX_SELF_HOSTED_ADMIN_KEY. CI=1 keeps it
 * non-interactive and off the network (no Sentry). Resolves {code, stdout, stderr}.
 */
export function convexCli(projectDir, url, args, { key = ADMIN, env = {}, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["--no-install", "convex", ...args], {
      cwd: projectDir,
      env: { ...process.env, CI: "1", CONVEX_SELF_HOSTED_URL: url, CONVEX_SELF_HOSTED_ADMIN_KEY: key, CONVEX_DEPLOYMENT: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`npx convex ${args.join(" ")} timed out\n${stdout}\n${stderr}`));
    }, timeoutMs);
    const t0 = Date.now();
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (process.env.CLI_TIMES) process.stderr.write(`npx convex ${args.join(" ")}: ${Date.now() - t0} ms\n`);
      resolve({ code, stdout, stderr });
    });
  });
}
