// The push protocol of `npx convex deploy` / `npx convex dev` (convex 1.48's CLI, lib/deploy2.js and
// lib/components.js): get_config_hashes, deploy2/evaluate_schema, evaluate_push, start_push,
// wait_for_schema, finish_push, report_push_completed. The CLI bundles the functions itself; the
// emulator imports the pushed bundle, answers the module analysis the CLI's codegen reads, checks the
// stored documents against the new schema (refusing the push the way Convex does) and then swaps the
// schema and the functions in between two transactions, so the new code serves without a restart.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { loadPushedModules, PushError, schemaJson } from "./loader.js";

const PUSH_BODY_LIMIT = 512 * 1024 * 1024;
const DEPLOYMENT_FILE = "deployment.json";

export class DeployError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** sha256 hex of a module the way the CLI hashes it (components.js `hash`). */
export function moduleHash(m) {
  return crypto.createHash("sha256").update(m.source).update(m.sourceMap || "").digest("hex");
}

/** Reads a request body, undoing Content-Encoding br/gzip/deflate; parses it as JSON. */
export function readJsonBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > PUSH_BODY_LIMIT) {
        reject(new DeployError(413, "PayloadTooLarge", `Push request is too large (limit ${PUSH_BODY_LIMIT} bytes)`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("error", reject);
    req.on("end", () => {
      try {
        let buf = Buffer.concat(chunks);
        const enc = (req.headers["content-encoding"] ?? "").toLowerCase();
        if (enc === "br") buf = zlib.brotliDecompressSync(buf);
        else if (enc === "gzip") buf = zlib.gunzipSync(buf);
        else if (enc === "deflate") buf = zlib.inflateSync(buf);
        resolve(buf.length === 0 ? {} : JSON.parse(buf.toString("utf8")));
      } catch (e) {
        reject(new DeployError(400, "BadJsonBody", `Failed to deserialize request body: ${e.message}`));
      }
    });
  });
}

function indexConfigs(schema) {
  const out = new Map();
  for (const t of schema?.tables ?? []) {
    for (const ix of t.indexes ?? []) {
      const name = `${t.tableName}.${ix.indexDescriptor}`;
      out.set(name, { name, type: "database", fields: ix.fields });
    }
  }
  return out;
}

/** Convex's index diff ({added_indexes, removed_indexes}) between two schemas. */
export function indexDiff(oldSchema, newSchema) {
  const a = indexConfigs(oldSchema);
  const b = indexConfigs(newSchema);
  const same = (x, y) => x.fields.length === y.fields.length && x.fields.every((f, i) => f === y.fields[i]);
  const added = [];
  const removed = [];
  for (const [n, ix] of b) if (!a.has(n) || !same(a.get(n), ix)) added.push(ix);
  for (const [n, ix] of a) if (!b.has(n) || !same(b.get(n), ix)) removed.push(ix);
  return { added_indexes: added, removed_indexes: removed, enabled_indexes: [], disabled_indexes: [] };
}

export class Deployments {
  /** @param {import("./server.js").Emulator} emulator */
  constructor(emulator) {
    this.em = emulator;
    /** The deployed modules: path -> {path, source, sourceMap, environment} */
    this.modules = new Map();
    this.functionsDir = "convex/";
    this.udfServerVersion = null;
    /** start_push results waiting for finish_push, by schema id. */
    this.pending = new Map();
    this.nextPush = 1;
  }

  /** The deployment saved in the data directory by an earlier push, or null. */
  static readSaved(dataDir) {
    if (!dataDir) return null;
    const f = path.join(dataDir, DEPLOYMENT_FILE);
    if (!fs.existsSync(f)) return null;
    return JSON.parse(fs.readFileSync(f, "utf8"));
  }

  restore(saved) {
    this.modules = new Map(saved.modules.map((m) => [m.path, m]));
    this.functionsDir = saved.functions ?? "convex/";
    this.udfServerVersion = saved.udfServerVersion ?? null;
  }

  save() {
    const dir = this.em.opts.dataDir;
    if (!dir) return;
    const f = path.join(dir, DEPLOYMENT_FILE);
    const tmp = f + ".tmp";
    const body = JSON.stringify({ functions: this.functionsDir, udfServerVersion: this.udfServerVersion, modules: [...this.modules.values()] });
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeSync(fd, body);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, f);
  }

  /** Handles the push routes; false when the route is not one of them. */
  async handle(req, res, route) {
    const handler = ROUTES[route];
    if (!handler) return false;
    if (route === "/api/v1/get_canonical_urls") {
      this.em.requireAdmin(req);
      // HTTP actions are not emulated: the site URL is the deployment's own.
      this.em.send(res, 200, JSON.stringify({ convexCloudUrl: this.em.url, convexSiteUrl: this.em.url }));
      return true;
    }
    if (req.method !== "POST") throw new DeployError(405, "MethodNotAllowed", `${route} takes POST`);
    const body = await readJsonBody(req);
    // The CLI sends the key both in the Authorization header and in the body.
    if (req.headers.authorization) this.em.requireAdmin(req);
    else if (body.adminKey !== this.em.opts.adminKey) {
      throw new DeployError(401, body.adminKey ? "BadAdminKey" : "MissingAdminKey", "The provided admin key was invalid for this instance");
    }
    const out = await handler.call(this, body);
    this.em.send(res, 200, JSON.stringify(out));
    return true;
  }

  getConfigHashes() {
    return {
      config: { functions: this.functionsDir, authInfo: [] },
      moduleHashes: [...this.modules.values()].map((m) => ({ path: m.path, hash: moduleHash(m), environment: m.environment })),
      udfServerVersion: this.udfServerVersion,
      nodeVersion: null,
    };
  }

  /** Loads a push request's modules and computes what would change. */
  async prepare(request) {
    const app = request.appDefinition;
    if (!app || !Array.isArray(app.changedModules)) throw new DeployError(400, "BadJsonBody", "Missing appDefinition.changedModules");
    if ((request.componentDefinitions ?? []).length > 0) {
      throw new DeployError(400, "ComponentsNotSupported", "The Convex emulator does not support components (convex.config.ts with app.use(...)).");
    }
    const modules = new Map();
    // The schema comes apart from the function modules; it is deployed (and hashed) as a module too.
    if (app.schema) modules.set(app.schema.path, { path: app.schema.path, source: app.schema.source, sourceMap: app.schema.sourceMap, environment: app.schema.environment });
    for (const m of app.changedModules) modules.set(m.path, { path: m.path, source: m.source, sourceMap: m.sourceMap, environment: m.environment });
    for (const h of app.unchangedModuleHashes ?? []) {
      const old = this.modules.get(h.path);
      if (!old || moduleHash(old) !== h.sha256) {
        throw new DeployError(400, "ModuleNotFound", `Module ${h.path} with hash ${h.sha256} is not deployed: push it again with --push-all-modules`);
      }
      modules.set(h.path, old);
    }
    let loaded;
    try {
      loaded = await loadPushedModules([...modules.values()]);
    } catch (e) {
      if (e instanceof PushError) throw new DeployError(400, e.code, e.message);
      throw e;
    }
    const schema = schemaJson(loaded.schema);
    const diff = indexDiff(this.em.schema, schema);
    return { request, modules, loaded, schema, diff };
  }

  async evaluateSchema(request) {
    const p = await this.prepare(request);
    const db = this.em.db;
    const tables = (p.schema?.tables ?? []).map((t) => {
      const tbl = db.tables.get(t.tableName);
      // Measured on up to 1,000 documents and scaled: the CLI only uses it to warn about slow pushes.
      let sizeBytes = 0;
      if (tbl && tbl.docs.size > 0) {
        let n = 0;
        for (const d of tbl.docs.values()) {
          sizeBytes += JSON.stringify(d).length;
          if (++n === 1000) break;
        }
        sizeBytes = Math.round((sizeBytes / n) * tbl.docs.size);
      }
      return {
        name: t.tableName,
        outcome: p.schema.schemaValidation ? "mustWalk" : "notValidated",
        numDocs: tbl ? tbl.docs.size : 0,
        sizeBytes,
      };
    });
    const indexes = [];
    const newIdx = indexConfigs(p.schema);
    const added = new Set(p.diff.added_indexes.map((i) => i.name));
    const numDocs = (name) => db.tables.get(name.split(".")[0])?.docs.size ?? 0;
    for (const [name, ix] of newIdx) {
      const change = added.has(name) ? "added" : "identical";
      indexes.push({ ...ix, change, needsBackfill: change === "added", numDocs: numDocs(name) });
    }
    for (const ix of p.diff.removed_indexes) indexes.push({ ...ix, change: "dropped", needsBackfill: false, numDocs: numDocs(ix.name) });
    return {
      componentSchemaEvaluations: {
        "": { definitionPath: "", schemaValidation: p.schema?.schemaValidation ?? false, tables, indexes, discardedStagedValidators: [] },
      },
      newComponentDefinitions: [],
    };
  }

  async evaluatePush(request) {
    const p = await this.prepare(request);
    return { schemaChange: { allocatedComponentIds: {}, schemaIds: {}, indexDiffs: { "": p.diff } } };
  }

  async startPush(request) {
    const p = await this.prepare(request);
    const id = `push-${this.nextPush++}`;
    if (!request.dryRun) {
      // Only the latest push can finish (a second push makes the first one's finish a race).
      this.pending.clear();
      this.pending.set(id, p);
    }
    const functions = {};
    for (const [modulePath, a] of Object.entries(p.loaded.analysis)) functions[modulePath] = a;
    const exports = {};
    for (const fnPath of p.loaded.functions.keys()) {
      const [mod, name] = fnPath.split(":");
      let node = exports;
      const parts = mod.split("/");
      for (const part of parts) {
        node[part] ??= { type: "branch", children: {} };
        node = node[part].children;
      }
      node[name] = { type: "leaf", resource: { type: "function", path: { component: "", udfPath: `${mod}.js:${name}` } } };
    }
    return {
      environmentVariables: {},
      externalDepsId: null,
      componentDefinitionPackages: {},
      appAuth: [],
      analysis: {
        "": {
          definition: {
            path: "",
            definitionType: { type: "app" },
            childComponents: [],
            httpMounts: {},
            exports: { type: "branch", branch: [] },
            envVars: [],
          },
          schema: p.schema,
          functions,
          udfConfig: { serverVersion: request.appDefinition.udfServerVersion, importPhaseRngSeed: null, importPhaseUnixTimestamp: null },
        },
      },
      app: {
        definitionPath: "",
        componentPath: "",
        args: {},
        childComponents: {},
        httpRoutes: { httpModuleRoutes: null, mounts: [] },
        exports,
      },
      schemaChange: { allocatedComponentIds: {}, schemaIds: request.dryRun ? {} : { "": id }, indexDiffs: { "": p.diff } },
    };
  }

  _pendingFor(schemaChange) {
    const id = schemaChange?.schemaIds?.[""];
    if (id === undefined) return { id: null, p: null };
    return { id, p: this.pending.get(id) ?? null };
  }

  async waitForSchema(body) {
    if (body.dryRun) return { type: "complete" };
    const { id, p } = this._pendingFor(body.schemaChange);
    if (id === null) return { type: "complete" };
    if (!p) return { type: "raceDetected" };
    const failure = await this.em.runtime.executor.run(async () => {
      p.checkedAtCommit = this.em.db.commits;
      p.checkedDb = this.em.db;
      return this.em.db.checkSchema(p.schema);
    });
    if (failure) {
      this.pending.delete(id);
      return { type: "failed", error: failure.message, componentPath: "", tableName: failure.tableName };
    }
    return { type: "complete" };
  }

  async finishPush(body) {
    const start = body.startPush;
    const { id, p } = this._pendingFor(start?.schemaChange);
    const emptyDiff = { authDiff: { added: [], removed: [] }, definitionDiffs: {}, componentDiffs: {} };
    if (body.dryRun || id === null) return emptyDiff;
    if (!p) throw new DeployError(409, "RaceDetected", "Schema was overwritten by another push.");
    const before = new Set(this.modules.keys());
    await this.em.runtime.executor.run(async () => {
      // Documents may have changed since wait_for_schema: check again (where no transaction runs)
      // unless nothing was committed in between.
      const db = this.em.db;
      const unchanged = p.checkedDb === db && p.checkedAtCommit === db.commits;
      const failure = unchanged ? null : db.checkSchema(p.schema);
      if (failure) throw new DeployError(400, "SchemaValidationFailed", `Schema validation failed.\n${failure.message}`);
      this.em.applyDeployment(p.schema, p.loaded.functions);
      this.modules = p.modules;
      this.functionsDir = p.request.functions ?? this.functionsDir;
      this.udfServerVersion = p.request.appDefinition.udfServerVersion ?? null;
      this.save();
    });
    this.pending.delete(id);
    const after = new Set(this.modules.keys());
    const previousSchema = this.em.previousSchemaText ?? null;
    return {
      ...emptyDiff,
      componentDiffs: {
        "": {
          diffType: { type: before.size === 0 ? "create" : "modify" },
          moduleDiff: { added: [...after].filter((m) => !before.has(m)), removed: [...before].filter((m) => !after.has(m)) },
          udfConfigDiff: null,
          cronDiff: { added: [], updated: [], deleted: [] },
          indexDiff: p.diff,
          schemaDiff: { previous_schema: previousSchema, next_schema: p.schema ? JSON.stringify(p.schema) : null },
        },
      },
    };
  }

  reportPushCompleted() {
    return {};
  }
}

const ROUTES = {
  "/api/v1/get_canonical_urls": true,
  "/api/get_config_hashes": Deployments.prototype.getConfigHashes,
  "/api/deploy2/evaluate_schema": Deployments.prototype.evaluateSchema,
  "/api/deploy2/evaluate_push": Deployments.prototype.evaluatePush,
  "/api/deploy2/start_push": Deployments.prototype.startPush,
  "/api/deploy2/wait_for_schema": Deployments.prototype.waitForSchema,
  "/api/deploy2/finish_push": Deployments.prototype.finishPush,
  "/api/deploy2/report_push_completed": Deployments.prototype.reportPushCompleted,
};
