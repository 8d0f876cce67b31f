// The export / import routes and system queries the official CLI uses, around snapshot.js:
// POST /api/export/request/zip, `_system/cli/exports:getLatest`, GET /api/export/zip/<ts>;
// POST /api/import/start_upload, upload_part, finish_upload, `_system/cli/queryImport` (+ `:list`),
// POST /api/perform_import. An export is taken at once (one snapshot, between transactions); an
// import is parsed when its upload finishes, waits for the CLI's confirmation, then is applied in
// one slot of the transaction queue (several commits of up to 4,000 documents each, so Convex's
// per-transaction limits do not apply to it, and no other transaction runs in between).
import crypto from "node:crypto";
import { exportZip, parseImport, SnapshotError } from "./snapshot.js";
import { int64ToJson } from "./values.js";
import { compileValidator } from "./validator.js";

const IMPORT_CHUNK = 4000;
const UPLOAD_LIMIT = 1024 * 1024 * 1024;

function systemQuery(handler) {
  const fn = async () => null;
  fn.isQuery = true;
  fn.isInternal = true;
  fn.volatile = true; // reads emulator state, not tables: re-run on every change
  fn.exportArgs = () => '{"type":"any"}';
  fn.invokeQuery = async (argsStr) => JSON.stringify(handler(JSON.parse(argsStr)[0] ?? {}));
  return fn;
}

function readRaw(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > limit) {
        reject(new SnapshotError(413, "PayloadTooLarge", `Upload is too large (limit ${limit} bytes)`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export class Transfers {
  /** @param {import("./server.js").Emulator} emulator */
  constructor(emulator) {
    this.em = emulator;
    /** @type {null | {state: string, start_ts: bigint, zip: Buffer | null}} */
    this.latestExport = null;
    /** uploadToken -> Buffer[] (parts by number) */
    this.uploads = new Map();
    /** importId -> import */
    this.imports = new Map();
  }

  systemFunctions() {
    return new Map([
      [
        "_system/cli/exports:getLatest",
        systemQuery(() => {
          const e = this.latestExport;
          if (!e) return null;
          return { state: e.state, start_ts: int64ToJson(e.start_ts), complete_ts: int64ToJson(e.start_ts), format: { format: "zip", include_storage: false } };
        }),
      ],
      ["_system/cli/queryImport:list", systemQuery(() => [...this.imports.values()].map((i) => ({ _id: i.id, state: i.state })))],
      [
        "_system/cli/queryImport:default",
        systemQuery(({ importId }) => {
          const i = this.imports.get(importId);
          return i ? { _id: i.id, state: i.state } : null;
        }),
      ],
    ]);
  }

  changed() {
    this.em.sync.invalidateAll();
  }

  /** Handles the export/import routes; false when the route is not one of them. */
  async handle(req, res, route, url) {
    if (!route.startsWith("/api/export/") && !route.startsWith("/api/import/") && route !== "/api/perform_import") return false;
    this.em.requireAdmin(req);
    if (route === "/api/export/request/zip" && req.method === "POST") {
      if (url.searchParams.get("includeStorage") === "true") {
        // No file storage here: an export with storage is the same as one without.
      }
      await this.em.runtime.executor.run(async () => {
        const db = this.em.db;
        this.latestExport = { state: "completed", start_ts: db.lastTs, zip: exportZip(db) };
      });
      this.changed();
      this.em.send(res, 200, "{}");
      return true;
    }
    const m = /^\/api\/export\/zip\/(\d+)$/.exec(route);
    if (m && req.method === "GET") {
      const e = this.latestExport;
      if (!e || e.start_ts.toString() !== m[1]) throw new SnapshotError(404, "ExportNotFound", `No export at timestamp ${m[1]}`);
      res.writeHead(200, {
        "content-type": "application/zip",
        "content-length": e.zip.length,
        "content-disposition": `attachment; filename=snapshot_${m[1]}.zip`,
      });
      res.end(e.zip);
      return true;
    }
    if (route === "/api/import/start_upload" && req.method === "POST") {
      const token = crypto.randomUUID();
      this.uploads.set(token, []);
      this.em.send(res, 200, JSON.stringify({ uploadToken: token }));
      return true;
    }
    if (route === "/api/import/upload_part" && req.method === "POST") {
      const parts = this.uploads.get(url.searchParams.get("uploadToken"));
      if (!parts) throw new SnapshotError(400, "InvalidUploadToken", "Unknown upload token");
      const n = Number(url.searchParams.get("partNumber"));
      const data = await readRaw(req, UPLOAD_LIMIT);
      parts[n - 1] = data;
      this.em.send(res, 200, JSON.stringify(`part-${n}`));
      return true;
    }
    if (route === "/api/import/finish_upload" && req.method === "POST") {
      const body = await this.em.jsonBody(req);
      const parts = this.uploads.get(body.uploadToken);
      if (!parts) throw new SnapshotError(400, "InvalidUploadToken", "Unknown upload token");
      this.uploads.delete(body.uploadToken);
      const args = body.import ?? {};
      const id = `import-${crypto.randomUUID()}`;
      const imp = { id, args, state: null, parsed: null };
      try {
        imp.parsed = parseImport(Buffer.concat(parts), args);
        imp.state = this.confirmationState(imp);
      } catch (e) {
        imp.state = { state: "failed", error_message: e.message };
      }
      this.imports.set(id, imp);
      this.em.send(res, 200, JSON.stringify({ importId: id }));
      return true;
    }
    if (route === "/api/perform_import" && req.method === "POST") {
      const body = await this.em.jsonBody(req);
      const imp = this.imports.get(body.importId);
      if (!imp || imp.state?.state !== "waiting_for_confirmation") throw new SnapshotError(400, "ImportNotFound", "No import waiting for confirmation with that id");
      imp.state = { state: "in_progress", progress_message: "Importing", checkpoint_messages: [] };
      this.changed();
      try {
        const n = await this.em.runtime.executor.run(async () => this.apply(imp));
        imp.state = { state: "completed", num_rows_written: n, checkpoint_messages: [] };
      } catch (e) {
        imp.state = { state: "failed", error_message: e.message };
      }
      imp.parsed = null;
      this.changed();
      this.em.send(res, 200, "{}");
      return true;
    }
    throw new SnapshotError(404, "NotFound", `No route for ${req.method} ${route}`);
  }

  confirmationState(imp) {
    const { tables } = imp.parsed;
    const mode = imp.args.mode ?? "requireEmpty";
    const db = this.em.db;
    const lines = [];
    let overwrites = false;
    for (const [name, docs] of tables) {
      const existing = db.tables.get(name)?.docs.size ?? 0;
      if (mode === "requireEmpty" && existing > 0) {
        return { state: "failed", error_message: `Table "${name}" is not empty (${existing} documents): use --append or --replace` };
      }
      if ((mode === "replace" || mode === "replaceAll") && existing > 0) overwrites = true;
      lines.push(`  ${name}: ${mode === "replace" || mode === "replaceAll" ? `delete ${existing} documents, ` : ""}add ${docs.length} documents`);
    }
    if (mode === "replaceAll") {
      for (const t of db.tables.values()) {
        if (!tables.has(t.name) && t.docs.size > 0) {
          overwrites = true;
          lines.push(`  ${t.name}: delete ${t.docs.size} documents`);
        }
      }
    }
    return {
      state: "waiting_for_confirmation",
      message_to_confirm: `Import change summary:\n${lines.join("\n")}`,
      require_manual_confirmation: overwrites,
    };
  }

  /** Applies a confirmed import; runs in one executor slot. Returns the number of documents written. */
  async apply(imp) {
    const { tables, keepIds } = imp.parsed;
    const mode = imp.args.mode ?? "requireEmpty";
    const db = this.em.db;
    const durable = [];
    const commitChunks = (work) => {
      for (let i = 0; i < work.length; i += IMPORT_CHUNK) {
        const tx = db.begin("mutation");
        try {
          for (const w of work.slice(i, i + IMPORT_CHUNK)) w(tx);
          if (tx.fatal) throw new Error(tx.fatal.message);
        } catch (e) {
          db.rollback(tx);
          throw e;
        }
        if (db.commit(tx) > 0 && db.durable) durable.push(db.durable());
      }
    };
    // Checked up front so a bad import changes nothing (each chunk is its own commit).
    for (const [name, docs] of tables) {
      if (mode === "requireEmpty" && (db.tables.get(name)?.docs.size ?? 0) > 0) throw new Error(`Table "${name}" is not empty`);
      if (!db.schema?.schemaValidation) continue;
      const def = db.schemaTables.get(name);
      if (!def) throw new Error(`Failed to import into table "${name}": the table is not in the schema.`);
      const check = compileValidator(def.documentType, (t, id) => db.isIdOfTable(t, id));
      for (const d of docs) {
        const { _id, _creationTime, ...value } = d ?? {};
        const err = d !== null && typeof d === "object" && !Array.isArray(d) ? check(value, "") : "not an object";
        if (err !== null) throw new Error(`Failed to import into table "${name}" because a document does not match the schema: ${err}`);
      }
    }
    const deletes = [];
    const toClear = mode === "replaceAll" ? [...db.tables.keys()] : mode === "replace" ? [...tables.keys()] : [];
    for (const name of toClear) {
      const t = db.tables.get(name);
      if (t) for (const id of [...t.docs.keys()]) deletes.push((tx) => db.remove(tx, name, id));
    }
    const inserts = [];
    for (const [name, docs] of tables) {
      for (const d of docs) {
        if (d === null || typeof d !== "object" || Array.isArray(d)) throw new Error(`Table "${name}": every document must be an object`);
        const { _id, _creationTime, ...value } = d;
        inserts.push((tx) => db.importDocument(tx, name, keepIds ? _id : null, keepIds ? _creationTime : null, value));
      }
    }
    commitChunks(deletes);
    commitChunks(inserts);
    await Promise.all(durable);
    return inserts.length;
  }
}
