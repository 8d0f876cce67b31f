// The websocket sync protocol of Convex's clients (`ConvexClient`, `ConvexReactClient`; convex 1.48
// `browser/sync/protocol.js`) on `/api/<version>/sync`: Connect, Authenticate (admin key, JWT or none),
// ModifyQuerySet (subscribe / unsubscribe), Mutation and Action requests; the server answers with
// Transitions (query results between two versions {querySet, identity, ts}), MutationResponse,
// ActionResponse, AuthError, FatalError and Ping. Reactivity: every query run for a subscription
// records the tables it read; after commits (coalesced per event-loop turn) each session re-runs the
// queries whose tables changed, all in one transaction slot so one Transition shows one snapshot,
// and sends only the results that differ. Every Transition advances to the latest commit, which is
// what the client waits for to complete a mutation.
import http from "node:http";
import { PassThrough } from "node:stream";
import { WebSocketServer } from "ws";

const PING_MS = 15_000;
const MAX_MESSAGE = 64 * 1024 * 1024;

/** A commit timestamp (BigInt ns) as the protocol's u64: base64 of 8 little-endian bytes. */
export function tsToU64(ts) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(ts));
  return b.toString("base64");
}

function parseJwtIdentity(token) {
  const payload = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
  const identity = { ...payload, subject: payload.sub, issuer: payload.iss, tokenIdentifier: `${payload.iss}|${payload.sub}` };
  delete identity.sub;
  delete identity.iss;
  return identity;
}

export class SyncServer {
  /** @param {import("./server.js").Emulator} emulator */
  constructor(emulator) {
    this.em = emulator;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE, perMessageDeflate: false });
    /** @type {Set<Session>} */
    this.sessions = new Set();
    this.flushScheduled = false;
  }

  /** Takes over websocket upgrades on `/api/<version>/sync` of the HTTP server. */
  attach(server) {
    server.on("upgrade", (req, socket, head) => {
      if (String(req.headers.upgrade ?? "").toLowerCase() !== "websocket") {
        // Another protocol offered on an HTTP/1.1 request (Java's HttpClient offers h2c): decline it
        // and answer the request as usual, as a server without upgrade handling does.
        const res = new http.ServerResponse(req);
        res.shouldKeepAlive = false;
        res.assignSocket(socket);
        res.on("finish", () => {
          res.detachSocket(socket);
          socket.end();
        });
        // The socket left the HTTP parser with the upgrade, and the request has ended: its body
        // (Content-Length bytes, the first of them in `head`) reaches the handler through a stand-in.
        const body = new PassThrough();
        const request = Object.assign(body, {
          headers: req.headers,
          method: req.method,
          url: req.url,
          httpVersion: req.httpVersion,
          socket,
        });
        const length = Number(req.headers["content-length"] ?? 0);
        let received = 0;
        const feed = (chunk) => {
          const part = chunk.subarray(0, Math.max(0, length - received));
          received += part.length;
          if (part.length > 0) body.write(part);
          if (received >= length) {
            socket.removeListener("data", feed);
            body.end();
          }
        };
        if (length <= 0) body.end();
        else {
          if (head && head.length > 0) feed(head);
          if (received < length) socket.on("data", feed);
        }
        server.emit("request", request, res);
        return;
      }
      const route = new URL(req.url, "http://x").pathname;
      if (!/^\/api\/[^/]+\/sync\/?$/.test(route)) {
        socket.end("HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n\r\n" + JSON.stringify({ code: "NotFound", message: `No route for ${route}` }));
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const s = new Session(this, ws);
        this.sessions.add(s);
        ws.on("close", () => s.close());
      });
    });
  }

  close() {
    for (const s of this.sessions) s.ws.terminate();
    this.sessions.clear();
    this.wss.close();
  }

  /** Called by the database after each commit with its changes. */
  onCommit(changes) {
    if (this.sessions.size === 0) return;
    for (const s of this.sessions) for (const c of changes) s.dirty.add(c.table.name);
    this.scheduleFlush();
  }

  /** Every subscription must be re-run (a reset or a deploy). */
  invalidateAll() {
    for (const s of this.sessions) s.dirtyAll = true;
    this.scheduleFlush();
  }

  scheduleFlush() {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const s of this.sessions) s.enqueue(() => s.transition([], []));
    });
  }
}

class Session {
  constructor(server, ws) {
    this.server = server;
    this.em = server.em;
    this.ws = ws;
    this.querySet = 0;
    this.identityVersion = 0;
    this.ts = 0n;
    /** queryId -> {udfPath, args, tables: Set<string>|null, last: string|null} */
    this.queries = new Map();
    this.auth = { admin: false, identity: null };
    /** Tables written since the last Transition. */
    this.dirty = new Set();
    this.dirtyAll = false;
    this.mustTransition = false;
    this.closed = false;
    this.chain = Promise.resolve();
    this.ping = setInterval(() => this.send('{"type":"Ping"}'), PING_MS);
    ws.on("message", (data) => this.onMessage(data));
    ws.on("error", () => {});
  }

  close() {
    this.closed = true;
    clearInterval(this.ping);
    this.server.sessions.delete(this);
  }

  send(text) {
    if (!this.closed && this.ws.readyState === 1) this.ws.send(text);
  }

  fatal(message) {
    this.send(JSON.stringify({ type: "FatalError", error: message }));
    this.ws.close(1011, "FatalError");
  }

  /** Messages are handled one at a time, in order. */
  enqueue(fn) {
    this.chain = this.chain.then(async () => {
      if (this.closed) return;
      try {
        await fn();
      } catch (e) {
        process.stderr.write(`convex-emulator: sync session error: ${e?.stack ?? e}\n`);
        this.fatal(String(e?.message ?? e));
      }
    });
  }

  onMessage(data) {
    let msg;
    try {
      msg = JSON.parse(data.toString("utf8"));
    } catch {
      this.fatal("Invalid message: not JSON");
      return;
    }
    switch (msg.type) {
      case "Connect":
      case "Event":
        return;
      case "ModifyQuerySet":
        return this.enqueue(() => this.modifyQuerySet(msg));
      case "Authenticate":
        return this.enqueue(() => this.authenticate(msg));
      // Requests run concurrently with the session's transitions (as over HTTP), answered when done.
      case "Mutation":
      case "Action":
        void this.request(msg);
        return;
      default:
        this.fatal(`Unknown message type ${msg.type}`);
    }
  }

  async modifyQuerySet(msg) {
    if (msg.baseVersion !== this.querySet) {
      throw new Error(`Base version ${msg.baseVersion} of ModifyQuerySet does not match the server's query set version ${this.querySet}`);
    }
    const added = [];
    const removed = [];
    for (const m of msg.modifications ?? []) {
      if (m.type === "Add") {
        const q = { udfPath: m.udfPath, args: Array.isArray(m.args) ? (m.args[0] ?? {}) : (m.args ?? {}), tables: null, last: null };
        this.queries.set(m.queryId, q);
        added.push(m.queryId);
      } else if (m.type === "Remove") {
        if (this.queries.delete(m.queryId)) removed.push(m.queryId);
      }
    }
    this.querySet = msg.newVersion;
    await this.transition(added, removed, msg.baseVersion);
  }

  async authenticate(msg) {
    const base = msg.baseVersion;
    let auth;
    try {
      if (msg.tokenType === "Admin") {
        const key = this.em.opts.adminKey;
        if (msg.value !== key) throw new Error("The provided admin key was invalid for this instance");
        auth = { admin: true, identity: msg.impersonating ?? null };
      } else if (msg.tokenType === "User") {
        auth = { admin: false, identity: parseJwtIdentity(msg.value) };
      } else {
        auth = { admin: false, identity: null };
      }
    } catch (e) {
      this.send(JSON.stringify({ type: "AuthError", error: e.message, baseVersion: base, authUpdateAttempted: true }));
      return;
    }
    this.auth = auth;
    this.identityVersion = base + 1;
    this.dirtyAll = true; // results depend on the identity
    await this.transition([], [], null, base);
  }

  /**
   * Sends one Transition: runs the added queries and the subscribed ones whose tables changed, at one
   * snapshot, and moves the client's version to {querySet, identity, ts of the latest commit}.
   */
  async transition(added, removed, querySetBase = null, identityBase = null) {
    const start = { querySet: querySetBase ?? this.querySet, identity: identityBase ?? this.identityVersion, ts: this.ts };
    const runtime = this.em.runtime;
    const mods = [];
    let ts;
    await runtime.executor.run(async () => {
      const dirty = this.dirty;
      const all = this.dirtyAll;
      this.dirty = new Set();
      this.dirtyAll = false;
      ts = this.em.db.lastTs;
      const addedSet = new Set(added);
      for (const [queryId, q] of this.queries) {
        const stale = addedSet.has(queryId) || all || q.tables === null || [...q.tables].some((t) => dirty.has(t));
        if (!stale) continue;
        const r = await runtime.runSubscription(q.udfPath, q.args, this.auth);
        q.tables = r.tables;
        let text;
        if (r.status === "success") {
          text = `{"type":"QueryUpdated","queryId":${queryId},"value":${r.value},"logLines":${JSON.stringify(r.logLines ?? [])},"journal":null}`;
        } else {
          const m = { type: "QueryFailed", queryId, errorMessage: r.errorMessage, logLines: r.logLines ?? [], journal: null };
          if (r.errorData !== undefined) m.errorData = r.errorData;
          text = JSON.stringify(m);
        }
        // Only what changed is sent (a new subscription always gets its result).
        const key = r.status === "success" ? r.value : text;
        if (addedSet.has(queryId) || key !== q.last) mods.push(text);
        q.last = key;
      }
    });
    for (const id of removed) mods.push(`{"type":"QueryRemoved","queryId":${id}}`);
    const end = { querySet: this.querySet, identity: this.identityVersion, ts };
    const force = this.mustTransition;
    this.mustTransition = false;
    if (!force && mods.length === 0 && end.ts === start.ts && end.querySet === start.querySet && end.identity === start.identity) return;
    this.ts = ts;
    const v = (x) => `{"querySet":${x.querySet},"identity":${x.identity},"ts":"${tsToU64(x.ts)}"}`;
    this.send(`{"type":"Transition","startVersion":${v(start)},"endVersion":${v(end)},"modifications":[${mods.join(",")}]}`);
  }

  async request(msg) {
    const kind = msg.type === "Mutation" ? "mutation" : "action";
    const args = Array.isArray(msg.args) ? (msg.args[0] ?? {}) : (msg.args ?? {});
    const em = this.em;
    let result;
    let permit = false;
    try {
      const f = em.runtime.resolve(msg.udfPath);
      if (kind === "mutation" && f && f.kind === "mutation") {
        permit = await em.mutations.acquire();
        if (!permit) {
          result = { status: "error", errorMessage: `Too many concurrent mutations (more than ${em.opts.maxConcurrentMutations}). Retry later.`, logLines: [] };
        }
      }
      if (!result) {
        result = await em.runtime.call({ path: msg.udfPath, args, kind, admin: this.auth.admin, identity: this.auth.identity });
        if (result.durable) await result.durable;
      }
    } catch (e) {
      result = { status: "error", errorMessage: String(e?.message ?? e), logLines: [] };
    } finally {
      if (permit) em.mutations.release();
    }
    if (result.system) result = { status: "error", errorMessage: `${result.system.code}: ${result.system.message}`, logLines: [] };
    const type = kind === "mutation" ? "MutationResponse" : "ActionResponse";
    const logLines = JSON.stringify(result.logLines ?? []);
    if (result.status === "success") {
      let s = `{"type":"${type}","requestId":${msg.requestId},"success":true,"result":${result.value},"logLines":${logLines}`;
      if (kind === "mutation") s += `,"ts":"${tsToU64(em.db.lastTs)}"`;
      this.send(s + "}");
      if (kind === "mutation") {
        // The client completes the mutation once a Transition reaches that timestamp: send one
        // even when the mutation changed nothing this session reads.
        this.mustTransition = true;
        this.server.scheduleFlush();
      }
    } else {
      const m = { type, requestId: msg.requestId, success: false, result: result.errorMessage, logLines: result.logLines ?? [] };
      if (result.errorData !== undefined) m.errorData = result.errorData;
      this.send(JSON.stringify(m));
    }
  }
}
