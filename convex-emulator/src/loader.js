// Bundles a Convex functions folder with esbuild (code splitting, so the `convex` package and
// shared modules are loaded once), imports every module and collects its registered functions.
import * as esbuild from "esbuild";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const EMULATOR_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OWN_NODE_MODULES = path.join(EMULATOR_ROOT, "node_modules");

const SOURCE = /\.(ts|tsx|js|jsx|mjs|cjs|mts|cts)$/;
const SKIP_FILE = /(\.test\.|\.spec\.|\.d\.ts$|^vitest\.config|^vite\.config|^tsconfig|^\.|^#|\.config\.(ts|js|mjs)$)/;
const SKIP_DIR = new Set(["node_modules", "_generated", "_deps", "tests", "test", "__tests__", "dist", "target"]);

/** Module paths (relative, with extension) of a functions folder. */
export function listModules(dir) {
  const out = [];
  const walk = (rel) => {
    for (const ent of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) {
        if (!SKIP_DIR.has(ent.name) && !ent.name.startsWith(".")) walk(r);
      } else if (SOURCE.test(ent.name) && !SKIP_FILE.test(ent.name)) {
        out.push(r);
      }
    }
  };
  walk("");
  return out.sort();
}

/** Resolves `convex` and `convex/*` from the emulator's own dependencies. */
const ownConvex = {
  name: "own-convex",
  setup(build) {
    build.onResolve({ filter: /^convex(\/.*)?$/ }, async (args) => {
      if (args.pluginData?.own) return undefined;
      const r = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: EMULATOR_ROOT,
        pluginData: { own: true },
      });
      return r.errors.length ? undefined : { path: r.path };
    });
  },
};

/**
 * The `convex` package's syscall.js with a JSON-value fast path: when the host offers
 * `Convex.jsonSyscall` / `jsonAsyncSyscall` (runtime.js), arguments and results are passed as the
 * same JSON values instead of their text. Left as it is when its code is not the expected one.
 */
const syscallFastPath = {
  name: "syscall-fast-path",
  setup(build) {
    build.onLoad({ filter: /[\\/]convex[\\/]dist[\\/]esm[\\/]server[\\/]impl[\\/]syscall\.js$/ }, async (args) => {
      let src = await fs.promises.readFile(args.path, "utf8");
      const sync = "const resultStr = Convex.syscall(op, JSON.stringify(arg));";
      const asyncCall = "resultStr = await Convex.asyncSyscall(op, JSON.stringify(arg));";
      if (src.split(sync).length === 2 && src.split(asyncCall).length === 2) {
        src = src.replace(sync, `if (Convex.jsonSyscall !== void 0) return Convex.jsonSyscall(op, arg);\n  ${sync}`);
        src = src.replace(asyncCall, `if (Convex.jsonAsyncSyscall !== void 0) return await Convex.jsonAsyncSyscall(op, arg);\n    ${asyncCall}`);
      }
      return { contents: src, loader: "js", resolveDir: path.dirname(args.path) };
    });
  },
};

async function bundle(dir, entries, outdir) {
  return esbuild.build({
    absWorkingDir: dir,
    entryPoints: entries.map((e) => path.join(dir, e)),
    outbase: dir,
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: "inline",
    logLevel: "silent",
    nodePaths: [OWN_NODE_MODULES, path.join(dir, "node_modules")],
    entryNames: "[dir]/[name]",
    chunkNames: "_chunks/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    plugins: [ownConvex, syscallFastPath],
    write: true,
  });
}

/**
 * Loads a functions folder.
 * @returns {Promise<{functions: Map<string, any>, schema: any|null, tmpdir: null, skipped: string[]}>}
 */
export async function loadFunctions(dir) {
  dir = path.resolve(dir);
  let entries = listModules(dir);
  const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), "convex-emulator-"));
  const skipped = [];
  try {
    await bundle(dir, entries, tmpdir);
  } catch {
    // Find the modules that do not bundle (e.g. test helpers importing dev tools) and leave them out.
    const ok = [];
    for (const e of entries) {
      const probe = fs.mkdtempSync(path.join(tmpdir, "probe-"));
      try {
        await bundle(dir, [e], probe);
        ok.push(e);
      } catch (err) {
        if (e === "schema.ts" || e === "schema.js") throw err;
        skipped.push(e);
        process.stderr.write(`convex-emulator: skipping module ${e}: ${err.message.split("\n").slice(0, 3).join(" ")}\n`);
      } finally {
        fs.rmSync(probe, { recursive: true, force: true });
      }
    }
    entries = ok;
    await bundle(dir, entries, tmpdir);
  }
  const functions = new Map();
  let schema = null;
  for (const e of entries) {
    const modPath = e.replace(SOURCE, "");
    const file = path.join(tmpdir, modPath + ".mjs");
    let mod;
    try {
      mod = await import(pathToFileURL(file).href);
    } catch (err) {
      if (modPath === "schema") throw err;
      skipped.push(e);
      process.stderr.write(`convex-emulator: skipping module ${e}: ${err.message}\n`);
      continue;
    }
    if (modPath === "schema") {
      schema = mod.default ?? null;
      continue;
    }
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value === "function" && (value.isQuery || value.isMutation || value.isAction)) {
        functions.set(`${modPath}:${name}`, value);
      }
    }
  }
  // Every chunk is imported statically by the entry modules, so the files are no longer needed (and
  // a killed process leaves nothing behind).
  fs.rmSync(tmpdir, { recursive: true, force: true });
  return { functions, schema, tmpdir: null, skipped };
}

/** The schema as plain JSON ({tables:[{tableName, indexes, documentType}], schemaValidation}). */
export function schemaJson(schema) {
  if (!schema || typeof schema.export !== "function") return null;
  return JSON.parse(schema.export());
}

/**
 * Loads the modules a `npx convex deploy` pushed: already bundled by the CLI (ESM, `convex` inlined,
 * shared chunks under `_deps/`), so they are written as they are into a temporary directory and
 * imported. Returns the functions, the schema module's default export and the backend's module
 * analysis (what the CLI's codegen reads back from start_push).
 * @param {{path: string, source: string, environment: string}[]} modules
 */
export async function loadPushedModules(modules) {
  const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), "convex-emulator-push-"));
  try {
    fs.writeFileSync(path.join(tmpdir, "package.json"), '{"type":"module"}');
    for (const m of modules) {
      const rel = path.posix.normalize(m.path);
      if (rel.startsWith("..") || path.isAbsolute(rel)) throw new PushError(`Invalid module path ${m.path}`);
      const file = path.join(tmpdir, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, withSyscallFastPath(m.source));
    }
    const functions = new Map();
    const analysis = {};
    let schema = null;
    for (const m of modules) {
      if (m.path.startsWith("_deps/")) continue;
      const modPath = m.path.replace(SOURCE, "");
      let mod;
      try {
        mod = await import(pathToFileURL(path.join(tmpdir, m.path)).href);
      } catch (err) {
        throw new PushError(`Failed to analyze ${m.path}: ${err?.message ?? err}`);
      }
      if (modPath === "schema") {
        schema = mod.default ?? null;
        continue;
      }
      const fns = [];
      for (const [name, value] of Object.entries(mod)) {
        if (typeof value === "function" && (value.isQuery || value.isMutation || value.isAction)) {
          functions.set(`${modPath}:${name}`, value);
          fns.push({
            name,
            pos: null,
            udfType: value.isQuery ? "Query" : value.isMutation ? "Mutation" : "Action",
            visibility: { kind: value.isInternal ? "internal" : "public" },
            args: typeof value.exportArgs === "function" ? value.exportArgs() : null,
            returns: typeof value.exportReturns === "function" ? value.exportReturns() : null,
          });
        }
      }
      analysis[m.path] = { functions: fns, httpRoutes: null, cronSpecs: null, sourceMapped: null };
    }
    return { functions, schema, analysis };
  } finally {
    fs.rmSync(tmpdir, { recursive: true, force: true });
  }
}

/**
 * The fast path of `syscallFastPath` for a bundle the CLI made: its copy of the convex package's
 * syscall.js (identifiers renamed by esbuild) learns to use Convex.jsonSyscall / jsonAsyncSyscall.
 * Only applied when each call shape occurs exactly once in the module (the package's own code).
 */
export function withSyscallFastPath(source) {
  const sync = /(?:\b(?:let|const|var)\s+)?[\w$]+\s*=\s*Convex\.syscall\(([\w$]+),\s*JSON\.stringify\(([\w$]+)\)\);/g;
  const asyncCall = /[\w$]+\s*=\s*await\s+Convex\.asyncSyscall\(([\w$]+),\s*JSON\.stringify\(([\w$]+)\)\);/g;
  const ns = [...source.matchAll(sync)].length;
  const na = [...source.matchAll(asyncCall)].length;
  if (ns !== 1 || na !== 1) return source;
  return source
    .replace(sync, (m, op, arg) => `if (Convex.jsonSyscall !== void 0) return Convex.jsonSyscall(${op}, ${arg});\n${m}`)
    .replace(asyncCall, (m, op, arg) => `if (Convex.jsonAsyncSyscall !== void 0) return await Convex.jsonAsyncSyscall(${op}, ${arg});\n${m}`);
}

/** A push the emulator refuses (answered 400 with Convex's error shape). */
export class PushError extends Error {
  constructor(message, code = "InvalidModules") {
    super(message);
    this.code = code;
  }
}
