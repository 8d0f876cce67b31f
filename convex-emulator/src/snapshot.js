// Snapshot export and import as the official CLI drives them (`npx convex export --path F.zip`,
// `npx convex import [--table T] F.zip|F.jsonl|F.json`), in Convex's formats: a ZIP with README.md,
// `_tables/documents.jsonl` ({name, id: table number}) and per table `<table>/documents.jsonl` in the
// "export JSON" encoding (Int64 as a JSON integer, Float64 always with a fraction or exponent, bytes
// `{"$bytes"}`, non-finite floats `{"$float"}`) plus `<table>/generated_schema.jsonl` (`"uniform"`).
// Imports: ZIP documents read back losslessly (integers -> Int64) keeping `_id`/`_creationTime` where
// the id fits this deployment's table; JSONL / JSON array read as Convex's clean JSON (numbers are
// Float64); modes requireEmpty, append, replace, replaceAll. ZIP files are written and read here
// (deflate via node:zlib) so no dependency is needed.
import zlib from "node:zlib";
import { int64ToJson, int64FromJson, floatFromJson, specialKey } from "./values.js";

export class SnapshotError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// ZIP
// ---------------------------------------------------------------------------------------------

const crcTable = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(buf) {
  if (typeof zlib.crc32 === "function") return zlib.crc32(buf) >>> 0;
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = crcTable[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** @param {{name: string, data: Buffer}[]} entries @returns {Buffer} */
export function writeZip(entries) {
  const parts = [];
  const central = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const data = zlib.deflateRawSync(e.data);
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(0, 10); // time, date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    parts.push(local, name, data);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(0x031e, 4); // made by unix
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x0800, 8);
    c.writeUInt16LE(8, 10);
    c.writeUInt32LE(0, 12);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(data.length, 20);
    c.writeUInt32LE(e.data.length, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    offset += 30 + name.length + data.length;
  }
  const cdSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...central, end]);
}

/** @returns {Map<string, Buffer>} entry name -> contents */
export function readZip(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new SnapshotError(400, "InvalidZip", "invalid zip file");
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map();
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new SnapshotError(400, "InvalidZip", "invalid zip file");
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localOff = buf.readUInt32LE(p + 42);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    const lNameLen = buf.readUInt16LE(localOff + 26);
    const lExtraLen = buf.readUInt16LE(localOff + 28);
    const start = localOff + 30 + lNameLen + lExtraLen;
    const raw = buf.subarray(start, start + csize);
    if (name.endsWith("/")) continue;
    if (method === 0) out.set(name, raw);
    else if (method === 8) out.set(name, zlib.inflateRawSync(raw));
    else throw new SnapshotError(400, "InvalidZip", `unsupported zip compression method ${method} for ${name}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Value encodings
// ---------------------------------------------------------------------------------------------

/** A stored (Convex-encoded JSON) value as Convex's "export JSON" text. */
export function exportJson(v) {
  if (v === null) return "null";
  switch (typeof v) {
    case "number": {
      const s = JSON.stringify(v);
      return /[.eE]/.test(s) ? s : s + ".0";
    }
    case "string":
    case "boolean":
      return JSON.stringify(v);
    default:
      break;
  }
  if (Array.isArray(v)) return `[${v.map(exportJson).join(",")}]`;
  const sk = specialKey(v);
  if (sk === "$integer") return int64FromJson(v).toString();
  if (sk === "$float") {
    const x = floatFromJson(v);
    return Number.isFinite(x) ? (Object.is(x, -0) ? "-0.0" : JSON.stringify(x)) : JSON.stringify(v);
  }
  if (sk !== null) return JSON.stringify(v);
  const keys = Object.keys(v);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${exportJson(v[k])}`).join(",")}}`;
}

/**
 * Parses JSON text into Convex-encoded JSON. lossless: integer literals (no fraction, no exponent)
 * become Int64 (`{"$integer"}`), as Convex reads a ZIP export's documents; otherwise every number is
 * a Float64, as Convex reads JSONL / JSON imports.
 */
export function parseConvexJson(text, lossless) {
  let i = 0;
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const fail = (msg) => {
    throw new SnapshotError(400, "InvalidJson", `${msg} at offset ${i}`);
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const o = {};
      ws();
      if (text[i] === "}") {
        i++;
        return o;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a string key");
        const k = str();
        ws();
        if (text[i++] !== ":") fail("expected ':'");
        o[k] = value();
        ws();
        const d = text[i++];
        if (d === "}") return o;
        if (d !== ",") fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const a = [];
      ws();
      if (text[i] === "]") {
        i++;
        return a;
      }
      for (;;) {
        a.push(value());
        ws();
        const d = text[i++];
        if (d === "]") return a;
        if (d !== ",") fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (text.startsWith("true", i)) {
      i += 4;
      return true;
    }
    if (text.startsWith("false", i)) {
      i += 5;
      return false;
    }
    if (text.startsWith("null", i)) {
      i += 4;
      return null;
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) fail("unexpected character");
    i += m[0].length;
    if (lossless && m[2] === undefined && m[3] === undefined) {
      const n = BigInt(m[0]);
      if (n >= -(2n ** 63n) && n < 2n ** 63n) return int64ToJson(n);
    }
    return Number(m[0]);
  };
  const str = () => {
    const start = i;
    i++;
    let simple = true;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") {
        simple = false;
        i += 2;
      } else i++;
    }
    if (i >= text.length) fail("unterminated string");
    i++;
    const raw = text.slice(start, i);
    return simple ? raw.slice(1, -1) : JSON.parse(raw);
  };
  const v = value();
  ws();
  if (i !== text.length) fail("unexpected text after the value");
  return v;
}

function jsonLines(buf, lossless, what) {
  const out = [];
  const lines = buf.toString("utf8").split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (!line) continue;
    try {
      out.push(parseConvexJson(line, lossless));
    } catch (e) {
      throw new SnapshotError(400, "InvalidJsonLine", `Failed to parse ${what} line ${n + 1}: ${e.message}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Export / import
// ---------------------------------------------------------------------------------------------

const README = `# Welcome to your Convex snapshot export!

This ZIP file contains a snapshot of the tables in your Convex deployment.

Documents for each table are listed as lines of JSON in
<table_name>/documents.jsonl files.

For details on the format and how to use this snapshot with npx convex import,
check out [the docs](https://docs.convex.dev/database/import-export/export) or
ask us in [Discord](http://convex.dev/community).
`;

/** The ZIP of all user tables (call where no transaction runs, for one snapshot). */
export function exportZip(db) {
  const tables = [...db.tables.values()].sort((a, b) => a.number - b.number);
  const entries = [{ name: "README.md", data: Buffer.from(README) }];
  entries.push({ name: "_tables/documents.jsonl", data: Buffer.from(tables.map((t) => JSON.stringify({ name: t.name, id: t.number }) + "\n").join("")) });
  for (const t of tables) {
    const ids = [...t.docs.keys()].sort();
    const lines = ids.map((id) => exportJson(t.docs.get(id)) + "\n");
    entries.push({ name: `${t.name}/documents.jsonl`, data: Buffer.from(lines.join("")) });
    entries.push({ name: `${t.name}/generated_schema.jsonl`, data: Buffer.from('"uniform"\n') });
  }
  return writeZip(entries);
}

/**
 * Parses an uploaded import into {tables: Map<name, docs[]>, keepIds}.
 * @param {Buffer} buf @param {{format: string, tableName?: string}} args
 */
export function parseImport(buf, args) {
  const tables = new Map();
  if (args.format === "zip") {
    const files = readZip(buf);
    for (const [name, data] of files) {
      const m = /^(?:.*\/)?([^/]+)\/documents\.jsonl$/.exec(name);
      if (!m || m[1].startsWith("_")) continue;
      const schemaFile = name.replace(/documents\.jsonl$/, "generated_schema.jsonl");
      const uniform = files.has(schemaFile) && files.get(schemaFile).toString("utf8").trim() === '"uniform"';
      tables.set(m[1], jsonLines(data, uniform, name));
    }
    if (args.tableName) {
      if (tables.size !== 1) throw new SnapshotError(400, "InvalidImport", "--table needs a ZIP file with exactly one table");
      const docs = [...tables.values()][0];
      tables.clear();
      tables.set(args.tableName, docs);
    }
    return { tables, keepIds: true };
  }
  if (!args.tableName) throw new SnapshotError(400, "InvalidImport", `Importing a ${args.format} file needs a table name (--table)`);
  let docs;
  if (args.format === "jsonLines") docs = jsonLines(buf, false, "JSONL");
  else if (args.format === "jsonArray") {
    docs = parseConvexJson(buf.toString("utf8"), false);
    if (!Array.isArray(docs)) throw new SnapshotError(400, "InvalidImport", "A JSON import must be an array of objects");
  } else throw new SnapshotError(400, "ImportFormatNotSupported", `The Convex emulator does not import ${args.format} files`);
  tables.set(args.tableName, docs);
  return { tables, keepIds: false };
}
