// The HTTP face of the emulator: Convex's public HTTP API (/api/query, /api/mutation, /api/action,
// /api/function, /api/run/..., /version, streaming export), admission control (concurrent
// mutations, write throughput), fault injection and the /_emulator admin routes.
import http from "node:http";
import fs from "node:fs";
import { Database } from "./db.js";
import { Runtime } from "./runtime.js";
import { Persistence } from "./persist.js";
import { loadFunctions, loadPushedModules, schemaJson } from "./loader.js";
import { Deployments, DeployError } from "./deploy.js";
import { SyncServer } from "./sync.js";
import { Transfers } from "./transfer.js";
import { SnapshotError } from "./snapshot.js";
import { FunctionLogs } from "./logs.js";
import { toCleanJson, encodeKeyValue, KEY_MAX_CHAR } from "./values.js";
import { decodeIdTableNumber } from "./ids.js";

export const VERSION = "0.1.0";
const BODY_LIMIT = 16 * 1024 * 1024 + 2000;
const SNAPSHOT_PAGE_DOCS = 2000;
const SNAPSHOT_PAGE_BYTES = 8 * 1024 * 1024;
const DELTA_PAGE_DOCS = 2000;

class HttpError extends Error {
  constructor(status, code, message, headers) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

class Semaphore {
  constructor(permits, timeoutMs) {
    this.permits = permits;
    this.timeoutMs = timeoutMs;
    this.waiters = [];
    this.active = 0;
  }
  /** @returns {Promise<boolean>} false after waiting timeoutMs */
  acquire() {
    if (this.active < this.permits) {
      this.active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const w = { resolve, timer: null };
      w.timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      }, this.timeoutMs);
      this.waiters.push(w);
    });
  }
  release() {
    const w = this.waiters.shift();
    if (w) {
      clearTimeout(w.timer);
      w.resolve(true);
    } else {
      this.active--;
    }
  }
}

/** Token bucket over bytes written; capacity one second of throughput. */
class WriteLimiter {
  constructor(mibPerS) {
    this.rate = mibPerS * 1024 * 1024;
    this.tokens = this.rate;
    this.last = performance.now();
  }
  get enabled() {
    return this.rate > 0;
  }
  refill() {
    const now = performance.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
  /** Seconds to wait, or 0 when a write may go ahead. */
  check() {
    if (!this.enabled) return 0;
    this.refill();
    return this.tokens >= 0 ? 0 : Math.max(1, Math.ceil(-this.tokens / this.rate));
  }
  consume(bytes) {
    if (!this.enabled) return;
    this.refill();
    this.tokens -= bytes;
  }
}

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FUNCTION_ROUTES = ["/api/query", "/api/mutation", "/api/action", "/api/function", "/api/run"];

export function normalizeFaults(input, base) {
  const f = { ...base };
  const pick = (...names) => {
    for (const n of names) if (input[n] !== undefined) return input[n];
    return undefined;
  };
  const prob = (v, name) => {
    const x = Number(v);
    if (!(x >= 0 && x <= 1)) throw new HttpError(400, "BadRequest", `${name} must be a probability between 0 and 1`);
    return x;
  };
  let v;
  if ((v = pick("fault503", "fault-503")) !== undefined) f.fault503 = prob(v, "fault503");
  if ((v = pick("fault429", "fault-429")) !== undefined) f.fault429 = prob(v, "fault429");
  if ((v = pick("faultDrop", "fault-drop")) !== undefined) f.faultDrop = prob(v, "faultDrop");
  if ((v = pick("faultLatencyMs", "fault-latency-ms")) !== undefined) f.faultLatencyMs = Math.max(0, Number(v) || 0);
  if ((v = pick("faultRoutes", "fault-routes")) !== undefined) {
    f.faultRoutes = (Array.isArray(v) ? v : String(v).split(",")).map((s) => String(s).trim()).filter(Boolean);
  }
  if ((v = pick("faultDropPhase", "fault-drop-phase")) !== undefined) {
    if (v !== "before" && v !== "after") throw new HttpError(400, "BadRequest", `faultDropPhase must be "before" or "after"`);
    f.faultDropPhase = v;
  }
  if ((v = pick("faultSeed", "fault-seed")) !== undefined) f.faultSeed = v === null ? null : Number(v);
  return f;
}

export const DEFAULT_FAULTS = {
  fault503: 0,
  fault429: 0,
  faultLatencyMs: 0,
  faultDrop: 0,
  faultRoutes: [],
  faultDropPhase: "after",
  faultSeed: null,
};

function parseIdentityFromJwt(token) {
  try {
    const payload = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
    const identity = { ...payload };
    identity.subject = payload.sub;
    identity.issuer = payload.iss;
    identity.tokenIdentifier = `${payload.iss}|${payload.sub}`;
    delete identity.sub;
    delete identity.iss;
    return identity;
  } catch {
    throw new HttpError(401, "Unauthenticated", "Could not parse the JWT in the Authorization header");
  }
}

/** The Convex-encoded JSON text of a value in the requested output format. */
function formatValue(valueStr, format) {
  if (format === "json" || format === "convex_json" || format === "clean_json") {
    if (valueStr.indexOf('"$') < 0) return valueStr;
    return JSON.stringify(toCleanJson(JSON.parse(valueStr)));
  }
  return valueStr;
}

function docWithMeta(doc, tableName, ts, clean) {
  const s = clean ? JSON.stringify(toCleanJson(doc)) : JSON.stringify(doc);
  return `${s.slice(0, -1)}${s.length > 2 ? "," : ""}"_table":${JSON.stringify(tableName)},"_ts":${ts}}`;
}

export class Emulator {
  /**
   * @param {{port?: number, host?: string, adminKey: string, functionsDir: string, dataDir?: string|null,
   *   maxConcurrentMutations?: number, writeLimitMiBPerS?: number, mutationQueueTimeoutMs?: number,
   *   faults?: object, retainChanges?: number, compactBytes?: number}} opts
   */
  constructor(opts) {
    this.opts = {
      port: 0,
      host: "127.0.0.1",
      dataDir: null,
      maxConcurrentMutations: 16,
      writeLimitMiBPerS: 0,
      mutationQueueTimeoutMs: 5000,
      retainChanges: 1_000_000,
      ...opts,
    };
    this.faults = normalizeFaults(opts.faults ?? {}, DEFAULT_FAULTS);
    this.rand = Math.random;
    if (this.faults.faultSeed != null) this.rand = mulberry32(this.faults.faultSeed);
    this.mutations = new Semaphore(this.opts.maxConcurrentMutations, this.opts.mutationQueueTimeoutMs);
    this.writeLimiter = new WriteLimiter(this.opts.writeLimitMiBPerS);
    this.sockets = new Set();
    this.startedAt = Date.now();
    this.requests = 0;
  }

  async start() {
    this.deployments = new Deployments(this);
    let functions = new Map();
    let schema = null;
    if (this.opts.functionsDir) {
      ({ functions, schema } = await loadFunctions(this.opts.functionsDir));
    } else {
      // No folder given: serve what the last `npx convex deploy` pushed (kept in the data directory).
      const saved = Deployments.readSaved(this.opts.dataDir);
      if (saved) {
        ({ functions, schema } = await loadPushedModules(saved.modules));
        this.deployments.restore(saved);
      }
    }
    this.schema = schemaJson(schema);
    this.db = new Database({ schema: this.schema, retainChanges: this.opts.retainChanges });
    if (this.opts.dataDir) {
      this.persistence = new Persistence(this.opts.dataDir, this.db, { compactBytes: this.opts.compactBytes });
      this.persistence.load();
    }
    this.db.initSchemaTables();
    this.runtime = new Runtime({ db: this.db, functions });
    if (this.persistence) this.persistence.schedule = (fn) => this.runtime.executor.run(fn);
    this.server = http.createServer({ noDelay: true, keepAlive: true }, (req, res) => this.handle(req, res));
    this.logs = new FunctionLogs();
    this.runtime.logs = this.logs;
    this.transfers = new Transfers(this);
    this.runtime.addSystemFunctions(this.transfers.systemFunctions());
    this.sync = new SyncServer(this);
    this.sync.attach(this.server);
    this.db.onCommit = (changes) => this.sync.onCommit(changes);
    this.server.keepAliveTimeout = 75_000;
    this.server.headersTimeout = 80_000;
    this.server.requestTimeout = 0;
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port, this.opts.host, resolve);
    });
    this.port = this.server.address().port;
    const h = this.opts.host === "0.0.0.0" || this.opts.host === "::" ? "127.0.0.1" : this.opts.host;
    this.url = `http://${h.includes(":") ? `[${h}]` : h}:${this.port}`;
    return this;
  }

  async close() {
    if (this.sync) this.sync.close();
    if (this.logs) this.logs.close();
    if (this.server) {
      await new Promise((resolve) => {
        this.server.close(() => resolve());
        for (const s of this.sockets) s.destroy();
      });
      this.server = null;
    }
    if (this.runtime) await this.runtime.executor.tail;
    if (this.persistence) this.persistence.close();
    if (this.tmpdir) fs.rmSync(this.tmpdir, { recursive: true, force: true });
  }

  // ------------------------------------------------------------------------------------------

  send(res, status, body, headers) {
    if (res.writableEnded || res.destroyed) return;
    const buf = Buffer.from(body, "utf8");
    res.writeHead(status, { "content-type": "application/json", "content-length": buf.length, ...headers });
    res.end(buf);
  }

  sendError(res, status, code, message, headers) {
    this.send(res, status, JSON.stringify({ code, message }), headers);
  }

  readBody(req) {
    return new Promise((resolve, reject) => {
      const chunks = [];
      let size = 0;
      let failed = false;
      req.on("data", (c) => {
        if (failed) return;
        size += c.length;
        if (size > BODY_LIMIT) {
          failed = true;
          reject(new HttpError(413, "PayloadTooLarge", `Request body is too large (limit ${BODY_LIMIT} bytes)`));
          req.resume();
          return;
        }
        chunks.push(c);
      });
      req.on("end", () => {
        if (!failed) resolve(chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks).toString("utf8"));
      });
      req.on("error", reject);
    });
  }

  async jsonBody(req) {
    const text = await this.readBody(req);
    if (text.length === 0) return {};
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new HttpError(400, "BadJsonBody", `Failed to deserialize request body as JSON: ${e.message}`);
    }
  }

  /** {admin, identity} from the Authorization header; 401 for a wrong admin key. */
  auth(req) {
    const h = req.headers.authorization;
    if (!h) return { admin: false, identity: null };
    if (h.startsWith("Convex ")) {
      const v = h.slice(7).trim();
      const key = this.opts.adminKey;
      if (v === key) return { admin: true, identity: null };
      if (v.startsWith(key + ":")) {
        let identity = null;
        try {
          identity = JSON.parse(Buffer.from(v.slice(key.length + 1), "base64").toString("utf8"));
        } catch {
          throw new HttpError(400, "BadRequest", "Could not parse the acting-as identity");
        }
        return { admin: true, identity };
      }
      throw new HttpError(401, "BadAdminKey", "The provided admin key was invalid for this instance");
    }
    if (h.startsWith("Bearer ")) return { admin: false, identity: parseIdentityFromJwt(h.slice(7).trim()) };
    throw new HttpError(401, "Unauthenticated", "Authorization header must be `Convex <admin key>` or `Bearer <JWT>`");
  }

  requireAdmin(req) {
    const a = this.auth(req);
    if (!a.admin) throw new HttpError(401, "MissingAdminKey", "This route requires an admin key: `Authorization: Convex <admin key>`");
    return a;
  }

  faultApplies(route) {
    const routes = this.faults.faultRoutes;
    if (!routes || routes.length === 0) return FUNCTION_ROUTES.some((r) => route === r || route.startsWith(r + "/"));
    return routes.some((r) => route === r || route.startsWith(r.endsWith("/") ? r : r + "/"));
  }

  async handle(req, res) {
    this.requests++;
    const url = new URL(req.url, "http://x");
    const route = url.pathname.replace(/\/+$/, "") || "/";
    try {
      const faulty = this.faultApplies(route);
      if (faulty) {
        const f = this.faults;
        if (f.faultLatencyMs > 0) await new Promise((r) => setTimeout(r, f.faultLatencyMs));
        if (f.faultDrop > 0 && f.faultDropPhase === "before" && this.rand() < f.faultDrop) {
          req.socket.destroy();
          return;
        }
        if (f.fault503 > 0 && this.rand() < f.fault503) {
          throw new HttpError(
            503,
            "OptimisticConcurrencyControlFailure",
            "Data read or written in this mutation changed while it was being run. (fault injected by the Convex emulator)",
          );
        }
        if (f.fault429 > 0 && this.rand() < f.fault429) {
          throw new HttpError(429, "TooManyConcurrentRequests", "Too many concurrent requests. (fault injected by the Convex emulator)", {
            "retry-after": "1",
          });
        }
      }
      await this.route(req, res, route, url, faulty);
    } catch (e) {
      if (e instanceof HttpError || e instanceof DeployError || e instanceof SnapshotError) {
        this.sendError(res, e.status, e.code, e.message, e.headers);
      } else {
        process.stderr.write(`convex-emulator: internal error on ${route}: ${e?.stack ?? e}\n`);
        this.sendError(res, 500, "InternalServerError", String(e?.message ?? e));
      }
    }
  }

  async route(req, res, route, url, faulty) {
    const method = req.method;
    if (route === "/version" && method === "GET") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`convex-emulator-${VERSION}`);
      return;
    }
    if (route === "/_emulator/health") {
      this.send(
        res,
        200,
        JSON.stringify({
          status: "ok",
          version: VERSION,
          uptimeMs: Date.now() - this.startedAt,
          documents: this.db.documentCount(),
          tables: Object.fromEntries([...this.db.tables.values()].map((t) => [t.name, t.docs.size])),
          commits: this.db.commits,
          functions: this.runtime.functions.size,
          durable: !!this.persistence,
          pendingTransactions: this.runtime.executor.queued,
          activeMutations: this.mutations.active,
          queuedMutations: this.mutations.waiters.length,
        }),
      );
      return;
    }
    if (route === "/_emulator/faults") {
      this.requireAdmin(req);
      if (method === "POST") {
        const body = await this.jsonBody(req);
        this.faults = normalizeFaults(body, this.faults);
        this.rand = this.faults.faultSeed != null ? mulberry32(this.faults.faultSeed) : Math.random;
      }
      this.send(res, 200, JSON.stringify(this.faults));
      return;
    }
    if (route === "/_emulator/reset" && method === "POST") {
      this.requireAdmin(req);
      await this.runtime.executor.run(async () => this.reset());
      this.send(res, 200, JSON.stringify({ status: "ok" }));
      return;
    }
    if (route === "/api/list_snapshot" || route === "/api/document_deltas") {
      this.requireAdmin(req);
      const params = Object.fromEntries(url.searchParams);
      if (method === "POST") Object.assign(params, await this.jsonBody(req));
      const body = await this.runtime.executor.run(async () =>
        route === "/api/list_snapshot" ? this.listSnapshot(params) : this.documentDeltas(params),
      );
      this.send(res, 200, body);
      return;
    }
    if (route === "/api/stream_function_logs" && method === "GET") {
      this.requireAdmin(req);
      const out = await this.logs.poll(Number(url.searchParams.get("cursor")) || 0);
      this.send(res, 200, JSON.stringify(out));
      return;
    }
    if (route === "/api/query_ts" && method === "POST") {
      this.send(res, 200, `{"ts":${this.db.lastTs}}`);
      return;
    }
    let kind = null;
    let path = null;
    let needAdmin = false;
    if (method === "POST") {
      if (route === "/api/query" || route === "/api/query_at_ts") kind = "query";
      else if (route === "/api/mutation") kind = "mutation";
      else if (route === "/api/action") kind = "action";
      else if (route === "/api/function") {
        kind = "any";
        needAdmin = true;
      } else if (route.startsWith("/api/run/")) {
        kind = "any";
        const parts = decodeURIComponent(route.slice("/api/run/".length)).split("/");
        path = `${parts.slice(0, -1).join("/")}:${parts[parts.length - 1]}`;
      }
    }
    if (kind === null && (await this.deployments.handle(req, res, route))) return;
    if (kind === null && (await this.transfers.handle(req, res, route, url))) return;
    if (kind === null) {
      throw new HttpError(404, "NotFound", `No route for ${method} ${route}`);
    }
    const auth = this.auth(req);
    if (needAdmin && !auth.admin) throw new HttpError(401, "MissingAdminKey", "/api/function requires an admin key");
    const body = await this.jsonBody(req);
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw new HttpError(400, "BadJsonBody", "Request body must be a JSON object");
    if (path === null) path = body.path;
    // Only `format` is needed after the function runs (so the parsed body is not kept alive).
    const format = body.format;
    if (typeof path !== "string") throw new HttpError(400, "BadJsonBody", "Missing field `path`");
    let args = body.args;
    if (args === undefined || args === null) args = {};
    if (Array.isArray(args)) {
      if (args.length > 1) throw new HttpError(400, "BadJsonBody", "args must be an object or an array of one object");
      args = args.length === 0 ? {} : args[0];
    }
    const fn = this.runtime.resolve(path);
    const isMutation = fn !== null && fn.kind === "mutation" && (kind === "mutation" || kind === "any");
    let permit = false;
    if (isMutation) {
      const wait = this.writeLimiter.check();
      if (wait > 0) {
        throw new HttpError(429, "TooManyWrites", `Write throughput limit exceeded (${this.opts.writeLimitMiBPerS} MiB/s). Retry after ${wait} s.`, {
          "retry-after": String(wait),
        });
      }
      permit = await this.mutations.acquire();
      if (!permit) {
        throw new HttpError(
          429,
          "TooManyConcurrentMutations",
          `Too many concurrent mutations: more than ${this.opts.maxConcurrentMutations} ran for longer than ${this.opts.mutationQueueTimeoutMs} ms. Retry later.`,
          { "retry-after": "1" },
        );
      }
    }
    let result;
    try {
      result = await this.runtime.call({ path, args, kind, admin: auth.admin, identity: auth.identity });
      if (result.durable) await result.durable;
    } finally {
      if (permit) this.mutations.release();
    }
    if (result.bytesWritten) this.writeLimiter.consume(result.bytesWritten);
    if (faulty && isMutation && this.faults.faultDrop > 0 && this.faults.faultDropPhase === "after" && this.rand() < this.faults.faultDrop) {
      req.socket.destroy();
      return;
    }
    if (result.system) throw new HttpError(result.system.http, result.system.code, result.system.message);
    const logLines = JSON.stringify(result.logLines ?? []);
    if (result.status === "success") {
      this.send(res, 200, `{"status":"success","value":${formatValue(result.value, format)},"logLines":${logLines}}`);
    } else {
      let s = `{"status":"error","errorMessage":${JSON.stringify(result.errorMessage)}`;
      if (result.errorData !== undefined) s += `,"errorData":${formatValue(JSON.stringify(result.errorData), format)}`;
      this.send(res, 200, s + `,"logLines":${logLines}}`);
    }
  }

  /** Switches to a pushed schema and functions (between two transactions, see deploy.js). */
  applyDeployment(schema, functions) {
    this.previousSchemaText = this.schema ? JSON.stringify(this.schema) : null;
    this.schema = schema;
    this.db.setSchema(schema);
    this.runtime.setFunctions(functions);
    this.sync.invalidateAll();
  }

  /** Drops all data (admin route for tests). Table numbers restart from the schema's. */
  reset() {
    const db = new Database({ schema: this.schema, retainChanges: this.opts.retainChanges });
    db.lastTs = this.db.lastTs;
    db.lastCreationTime = this.db.lastCreationTime;
    db.minLogTs = db.lastTs;
    db.initSchemaTables();
    if (this.persistence) {
      this.persistence.db = db;
      db.persist = this.db.persist;
      db.durable = this.db.durable;
      this.persistence.compact();
      db.pendingTables = [];
    }
    this.db = db;
    this.runtime.db = db;
    db.onCommit = (changes) => this.sync.onCommit(changes);
    this.sync.invalidateAll();
  }

  // ------------------------------------------------------------------------------------------
  // Streaming export
  // ------------------------------------------------------------------------------------------

  _parseTs(v, name) {
    if (v === undefined || v === null || v === "") return null;
    try {
      return BigInt(v);
    } catch {
      throw new HttpError(400, "BadRequest", `${name} must be an integer timestamp`);
    }
  }

  listSnapshot(params) {
    const db = this.db;
    const clean = params.format !== "convex_encoded_json";
    let snapshot = this._parseTs(params.snapshot, "snapshot") ?? db.lastTs;
    if (snapshot > db.lastTs) snapshot = db.lastTs;
    if (snapshot < db.minLogTs) {
      throw new HttpError(400, "SnapshotTooOld", `Snapshot ${snapshot} is older than the retained history (${db.minLogTs}). Start a new snapshot.`);
    }
    // Versions as of the snapshot for documents changed after it.
    const overlay = new Map();
    for (let i = db.log.length - 1; i >= db.logStart; i--) {
      const e = db.log[i];
      if (e.ts <= snapshot) break;
      for (const c of e.changes) overlay.set(c.id, { table: c.table, doc: c.prev, ts: null });
    }
    // Timestamps of overlay versions: the commit that wrote `prev` is at or before the snapshot.
    let tables = [...db.tables.values()].sort((a, b) => a.number - b.number);
    if (params.tableName) tables = tables.filter((t) => t.name === params.tableName);
    let cursorId = typeof params.cursor === "string" && params.cursor ? params.cursor : null;
    const cursorTable = cursorId ? decodeIdTableNumber(cursorId) : -1;
    if (cursorId && cursorTable < 0) throw new HttpError(400, "InvalidCursor", `Invalid cursor ${cursorId}`);
    const values = [];
    let bytes = 0;
    let lastId = cursorId;
    let hasMore = false;
    outer: for (const t of tables) {
      if (cursorId && t.number < cursorTable) continue;
      const after = cursorId && t.number === cursorTable ? cursorId : null;
      // Documents deleted after the snapshot are not in the index any more: merge them in.
      const extra = [];
      for (const [id, o] of overlay) if (o.table === t && o.doc !== null && !t.docs.has(id) && (after === null || id > after)) extra.push(id);
      extra.sort();
      let xi = 0;
      const it = t.byId.sortedMap(t).range(after === null ? "" : encodeKeyValue(after) + KEY_MAX_CHAR, KEY_MAX_CHAR);
      let nextIndexed = it.next();
      for (;;) {
        let id;
        const idxId = nextIndexed.done ? null : nextIndexed.value[1];
        if (idxId === null && xi >= extra.length) break;
        if (idxId !== null && (xi >= extra.length || idxId < extra[xi])) {
          id = idxId;
          nextIndexed = it.next();
        } else {
          id = extra[xi++];
        }
        let doc;
        let ts;
        const o = overlay.get(id);
        if (o !== undefined) {
          doc = o.doc;
          if (doc === null) continue; // created after the snapshot
          ts = this._versionTsAtOrBefore(id, snapshot) ?? snapshot;
        } else {
          doc = t.docs.get(id);
          ts = snapshot;
        }
        if (values.length >= SNAPSHOT_PAGE_DOCS || bytes >= SNAPSHOT_PAGE_BYTES) {
          hasMore = true;
          break outer;
        }
        const s = docWithMeta(doc, t.name, ts, clean);
        bytes += s.length;
        values.push(s);
        lastId = id;
      }
    }
    return `{"values":[${values.join(",")}],"hasMore":${hasMore},"snapshot":${snapshot},"cursor":${JSON.stringify(lastId ?? "")}}`;
  }

  _versionTsAtOrBefore(id, ts) {
    const db = this.db;
    for (let i = db.log.length - 1; i >= db.logStart; i--) {
      const e = db.log[i];
      if (e.ts > ts) continue;
      for (const c of e.changes) if (c.id === id) return e.ts;
    }
    return null;
  }

  documentDeltas(params) {
    const db = this.db;
    const clean = params.format !== "convex_encoded_json";
    const cursor = this._parseTs(params.cursor, "cursor");
    if (cursor === null) throw new HttpError(400, "BadRequest", "document_deltas requires a `cursor` (a timestamp from list_snapshot)");
    if (cursor < db.minLogTs) {
      throw new HttpError(400, "CursorTooOld", `Cursor ${cursor} is older than the retained history (${db.minLogTs}). Start a new snapshot.`);
    }
    // First log entry with ts > cursor.
    let lo = db.logStart;
    let hi = db.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (db.log[mid].ts <= cursor) lo = mid + 1;
      else hi = mid;
    }
    const values = [];
    let last = cursor;
    let i = lo;
    for (; i < db.log.length && values.length < DELTA_PAGE_DOCS; i++) {
      const e = db.log[i];
      for (const c of e.changes) {
        if (params.tableName && c.table.name !== params.tableName) continue;
        if (c.doc === null) values.push(`{"_id":${JSON.stringify(c.id)},"_table":${JSON.stringify(c.table.name)},"_ts":${e.ts},"_deleted":true}`);
        else values.push(docWithMeta(c.doc, c.table.name, e.ts, clean));
      }
      last = e.ts;
    }
    const hasMore = i < db.log.length;
    if (!hasMore && db.lastTs > last) last = db.lastTs;
    return `{"values":[${values.join(",")}],"hasMore":${hasMore},"cursor":${last}}`;
  }
}
