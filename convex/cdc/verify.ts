/**
 * pgconvex verification queries: what `./cdc verify` reads to prove the mirror equals Postgres.
 *
 * All functions are internal (admin or deploy key over HTTP, like `cdc/ingest`), read only, and stay inside
 * Convex's per-transaction read limits (see `convex/README.md`, "Verification"). The binding contract is
 * `docs/contracts.md` ("Convex functions", verification).
 *
 * A chunk is a range of source keys of one table, `after < key <= through` in key-text order (the order of
 * the `by_table_key` index), so the verifier walks Postgres and Convex in the same order and compares one
 * small answer per chunk: the number of live documents and an order-independent hash of them.
 *
 * The document hash (`docHash`) is specified in `docs/contracts.md` and implemented identically in Java
 * (`dev.pgconvex.verify.DocHash`); `tests/verifyHash.cases.json` holds cases both implementations must agree on.
 */
import { v, type Value } from "convex/values";
import type { TableNames } from "../_generated/dataModel";
import { internalQuery, type QueryCtx } from "../_generated/server";
import { assertMirroredTable, keyRowOfDoc } from "./ingest";

/** Key rows scanned per call at most: 1 index range for the scan plus 1 `get` per key row, far below 4,096. */
export const MAX_CHUNK_SCAN = 1000;

/** A call stops once the canonical bytes of its documents exceed this (Convex reads at most 16 MiB). */
export const MAX_CHUNK_BYTES = 8 * 1024 * 1024;

/** Keys per `keyDocs` call at most: 1 index range and 1 `get` per key. */
export const MAX_KEY_DOCS = 1000;

/** Documents per `unkeyedDocs` call at most: 1 page of the table plus 1 index range per document. */
export const MAX_UNKEYED_SCAN = 1000;

const boundValidator = v.optional(v.union(v.string(), v.null()));

/**
 * `chunkHash({ table, after?, through?, limit? })`: count and hash of the live documents of `table` whose
 * source key is in `(after, through]` (`after` null/absent/"" = from the first key, `through` null/absent =
 * to the last), in key-text order.
 *
 * Scans at most `limit` key rows (clamped to 1..`MAX_CHUNK_SCAN`, the default), and stops early after
 * `MAX_CHUNK_BYTES` of canonical document bytes. When it stopped before the end of the range, `isDone` is
 * false and the caller continues with `after: lastKey`; counts add up and hashes add up lane by lane
 * (`addHashes`), so the parts combine to the hash of the whole range.
 * Returns `{ count, hash, scanned, lastKey, isDone }`; `hash` is 16 lower-case hex digits.
 */
export const chunkHash = internalQuery({
  args: { table: v.string(), after: boundValidator, through: boundValidator, limit: v.optional(v.number()) },
  returns: v.object({
    count: v.number(),
    hash: v.string(),
    scanned: v.number(),
    lastKey: v.string(),
    isDone: v.boolean(),
  }),
  handler: async (ctx, { table, after, through, limit }) => {
    const max = clamp(limit ?? MAX_CHUNK_SCAN, MAX_CHUNK_SCAN);
    const start = after ?? "";
    const rows = await rangeRows(ctx, table, start, through ?? null, max);
    const sum = new HashSum();
    let count = 0;
    let scanned = 0;
    let lastKey = start;
    for (const row of rows) {
      if (sum.bytes > MAX_CHUNK_BYTES) break;
      scanned++;
      lastKey = row.key;
      const doc = await liveDoc(ctx, table, row.docId);
      if (doc === null) continue;
      count++;
      sum.addDoc(row.key, doc);
    }
    const isDone = rows.length < max && scanned === rows.length;
    return { count, hash: sum.hex(), scanned, lastKey, isDone };
  },
});

/**
 * `rangeDocs({ table, after?, through?, limit? })`: the live documents of the same range as `chunkHash`, for
 * drilling into a chunk whose hash differs: `{ page: [{ key, id, position, doc }], lastKey, isDone }`
 * (`doc` without `_id`/`_creationTime`). Same scan limits and continuation as `chunkHash`.
 */
export const rangeDocs = internalQuery({
  args: { table: v.string(), after: boundValidator, through: boundValidator, limit: v.optional(v.number()) },
  returns: v.object({
    page: v.array(v.object({ key: v.string(), id: v.string(), position: v.string(), doc: v.any() })),
    lastKey: v.string(),
    isDone: v.boolean(),
  }),
  handler: async (ctx, { table, after, through, limit }) => {
    const max = clamp(limit ?? MAX_CHUNK_SCAN, MAX_CHUNK_SCAN);
    const start = after ?? "";
    const rows = await rangeRows(ctx, table, start, through ?? null, max);
    const page: Array<{ key: string; id: string; position: string; doc: Record<string, Value> }> = [];
    let bytes = 0;
    let scanned = 0;
    let lastKey = start;
    for (const row of rows) {
      if (bytes > MAX_CHUNK_BYTES) break;
      scanned++;
      lastKey = row.key;
      const doc = await liveDoc(ctx, table, row.docId);
      if (doc === null) continue;
      const { _id, _creationTime, ...fields } = doc;
      bytes += canonicalLength(fields);
      page.push({ key: row.key, id: _id as string, position: row.position, doc: fields });
    }
    const isDone = rows.length < max && scanned === rows.length;
    return { page, lastKey, isDone };
  },
});

/**
 * `keyDocs({ table, keys, docs? })`: for each source key (at most `MAX_KEY_DOCS`), the id of its live
 * document and the position of its key row, plus the document when `docs` is true:
 * `{ entries: [{ key, id: string | null, position: string | null, doc?: any }] }` in the order of `keys`.
 * `id` is null when the key has no live document (no key row, a tombstone, or a document deleted by hand);
 * `position` is null only without a key row. The verifier uses it for the ids of parent keys (a foreign key
 * must point at the document of its parent key) and to re-check single keys. With `live: false` (and no
 * `docs`), `id` is the document id the key row holds, without reading the document (null for a tombstone):
 * what a reference must hold, at the cost of one index range per key.
 */
export const keyDocs = internalQuery({
  args: {
    table: v.string(),
    keys: v.array(v.string()),
    docs: v.optional(v.boolean()),
    live: v.optional(v.boolean()),
  },
  returns: v.object({
    entries: v.array(
      v.object({
        key: v.string(),
        id: v.union(v.string(), v.null()),
        position: v.union(v.string(), v.null()),
        doc: v.optional(v.any()),
      }),
    ),
  }),
  handler: async (ctx, { table, keys, docs, live }) => {
    if (keys.length > MAX_KEY_DOCS) {
      throw new Error(`keyDocs takes at most ${MAX_KEY_DOCS} keys, got ${keys.length}`);
    }
    const entries = [];
    for (const key of keys) {
      const row = await ctx.db
        .query("cdc_keys")
        .withIndex("by_table_key", (q) => q.eq("table", table).eq("key", key))
        .unique();
      if (live === false && docs !== true) {
        // The id the key row holds, without reading the document: the verifier's parent ids.
        entries.push({ key, id: row?.docId ?? null, position: row === null ? null : row.position });
        continue;
      }
      const doc = row === null ? null : await liveDoc(ctx, table, row.docId);
      const entry: { key: string; id: string | null; position: string | null; doc?: Value } = {
        key,
        id: doc === null ? null : (doc._id as string),
        position: row === null ? null : row.position,
      };
      if (docs === true && doc !== null) {
        const { _id, _creationTime, ...fields } = doc;
        entry.doc = fields;
      }
      entries.push(entry);
    }
    return { entries };
  },
});

/**
 * `unkeyedDocs({ table, cursor?, limit? })`: the documents of `table` that no `cdc_keys` row points at, i.e.
 * documents the pipeline did not write (an insert by hand or by the application into a mirrored table).
 * Walks the table in creation order, `limit` documents a call (clamped to 1..`MAX_UNKEYED_SCAN`, the
 * default), from `cursor` (null/absent: the start); continue with `cursor: continueCursor` until `isDone`.
 * The pipeline writes a document and its key row in one transaction, so a page never sees one without the
 * other. Returns `{ page: [{ id, doc }], scanned, continueCursor, isDone }` (`doc` without `_id` and
 * `_creationTime`). Large documents can exceed Convex's bytes-read limit at the full page: ask again
 * with a smaller `limit`. Rejects the pipeline's own tables.
 */
export const unkeyedDocs = internalQuery({
  args: { table: v.string(), cursor: boundValidator, limit: v.optional(v.number()) },
  returns: v.object({
    page: v.array(v.object({ id: v.string(), doc: v.any() })),
    scanned: v.number(),
    continueCursor: v.string(),
    isDone: v.boolean(),
  }),
  handler: async (ctx, { table, cursor, limit }) => {
    assertMirroredTable("unkeyedDocs", table);
    const numItems = clamp(limit ?? MAX_UNKEYED_SCAN, MAX_UNKEYED_SCAN);
    const result = await ctx.db
      .query(table as TableNames)
      .paginate({ cursor: cursor ? cursor : null, numItems });
    const page: Array<{ id: string; doc: Record<string, Value> }> = [];
    for (const doc of result.page as Array<Record<string, Value>>) {
      const id = doc._id as string;
      const row = await keyRowOfDoc(ctx, id);
      if (row !== null && row.table === table) continue;
      const { _id, _creationTime, ...fields } = doc;
      page.push({ id, doc: fields });
    }
    return { page, scanned: result.page.length, continueCursor: result.continueCursor, isDone: result.isDone };
  },
});

/**
 * `tableCount({ table })`: `{ count, maxPosition }`, the number of documents in `table` and the highest
 * position of its key rows (null without any), read in one transaction. When the count equals the live
 * documents the key rows point at, and no op of the pipeline touched the table meanwhile (`maxPosition`
 * unchanged), no document can be unkeyed, and the verifier skips the walk of `unkeyedDocs`. The count is
 * Convex's table size (what the dashboard and `npx convex data` show), read without reading the documents.
 */
export const tableCount = internalQuery({
  args: { table: v.string() },
  returns: v.object({ count: v.number(), maxPosition: v.union(v.string(), v.null()) }),
  handler: async (ctx, { table }) => {
    assertMirroredTable("tableCount", table);
    // `count()` is the query API the dashboard's table size uses; it is not in the public types yet.
    const count = await (ctx.db.query(table as TableNames) as unknown as { count(): Promise<number> }).count();
    const last = await ctx.db
      .query("cdc_keys")
      .withIndex("by_table_position", (q) => q.eq("table", table))
      .order("desc")
      .first();
    return { count, maxPosition: last === null ? null : last.position };
  },
});

/**
 * `checkpoints({})`: every sink checkpoint of the deployment (`{ source, position, commitTs }`, at most
 * 100): the verifier waits for the lowest to pass a Postgres position before it re-checks a key.
 */
export const checkpoints = internalQuery({
  args: {},
  returns: v.array(v.object({ source: v.string(), position: v.string(), commitTs: v.union(v.number(), v.null()) })),
  handler: async (ctx) => {
    const rows = await ctx.db.query("cdc_checkpoints").take(100);
    return rows.map((r) => ({ source: r.source, position: r.position, commitTs: r.commitTs ?? null }));
  },
});

// ---------------------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------------------

async function rangeRows(ctx: QueryCtx, table: string, after: string, through: string | null, max: number) {
  // Keys are non-empty, so `gt("key", "")` starts at the first key.
  return await ctx.db
    .query("cdc_keys")
    .withIndex("by_table_key", (q) => {
      const lower = q.eq("table", table).gt("key", after);
      return through === null ? lower : lower.lte("key", through);
    })
    .take(max);
}

async function liveDoc(ctx: QueryCtx, table: string, docId: string | undefined): Promise<Record<string, Value> | null> {
  if (docId === undefined) return null;
  const id = ctx.db.normalizeId(table as TableNames, docId);
  if (id === null) return null;
  return (await ctx.db.get(id)) as Record<string, Value> | null;
}

function clamp(n: number, max: number): number {
  return Number.isNaN(n) ? 1 : Math.max(1, Math.min(max, Math.floor(n)));
}

// ---------------------------------------------------------------------------------------------------------
// The document hash (docs/contracts.md, "Document hash"; Java: dev.pgconvex.verify.DocHash)
// ---------------------------------------------------------------------------------------------------------

const BITS = new DataView(new ArrayBuffer(8));
const HEX_DIGITS = Array.from("0123456789ABCDEF", (c) => c.charCodeAt(0));

/**
 * Two 32-bit lanes fed the canonical bytes of a value: lane 1 is FNV-1a, lane 2 a multiply-xorshift; both
 * end with MurmurHash3's fmix32.
 */
class LaneHasher {
  h1 = 0x811c9dc5 | 0;
  h2 = 0x9747b28c | 0;
  bytes = 0;

  byte(b: number): void {
    this.h1 = Math.imul(this.h1 ^ b, 0x01000193);
    const x = Math.imul(this.h2 ^ b, 0x5bd1e995);
    this.h2 = x ^ (x >>> 15);
    this.bytes++;
  }

  ascii(s: string): void {
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
  }

  /** The decimal digits of a non-negative integer, as ASCII. */
  digits(n: number): void {
    if (n >= 10) this.digits(Math.floor(n / 10));
    this.byte(48 + (n % 10));
  }

  /** UTF-8 of `s`; a lone surrogate is encoded as `?` (what Java's `String.getBytes(UTF_8)` does). */
  utf8(s: string): void {
    // Hot loop: the state in locals, ASCII inline.
    let h1 = this.h1;
    let h2 = this.h2;
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        h1 = Math.imul(h1 ^ c, 0x01000193);
        const x = Math.imul(h2 ^ c, 0x5bd1e995);
        h2 = x ^ (x >>> 15);
        n++;
        continue;
      }
      this.h1 = h1;
      this.h2 = h2;
      this.bytes += n;
      n = 0;
      if (c < 0x800) {
        this.byte(0xc0 | (c >> 6));
        this.byte(0x80 | (c & 0x3f));
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          this.byte(0xf0 | (c >> 18));
          this.byte(0x80 | ((c >> 12) & 0x3f));
          this.byte(0x80 | ((c >> 6) & 0x3f));
          this.byte(0x80 | (c & 0x3f));
        } else {
          this.byte(0x3f);
        }
      } else {
        this.byte(0xe0 | (c >> 12));
        this.byte(0x80 | ((c >> 6) & 0x3f));
        this.byte(0x80 | (c & 0x3f));
      }
      h1 = this.h1;
      h2 = this.h2;
    }
    this.h1 = h1;
    this.h2 = h2;
    this.bytes += n;
  }

  /** 16 upper-case hex digits of the IEEE-754 bits; -0 counts as 0 and every NaN as the canonical NaN. */
  double(x: number): void {
    let hi: number;
    let lo: number;
    if (Number.isNaN(x)) {
      hi = 0x7ff80000;
      lo = 0;
    } else {
      BITS.setFloat64(0, x === 0 ? 0 : x);
      hi = BITS.getUint32(0);
      lo = BITS.getUint32(4);
    }
    for (let shift = 28; shift >= 0; shift -= 4) this.byte(HEX_DIGITS[(hi >>> shift) & 15]);
    for (let shift = 28; shift >= 0; shift -= 4) this.byte(HEX_DIGITS[(lo >>> shift) & 15]);
  }

  string(s: string): void {
    this.byte(115); // s
    this.digits(s.length);
    this.byte(58); // :
    this.utf8(s);
  }

  value(val: Value | undefined): void {
    if (val === null || val === undefined) {
      this.ascii("n");
    } else if (typeof val === "boolean") {
      this.ascii(val ? "t" : "f");
    } else if (typeof val === "number") {
      this.byte(100); // d
      this.double(val);
    } else if (typeof val === "bigint") {
      this.string(val.toString()); // as Convex's "json" format writes an int64: decimal text
    } else if (typeof val === "string") {
      this.string(val);
    } else if (val instanceof ArrayBuffer) {
      this.string(base64(new Uint8Array(val))); // as Convex's "json" format writes bytes
    } else if (Array.isArray(val)) {
      this.byte(91); // [
      this.digits(val.length);
      this.byte(58);
      for (const e of val) this.value(e);
      this.ascii("]");
    } else {
      const obj = val as Record<string, Value | undefined>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
      if (keys.length > 1) keys.sort();
      this.byte(123); // {
      this.digits(keys.length);
      this.byte(58);
      for (const k of keys) {
        this.string(k);
        this.value(obj[k]);
      }
      this.ascii("}");
    }
  }
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** `docHash(key, doc)`: the two lanes of one document (`doc` without `_id`/`_creationTime`). */
export function docHash(key: string, doc: Record<string, Value>): [number, number] {
  const h = hashDoc(key, doc);
  return [fmix32(h.h1), fmix32(h.h2)];
}

function hashDoc(key: string, doc: Record<string, Value>): LaneHasher {
  const h = new LaneHasher();
  h.string(key);
  const { _id, _creationTime, ...fields } = doc;
  h.value(fields);
  return h;
}

/** Order-independent sum of document hashes: each lane added modulo 2^32. */
export class HashSum {
  lane1 = 0;
  lane2 = 0;
  bytes = 0;

  addDoc(key: string, doc: Record<string, Value>): void {
    const h = hashDoc(key, doc);
    this.lane1 = (this.lane1 + fmix32(h.h1)) >>> 0;
    this.lane2 = (this.lane2 + fmix32(h.h2)) >>> 0;
    this.bytes += h.bytes;
  }

  hex(): string {
    return hex8(this.lane1) + hex8(this.lane2);
  }
}

/** Adds two 16-hex-digit hashes lane by lane (the hash of the union of two disjoint sets of documents). */
export function addHashes(a: string, b: string): string {
  const l1 = (parseInt(a.slice(0, 8), 16) + parseInt(b.slice(0, 8), 16)) >>> 0;
  const l2 = (parseInt(a.slice(8), 16) + parseInt(b.slice(8), 16)) >>> 0;
  return hex8(l1) + hex8(l2);
}

/** Number of canonical bytes of a value (what `MAX_CHUNK_BYTES` counts). */
function canonicalLength(val: Value): number {
  const h = new LaneHasher();
  h.value(val);
  return h.bytes;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}


const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function base64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i];
    const b = i + 1 < bytes.length ? bytes[i + 1] : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2] : 0;
    out += B64[a >> 2] + B64[((a & 3) << 4) | (b >> 4)];
    out += i + 1 < bytes.length ? B64[((b & 15) << 2) | (c >> 6)] : "=";
    out += i + 2 < bytes.length ? B64[c & 63] : "=";
  }
  return out;
}
