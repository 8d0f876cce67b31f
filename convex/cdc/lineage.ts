/**
 * pgconvex lineage functions: which pipeline mirrors into this deployment, and which Postgres its
 * positions come from. Positions are comparable only within one source (cluster, database, slot), and the
 * ids the pipeline keeps in Kafka are ids of this deployment only: the sink claims the lineage at start and
 * stops before writing when it finds another one (docs/contracts.md, "Lineage").
 *
 * All functions are internal (admin or deploy key), like `cdc/ingest`.
 */
import { v, type Infer } from "convex/values";
import type { Id } from "../_generated/dataModel";
import { internalMutation, internalQuery } from "../_generated/server";

/** Most key rows (and their documents) `resetMirror` deletes in one call: 2 writes each, 16,000 max. */
export const RESET_PAGE_LIMIT = 2000;

export const sourceIdentityValidator = v.object({
  systemIdentifier: v.string(),
  database: v.string(),
  slot: v.string(),
});
export type SourceIdentity = Infer<typeof sourceIdentityValidator>;

const lineageValidator = v.object({
  pipeline: v.string(),
  mirrorId: v.string(),
  source: v.union(v.null(), sourceIdentityValidator),
  createdAt: v.number(),
});

type LineageRow = {
  _id: Id<"cdc_lineage">;
  pipeline: string;
  source?: SourceIdentity;
  createdAt: number;
};

function view(row: LineageRow) {
  return { pipeline: row.pipeline, mirrorId: row._id as string, source: row.source ?? null, createdAt: row.createdAt };
}

function sameSource(a: SourceIdentity, b: SourceIdentity): boolean {
  return a.systemIdentifier === b.systemIdentifier && a.database === b.database && a.slot === b.slot;
}

/**
 * `getLineage({ pipeline })`: `{ pipeline, mirrorId, source, createdAt }` of `pipeline` (its
 * `cdc.topic.prefix`), or null when it never claimed this deployment (or the deployment was wiped).
 */
export const getLineage = internalQuery({
  args: { pipeline: v.string() },
  returns: v.union(v.null(), lineageValidator),
  handler: async (ctx, { pipeline }) => {
    const row = await ctx.db
      .query("cdc_lineage")
      .withIndex("by_pipeline", (q) => q.eq("pipeline", pipeline))
      .unique();
    return row === null ? null : view(row);
  },
});

/**
 * `claimLineage({ pipeline, source })`: records that `pipeline` mirrors `source` into this deployment.
 * - none yet: creates it; `mirrorId` is the new lineage document's id, so a wiped or replaced deployment
 *   never answers with the mirror id of before. Status `created`.
 * - recorded without a source and `source` given: stores it. Status `adopted`.
 * - the same source (or `source` null): status `matched`.
 * - another source: nothing written, status `conflict` (the caller stops and names `./cdc reset`).
 * Returns `{ status, lineage }` with the lineage as stored afterwards.
 */
export const claimLineage = internalMutation({
  args: { pipeline: v.string(), source: v.union(v.null(), sourceIdentityValidator) },
  returns: v.object({
    status: v.union(v.literal("created"), v.literal("adopted"), v.literal("matched"), v.literal("conflict")),
    lineage: lineageValidator,
  }),
  handler: async (ctx, { pipeline, source }) => {
    const row = await ctx.db
      .query("cdc_lineage")
      .withIndex("by_pipeline", (q) => q.eq("pipeline", pipeline))
      .unique();
    if (row === null) {
      const id = await ctx.db.insert("cdc_lineage", { pipeline, source: source ?? undefined, createdAt: Date.now() });
      const created = (await ctx.db.get(id))!;
      return { status: "created" as const, lineage: view(created) };
    }
    if (source === null) return { status: "matched" as const, lineage: view(row) };
    if (row.source === undefined) {
      await ctx.db.patch(row._id, { source });
      return { status: "adopted" as const, lineage: view({ ...row, source }) };
    }
    return sameSource(row.source, source)
      ? { status: "matched" as const, lineage: view(row) }
      : { status: "conflict" as const, lineage: view(row) };
  },
});

/**
 * `resetMirror({ limit? })`: empties the mirror, one page per call: deletes up to `limit` (default and
 * maximum `RESET_PAGE_LIMIT`) key rows of `cdc_keys` with their live documents; once no key row is left,
 * also every checkpoint, lineage and marker confirmation. Call until `isDone`. Used by `./cdc reset --convex-data`; a deployment
 * holds one mirror (the key table is not split by pipeline). Returns `{ deletedDocs, deletedKeys, isDone }`.
 */
export const resetMirror = internalMutation({
  args: { limit: v.optional(v.number()) },
  returns: v.object({ deletedDocs: v.number(), deletedKeys: v.number(), isDone: v.boolean() }),
  handler: async (ctx, { limit }) => {
    const n = Math.max(1, Math.min(Math.floor(limit ?? RESET_PAGE_LIMIT), RESET_PAGE_LIMIT));
    const rows = await ctx.db.query("cdc_keys").take(n);
    let deletedDocs = 0;
    for (const row of rows) {
      if (row.docId !== undefined) {
        const id = ctx.db.normalizeId(row.table as never, row.docId);
        if (id !== null && (await ctx.db.get(id)) !== null) {
          await ctx.db.delete(id);
          deletedDocs++;
        }
      }
      await ctx.db.delete(row._id);
    }
    if (rows.length === n) return { deletedDocs, deletedKeys: rows.length, isDone: false };
    for (const c of await ctx.db.query("cdc_checkpoints").collect()) await ctx.db.delete(c._id);
    for (const l of await ctx.db.query("cdc_lineage").collect()) await ctx.db.delete(l._id);
    for (const m of await ctx.db.query("cdc_markers").collect()) await ctx.db.delete(m._id);
    return { deletedDocs, deletedKeys: rows.length, isDone: true };
  },
});
