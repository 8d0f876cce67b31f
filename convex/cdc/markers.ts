/**
 * pgconvex barrier markers: how a cutover proves Convex holds every change Postgres committed before a point.
 *
 * A cutover writes a marker into the WAL (`pg_logical_emit_message`, prefix `pgconvex.marker`); the source
 * copies it into every partition of every table topic, the transformer forwards it to every ops partition
 * once everything before it has passed, and the sink calls `confirmMarker` for each ops partition once every
 * op before the marker there is applied. `markerStatus` is what the cutover polls. The binding contract is
 * `docs/contracts.md` ("Markers").
 *
 * All functions are internal (admin or deploy key over HTTP, like `cdc/ingest`).
 */
import { v } from "convex/values";
import { internalMutation, internalQuery } from "../_generated/server";

/** Confirmations kept per pipeline; older markers are deleted as new ones are confirmed. */
export const MAX_MARKER_ROWS = 256;

const confirmationValidator = v.object({
  partition: v.number(),
  position: v.string(),
  held: v.number(),
  sourceAt: v.number(),
  transformerAt: v.number(),
  appliedAt: v.number(),
});

/**
 * `confirmMarker({ pipeline, marker, partition, position, held, sourceAt, transformerAt })`: records that
 * every op before marker `marker` in ops partition `partition` is applied. Idempotent: a second confirmation
 * of the same (pipeline, marker, partition), e.g. after a sink restart, keeps the first one's `appliedAt`.
 * `held` is the number of rows the transformer held for a parent when it forwarded the marker (0 proves no
 * row from before the marker is still on its way). Returns `{ status: "confirmed" | "duplicate" }`.
 */
export const confirmMarker = internalMutation({
  args: {
    pipeline: v.string(),
    marker: v.string(),
    partition: v.number(),
    position: v.string(),
    held: v.number(),
    sourceAt: v.number(),
    transformerAt: v.number(),
  },
  returns: v.object({ status: v.union(v.literal("confirmed"), v.literal("duplicate")) }),
  handler: async (ctx, args) => {
    const existing = await ctx.db
      .query("cdc_markers")
      .withIndex("by_marker", (q) =>
        q.eq("pipeline", args.pipeline).eq("marker", args.marker).eq("partition", args.partition),
      )
      .unique();
    if (existing !== null) return { status: "duplicate" as const };
    await ctx.db.insert("cdc_markers", { ...args, appliedAt: Date.now() });
    // Bounded: the oldest confirmations of the pipeline go once there are too many.
    const old = await ctx.db
      .query("cdc_markers")
      .withIndex("by_pipeline_applied", (q) => q.eq("pipeline", args.pipeline))
      .order("desc")
      .take(MAX_MARKER_ROWS + 8);
    for (const row of old.slice(MAX_MARKER_ROWS)) await ctx.db.delete(row._id);
    return { status: "confirmed" as const };
  },
});

/**
 * `markerStatus({ pipeline, marker })`: the confirmations of `marker`, one per ops partition confirmed so far,
 * by partition: `[{ partition, position, held, sourceAt, transformerAt, appliedAt }]` (times epoch ms;
 * `appliedAt` is Convex's clock).
 */
export const markerStatus = internalQuery({
  args: { pipeline: v.string(), marker: v.string() },
  returns: v.array(confirmationValidator),
  handler: async (ctx, { pipeline, marker }) => {
    const rows = await ctx.db
      .query("cdc_markers")
      .withIndex("by_marker", (q) => q.eq("pipeline", pipeline).eq("marker", marker))
      .take(1024);
    return rows.map((r) => ({
      partition: r.partition,
      position: r.position,
      held: r.held,
      sourceAt: r.sourceAt,
      transformerAt: r.transformerAt,
      appliedAt: r.appliedAt,
    }));
  },
});
