/**
 * pgconvex schema evolution records: what `./cdc schema evolve` writes while it widens, backfills and narrows
 * a mirrored table, one row per (pipeline, migration, step) in `cdc_migrations`. The binding contract is
 * `docs/contracts.md` ("Schema evolution").
 *
 * All functions are internal (admin or deploy key over HTTP, like `cdc/ingest`).
 */
import { v } from "convex/values";
import { internalMutation, internalQuery } from "../_generated/server";

const stepValidator = v.union(v.literal("widen"), v.literal("backfill"), v.literal("narrow"));
const stateValidator = v.union(
  v.literal("pending"),
  v.literal("running"),
  v.literal("completed"),
  v.literal("failed"),
  v.literal("rolled back"),
);

/** Final states: a step in one of them is not moved on by a late `record` of an earlier state. */
const FINAL: ReadonlySet<string> = new Set(["completed", "failed", "rolled back"]);

/**
 * `record({ pipeline, migration, step, state, tables, changes, processed?, total?, error? })`: creates or
 * updates the row of one step. `startedAt` is set when the step first runs, `endedAt` when it reaches a final
 * state; `error` is kept until a later state replaces it. A step already `completed` only moves to
 * `rolled back` (a rollback of the narrow step); a `running` or `pending` after a final state restarts the
 * step (a retry after `failed`). Returns `{ status: "created" | "updated" }`.
 */
export const record = internalMutation({
  args: {
    pipeline: v.string(),
    migration: v.string(),
    step: stepValidator,
    state: stateValidator,
    tables: v.array(v.string()),
    changes: v.array(v.string()),
    processed: v.optional(v.number()),
    total: v.optional(v.number()),
    error: v.optional(v.string()),
  },
  returns: v.object({ status: v.union(v.literal("created"), v.literal("updated")) }),
  handler: async (ctx, args) => {
    const now = Date.now();
    const row = await ctx.db
      .query("cdc_migrations")
      .withIndex("by_pipeline_migration_step", (q) =>
        q.eq("pipeline", args.pipeline).eq("migration", args.migration).eq("step", args.step),
      )
      .unique();
    const running = args.state === "running";
    const final = FINAL.has(args.state);
    if (row === null) {
      await ctx.db.insert("cdc_migrations", {
        ...args,
        updatedAt: now,
        startedAt: running || final ? now : undefined,
        endedAt: final ? now : undefined,
      });
      return { status: "created" as const };
    }
    if (row.state === "completed" && args.state !== "rolled back" && args.state !== "running") {
      return { status: "updated" as const };
    }
    await ctx.db.patch(row._id, {
      state: args.state,
      tables: args.tables,
      changes: args.changes,
      processed: args.processed ?? row.processed,
      total: args.total ?? row.total,
      error: args.error ?? (args.state === "failed" ? row.error : undefined),
      updatedAt: now,
      startedAt: running && (row.startedAt === undefined || FINAL.has(row.state)) ? now : row.startedAt,
      endedAt: final ? now : undefined,
    });
    return { status: "updated" as const };
  },
});

const rowValidator = v.object({
  migration: v.string(),
  step: stepValidator,
  state: stateValidator,
  tables: v.array(v.string()),
  changes: v.array(v.string()),
  processed: v.optional(v.number()),
  total: v.optional(v.number()),
  startedAt: v.optional(v.number()),
  updatedAt: v.number(),
  endedAt: v.optional(v.number()),
  error: v.optional(v.string()),
});

/**
 * `migrations({ pipeline, limit? })`: the pipeline's step rows, most recently updated first (at most `limit`,
 * default 30, at most 100).
 */
export const migrations = internalQuery({
  args: { pipeline: v.string(), limit: v.optional(v.number()) },
  returns: v.array(rowValidator),
  handler: async (ctx, { pipeline, limit }) => {
    const n = Math.max(1, Math.min(100, Math.floor(limit ?? 30)));
    const rows = await ctx.db
      .query("cdc_migrations")
      .withIndex("by_pipeline_updated", (q) => q.eq("pipeline", pipeline))
      .order("desc")
      .take(n);
    return rows.map(({ _id, _creationTime, pipeline: _p, ...rest }) => rest);
  },
});
