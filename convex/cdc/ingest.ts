/**
 * pgconvex CDC ingest functions: the only way the pipeline's sink writes into Convex.
 *
 * All functions are internal (callable by other Convex functions and by an admin/deploy key over HTTP,
 * e.g. `POST /api/mutation {"path":"cdc/ingest:applyBatch","args":{...}}` with
 * `Authorization: Convex <admin key>`). The binding contract is `docs/contracts.md` ("Convex functions");
 * the batch limits are in `convex/README.md` ("Limits") and mirrored by the constants below.
 *
 * Idempotency: HTTP mutations have no idempotency key and the sink retries, so every function here is
 * idempotent. Replaying a batch changes nothing observable: each op carries the position of its change,
 * equal positions re-apply the same value, lower positions are skipped.
 */
import { ConvexError, convexToJson, v, type Infer, type Value } from "convex/values";
import type { Id, TableNames } from "../_generated/dataModel";
import { internalMutation, internalQuery, type MutationCtx, type QueryCtx } from "../_generated/server";
import schema from "../schema.js";

// ---------------------------------------------------------------------------------------------------------
// Limits (see README.md "Limits" for the arithmetic behind them).
// ---------------------------------------------------------------------------------------------------------

/** Maximum number of ops in one `applyBatch` call. Each op costs at most 3 index ranges (key-row query,
 *  document get, key-row read by the write) against Convex's 4,096 per transaction, and 2 writes. */
export const MAX_BATCH_OPS = 1000;

/** Maximum size of `applyBatch`'s arguments, as UTF-8 bytes of their JSON (Convex-encoded JSON, i.e. the
 *  HTTP body's `args`). Written bytes ~ documents + key rows, read bytes ~ key rows + 2 x previous versions
 *  of the touched documents; 4 MiB keeps both far below Convex's 16 MiB per transaction. */
export const MAX_BATCH_ARG_BYTES = 4 * 1024 * 1024;

/** `tableCount` page size (key rows are small: ~200 bytes each, so one page reads well under 1 MiB). */
export const TABLE_COUNT_PAGE_SIZE = 4000;

/** Largest `limit` accepted by `docPage` (1 index range per key-row scan + 1 per document). */
export const MAX_DOC_PAGE_LIMIT = 1000;

/** `docPage` stops its page early once the returned documents exceed this many bytes (JSON, UTF-8). */
export const MAX_DOC_PAGE_BYTES = 8 * 1024 * 1024;

/** Tables of the pipeline itself: ops may not target them. */
const RESERVED_TABLES = new Set(["cdc_keys", "cdc_checkpoints", "cdc_lineage", "cdc_markers"]);

/**
 * Tables the deployed schema (`schema.ts` of this folder) declares: ops may target only these. Convex does
 * not check writes to a table its schema does not list, so an op for a table missing from the deployed
 * schema (a mapping newer than the deployment) would silently create an undeclared, unvalidated table.
 */
const DECLARED_TABLES: ReadonlySet<string> = new Set(Object.keys(schema.tables));

/** Position format of docs/contracts.md: 16 upper-case hex digits (LSN), `:`, 8 upper-case hex digits. */
const POSITION_RE = /^[0-9A-F]{16}:[0-9A-F]{8}$/;

/** Convex table names: `[A-Za-z0-9_]`, not starting with `_`, at most 64 characters. */
const TABLE_RE = /^[A-Za-z0-9][A-Za-z0-9_]{0,63}$/;

// ---------------------------------------------------------------------------------------------------------
// Validators
// ---------------------------------------------------------------------------------------------------------

/**
 * One change of one source row (docs/contracts.md, `Op`). `commitTs` and `txId` of the `ops` topic record
 * are accepted (so the sink may forward the record unchanged) and ignored.
 */
export const opValidator = v.object({
  table: v.string(),
  key: v.string(),
  op: v.union(v.literal("upsert"), v.literal("patch"), v.literal("delete")),
  position: v.string(),
  doc: v.optional(v.any()),
  commitTs: v.optional(v.union(v.number(), v.null())),
  txId: v.optional(v.union(v.number(), v.null())),
});
export type Op = Infer<typeof opValidator>;

export const opResultValidator = v.object({
  status: v.union(v.literal("applied"), v.literal("skipped"), v.literal("missing")),
  id: v.union(v.string(), v.null()),
});
export type OpResult = Infer<typeof opResultValidator>;

/** Cursor argument: absent, `null` (first page) or the `continueCursor` of the previous page. */
const cursorValidator = v.optional(v.union(v.string(), v.null()));

// ---------------------------------------------------------------------------------------------------------
// applyBatch
// ---------------------------------------------------------------------------------------------------------

/**
 * `applyBatch({ ops })`: applies the ops in order, in one transaction (all or nothing).
 *
 * Per op, with `row` = the `cdc_keys` row of (`table`, `key`):
 * - `position` < `row.position`: `skipped`, nothing written; id = the live document's id or null.
 * - otherwise the op is applied and `row.position` becomes the op's position (a missing row is inserted):
 *   - `upsert`: replaces the whole live document with `doc`, or inserts it when there is none
 *     (never seen, deleted, or removed by hand); top-level `null` fields are left out (a NULL column is an
 *     absent field, as nullable columns map to `v.optional`). Result `applied`, id = the document id.
 *   - `patch`: sets the fields of `doc` on the live document, a `null` value removes the field. No live
 *     document: `missing`, id null, nothing written (not even the position).
 *   - `delete`: deletes the live document if any and keeps the row as a tombstone (`docId` unset,
 *     position kept, so a late older upsert is skipped). Result `applied`, id null.
 * The same key may appear several times in a batch: each op sees the writes of the ops before it.
 *
 * Rejected up front with a `ConvexError` (nothing written) when the batch is over the limits
 * (`{code: "BATCH_TOO_LARGE", limit: "ops" | "argBytes", max, actual}`) or an op is malformed or targets a
 * table the deployed schema does not declare (`{code: "INVALID_OP", index, reason}`).
 *
 * Returns `{ results: [{ status: "applied" | "skipped" | "missing", id: string | null }] }`, one per op, in
 * order; `id` is always the id of the key's live document after the op, or null.
 */
export const applyBatch = internalMutation({
  args: { ops: v.array(opValidator) },
  returns: v.object({ results: v.array(opResultValidator) }),
  handler: async (ctx, args) => {
    checkBatchLimits(args);
    args.ops.forEach(validateOp);
    const results: OpResult[] = [];
    for (const op of args.ops) {
      results.push(await applyOp(ctx, op));
    }
    return { results };
  },
});

/** Throws `BATCH_TOO_LARGE` when the batch exceeds `MAX_BATCH_OPS` or `MAX_BATCH_ARG_BYTES`. */
function checkBatchLimits(args: { ops: Op[] }): void {
  if (args.ops.length > MAX_BATCH_OPS) {
    throw new ConvexError({
      code: "BATCH_TOO_LARGE",
      limit: "ops",
      max: MAX_BATCH_OPS,
      actual: args.ops.length,
      message: `applyBatch takes at most ${MAX_BATCH_OPS} ops, got ${args.ops.length}; split the batch`,
    });
  }
  const bytes = jsonBytes(args as unknown as Value);
  if (bytes > MAX_BATCH_ARG_BYTES) {
    throw new ConvexError({
      code: "BATCH_TOO_LARGE",
      limit: "argBytes",
      max: MAX_BATCH_ARG_BYTES,
      actual: bytes,
      message: `applyBatch takes at most ${MAX_BATCH_ARG_BYTES} bytes of argument JSON, got ${bytes}; split the batch`,
    });
  }
}

/** Throws `INVALID_OP` for an op that would fail (or corrupt state) half way through the batch. */
function validateOp(op: Op, index: number): void {
  const fail = (reason: string): never => {
    throw new ConvexError({ code: "INVALID_OP", index, reason, message: `op ${index}: ${reason}` });
  };
  if (!TABLE_RE.test(op.table)) fail(`invalid table name ${JSON.stringify(op.table)}`);
  if (RESERVED_TABLES.has(op.table)) fail(`table ${op.table} belongs to the pipeline`);
  if (!DECLARED_TABLES.has(op.table)) {
    fail(
      `table ${op.table} is not declared in the deployed Convex schema; regenerate the schema with ` +
        "`./cdc schema generate` and deploy it, then replay this op",
    );
  }
  if (op.key.length === 0) fail("empty key");
  if (!POSITION_RE.test(op.position)) {
    fail(`position ${JSON.stringify(op.position)} is not <16 hex digits>:<8 hex digits> (upper case)`);
  }
  if (op.op !== "delete") {
    const doc = op.doc;
    if (doc === null || typeof doc !== "object" || Array.isArray(doc) || doc instanceof ArrayBuffer) {
      fail(`${op.op} needs doc to be an object`);
    }
    for (const field of Object.keys(doc as object)) {
      if (field.startsWith("_")) fail(`field ${field}: names starting with _ are reserved by Convex`);
    }
  }
}

/** Applies one validated op; see `applyBatch`. */
async function applyOp(ctx: MutationCtx, op: Op): Promise<OpResult> {
  const row = await findKeyRow(ctx, op.table, op.key);
  const liveId = row?.docId === undefined ? null : await liveDocId(ctx, op.table, row.docId);

  if (row !== null && op.position < row.position) {
    return { status: "skipped", id: liveId };
  }

  switch (op.op) {
    case "upsert": {
      const doc = withoutNullFields(op.doc as Record<string, Value>);
      let id: Id<TableNames>;
      if (liveId !== null) {
        await ctx.db.replace(liveId, doc as any);
        id = liveId;
      } else {
        id = await ctx.db.insert(op.table as TableNames, doc as any);
      }
      await saveKeyRow(ctx, row, op, id);
      return { status: "applied", id };
    }
    case "patch": {
      if (liveId === null) {
        return { status: "missing", id: null };
      }
      await ctx.db.patch(liveId, nullFieldsToUndefined(op.doc as Record<string, Value>) as any);
      await saveKeyRow(ctx, row, op, liveId);
      return { status: "applied", id: liveId };
    }
    case "delete": {
      if (liveId !== null) {
        await ctx.db.delete(liveId);
      }
      await saveKeyRow(ctx, row, op, null);
      return { status: "applied", id: null };
    }
  }
}

type KeyRow = NonNullable<Awaited<ReturnType<typeof findKeyRow>>>;

/** The `cdc_keys` row of (`table`, `key`), or null. One index range. */
async function findKeyRow(ctx: QueryCtx, table: string, key: string) {
  return await ctx.db
    .query("cdc_keys")
    .withIndex("by_table_key", (q) => q.eq("table", table).eq("key", key))
    .unique();
}

/** The `cdc_keys` row that points at document `docId`, or null (a document the pipeline did not write). One index range. */
export async function keyRowOfDoc(ctx: QueryCtx, docId: string) {
  return await ctx.db
    .query("cdc_keys")
    .withIndex("by_docId", (q) => q.eq("docId", docId))
    .first();
}

/** Throws when `table` is one of the pipeline's own (`cdc_*`) in a function `fn` that takes a mirrored table. */
export function assertMirroredTable(fn: string, table: string): void {
  if (table.startsWith("cdc_")) throw new Error(`${fn}: ${table} belongs to the pipeline`);
}

/** The id `docId` as an id of `table` if that document exists, else null. One `get`. */
async function liveDocId(ctx: QueryCtx, table: string, docId: string): Promise<Id<TableNames> | null> {
  const id = ctx.db.normalizeId(table as TableNames, docId);
  if (id === null) return null;
  const doc = await ctx.db.get(id);
  return doc === null ? null : id;
}

/** Inserts or updates the key row after an applied op (`docId` null = tombstone). */
async function saveKeyRow(ctx: MutationCtx, row: KeyRow | null, op: Op, docId: string | null): Promise<void> {
  if (row === null) {
    await ctx.db.insert("cdc_keys", {
      table: op.table,
      key: op.key,
      position: op.position,
      ...(docId === null ? {} : { docId }),
    });
  } else if (row.position !== op.position || (row.docId ?? null) !== docId) {
    // `undefined` in a patch removes the field.
    await ctx.db.patch(row._id, { position: op.position, docId: docId ?? undefined });
  }
}

/** Copy of `doc` without its top-level `null` fields. */
function withoutNullFields(doc: Record<string, Value>): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [field, value] of Object.entries(doc)) {
    if (value !== null) out[field] = value;
  }
  return out;
}

/** Copy of `doc` with top-level `null` fields turned into `undefined` (= remove the field in a patch). */
function nullFieldsToUndefined(doc: Record<string, Value>): Record<string, Value | undefined> {
  const out: Record<string, Value | undefined> = {};
  for (const [field, value] of Object.entries(doc)) {
    out[field] = value === null ? undefined : value;
  }
  return out;
}

/** Ids per `deleteUnkeyed` call at most: 1 index range, 1 `get` and 1 delete each. */
export const MAX_DELETE_UNKEYED = 500;

/**
 * `deleteUnkeyed({ table, ids })`: deletes the documents of `table` among `ids` that no `cdc_keys` row points
 * at (what `cdc/verify:unkeyedDocs` lists; `./cdc verify --repair`). A document a key row points at is the
 * pipeline's and is kept, as is an id of another table or of no document. At most `MAX_DELETE_UNKEYED` ids.
 * Returns `{ deleted, kept }`: the ids deleted and the ids left alone.
 */
export const deleteUnkeyed = internalMutation({
  args: { table: v.string(), ids: v.array(v.string()) },
  returns: v.object({ deleted: v.array(v.string()), kept: v.array(v.string()) }),
  handler: async (ctx, { table, ids }) => {
    if (ids.length > MAX_DELETE_UNKEYED) {
      throw new Error(`deleteUnkeyed takes at most ${MAX_DELETE_UNKEYED} ids, got ${ids.length}`);
    }
    assertMirroredTable("deleteUnkeyed", table);
    const deleted: string[] = [];
    const kept: string[] = [];
    for (const raw of ids) {
      const id = ctx.db.normalizeId(table as TableNames, raw);
      const doc = id === null ? null : await ctx.db.get(id);
      const row = doc === null ? null : await keyRowOfDoc(ctx, raw);
      if (id === null || doc === null || row !== null) {
        kept.push(raw);
        continue;
      }
      await ctx.db.delete(id);
      deleted.push(raw);
    }
    return { deleted, kept };
  },
});

// ---------------------------------------------------------------------------------------------------------
// Checkpoints
// ---------------------------------------------------------------------------------------------------------

/**
 * `setCheckpoint({ source, position, commitTs? })`: moves the checkpoint of `source` forward only.
 * A position lower than the stored one is ignored (`skipped`); equal or higher is stored (`applied`) with
 * `commitTs` (unset when not given) and `updatedAt` = now. Positions compare as strings.
 * Returns `{ status: "applied" | "skipped", position }` with the stored position afterwards.
 */
export const setCheckpoint = internalMutation({
  args: {
    source: v.string(),
    position: v.string(),
    commitTs: v.optional(v.union(v.number(), v.null())),
  },
  returns: v.object({
    status: v.union(v.literal("applied"), v.literal("skipped")),
    position: v.string(),
  }),
  handler: async (ctx, { source, position, commitTs }) => {
    const row = await ctx.db
      .query("cdc_checkpoints")
      .withIndex("by_source", (q) => q.eq("source", source))
      .unique();
    if (row !== null && position < row.position) {
      return { status: "skipped" as const, position: row.position };
    }
    const value = { source, position, commitTs: commitTs ?? undefined, updatedAt: Date.now() };
    if (row === null) {
      await ctx.db.insert("cdc_checkpoints", value);
    } else {
      await ctx.db.replace(row._id, value);
    }
    return { status: "applied" as const, position };
  },
});

/**
 * `getCheckpoint({ source })`: `{ position, commitTs, updatedAt }` of `source` (`commitTs` null when it was
 * not given), or null when `source` has no checkpoint.
 */
export const getCheckpoint = internalQuery({
  args: { source: v.string() },
  returns: v.union(
    v.null(),
    v.object({ position: v.string(), commitTs: v.union(v.number(), v.null()), updatedAt: v.number() }),
  ),
  handler: async (ctx, { source }) => {
    const row = await ctx.db
      .query("cdc_checkpoints")
      .withIndex("by_source", (q) => q.eq("source", source))
      .unique();
    if (row === null) return null;
    return { position: row.position, commitTs: row.commitTs ?? null, updatedAt: row.updatedAt };
  },
});

// ---------------------------------------------------------------------------------------------------------
// Verification queries
// ---------------------------------------------------------------------------------------------------------

/**
 * `tableCount({ table, cursor?, pageSize? })`: counts, in one page of key rows of `table` (index
 * `by_table_key`, key order), the rows that have a `docId` (live documents; tombstones are not counted).
 * Call again with `continueCursor` until `isDone`, and sum the counts. `pageSize` (optional, for tests and
 * tuning) is clamped to 1..`TABLE_COUNT_PAGE_SIZE`, the default.
 * Returns `{ count, continueCursor, isDone }`.
 */
export const tableCount = internalQuery({
  args: { table: v.string(), cursor: cursorValidator, pageSize: v.optional(v.number()) },
  returns: v.object({ count: v.number(), continueCursor: v.string(), isDone: v.boolean() }),
  handler: async (ctx, { table, cursor, pageSize }) => {
    const result = await keyRowsPage(ctx, table, cursor, pageSize);
    const count = result.page.filter((row) => row.docId !== undefined).length;
    return { count, continueCursor: result.continueCursor, isDone: result.isDone };
  },
});

/**
 * `docPage({ table, cursor?, limit })`: one page of the live documents of `table`, ordered by source key.
 *
 * Scans at most `limit` key rows (clamped to 1..`MAX_DOC_PAGE_LIMIT`) after `cursor` and returns, for each
 * one with a live document, `{ key, id, position, doc }` (`doc` without `_id` and `_creationTime`).
 * Tombstones are skipped, so a page may hold fewer than `limit` entries (even none) while `isDone` is
 * false. The page also ends early once its documents exceed `MAX_DOC_PAGE_BYTES`.
 * `continueCursor` is the last scanned source key (pass it back; `""` or null = from the start).
 * Returns `{ page, continueCursor, isDone }`.
 */
export const docPage = internalQuery({
  args: { table: v.string(), cursor: cursorValidator, limit: v.number() },
  returns: v.object({
    page: v.array(v.object({ key: v.string(), id: v.string(), position: v.string(), doc: v.any() })),
    continueCursor: v.string(),
    isDone: v.boolean(),
  }),
  handler: async (ctx, { table, cursor, limit }) => {
    const max = clamp(limit, MAX_DOC_PAGE_LIMIT);
    const after = cursor ?? "";
    // Keys are non-empty, so `gt("key", "")` starts at the first key.
    const rows = await ctx.db
      .query("cdc_keys")
      .withIndex("by_table_key", (q) => q.eq("table", table).gt("key", after))
      .take(max);

    const page: Array<{ key: string; id: string; position: string; doc: Record<string, Value> }> = [];
    let continueCursor = after;
    let bytes = 0;
    let scanned = 0;
    for (const row of rows) {
      if (bytes > MAX_DOC_PAGE_BYTES) break;
      scanned++;
      continueCursor = row.key;
      if (row.docId === undefined) continue;
      const id = ctx.db.normalizeId(table as TableNames, row.docId);
      const stored = id === null ? null : await ctx.db.get(id);
      if (id === null || stored === null) continue;
      const { _id, _creationTime, ...doc } = stored as Record<string, Value>;
      bytes += jsonBytes(doc);
      page.push({ key: row.key, id, position: row.position, doc });
    }
    const isDone = rows.length < max && scanned === rows.length;
    return { page, continueCursor, isDone };
  },
});

/**
 * `keyPage({ table, cursor?, pageSize? })`: one page of the source keys of `table` that have a live
 * document, with the position of their last change: `{ page: [{ key, position }], continueCursor, isDone }`
 * (key-text order, tombstones skipped, so a page may be short or empty before `isDone`). Reads key rows
 * only, never documents: `TABLE_COUNT_PAGE_SIZE` rows a page by default and at most. Used to find documents
 * whose rows no longer exist in Postgres after a re-snapshot (their keys get a delete just above
 * `position`, which any newer change of the row still beats).
 */
export const keyPage = internalQuery({
  args: { table: v.string(), cursor: cursorValidator, pageSize: v.optional(v.number()) },
  returns: v.object({
    page: v.array(v.object({ key: v.string(), position: v.string() })),
    continueCursor: v.string(),
    isDone: v.boolean(),
  }),
  handler: async (ctx, { table, cursor, pageSize }) => {
    const result = await keyRowsPage(ctx, table, cursor, pageSize);
    const page = result.page
      .filter((row) => row.docId !== undefined)
      .map((row) => ({ key: row.key, position: row.position }));
    return { page, continueCursor: result.continueCursor, isDone: result.isDone };
  },
});

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

/** One page of `table`'s key rows in key order, `pageSize` clamped to 1..`TABLE_COUNT_PAGE_SIZE`. */
async function keyRowsPage(
  ctx: QueryCtx,
  table: string,
  cursor: string | null | undefined,
  pageSize: number | undefined,
) {
  const numItems = clamp(pageSize ?? TABLE_COUNT_PAGE_SIZE, TABLE_COUNT_PAGE_SIZE);
  return await ctx.db
    .query("cdc_keys")
    .withIndex("by_table_key", (q) => q.eq("table", table))
    .paginate({ numItems, cursor: cursor ? cursor : null });
}

/** `n` rounded down and clamped to 1..`max` (NaN -> 1). */
function clamp(n: number, max: number): number {
  return Number.isNaN(n) ? 1 : Math.max(1, Math.min(max, Math.floor(n)));
}

/** UTF-8 byte length of the Convex-encoded JSON text of `value` (what travels over HTTP). */
export function jsonBytes(value: Value): number {
  return utf8Length(JSON.stringify(convexToJson(value)));
}

/** UTF-8 byte length of a string, without allocating an encoded copy. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3; // lone surrogate (JSON.stringify escapes it anyway)
    } else bytes += 3;
  }
  return bytes;
}
