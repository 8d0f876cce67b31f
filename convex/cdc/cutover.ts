/**
 * pgconvex cutover state: one row per `./cdc cutover` of a pipeline in `cdc_cutovers` (docs/contracts.md,
 * "Cutover state"), so that `./cdc status` shows the last one and an application can watch the switch; and
 * the changed keys a cutover's `--verify changed` compares.
 *
 * All functions are internal (admin or deploy key), like `cdc/ingest`.
 */
import { ConvexError, v } from "convex/values";
import type { Doc } from "../_generated/dataModel";
import { internalMutation, internalQuery } from "../_generated/server";

/** The states in order; `switched`, `rehearsed` (a `--freeze none` run that switched nothing) and `aborted` are final. */
export const STATES = ["ready", "freezing", "draining", "verifying", "switched", "rehearsed", "aborted"] as const;
export type CutoverState = (typeof STATES)[number];
const FINAL: ReadonlySet<CutoverState> = new Set(["switched", "rehearsed", "aborted"]);

/** Most keys `changedKeys` returns in one page (key rows only, no document reads). */
export const CHANGED_PAGE_SIZE = 4000;

/** Cutovers `lastVerify` looks back over. */
export const VERIFY_LOOKBACK = 100;

const stateValidator = v.union(
  v.literal("ready"),
  v.literal("freezing"),
  v.literal("draining"),
  v.literal("verifying"),
  v.literal("switched"),
  v.literal("rehearsed"),
  v.literal("aborted"),
);

const verifyValidator = v.object({
  mode: v.string(),
  equal: v.boolean(),
  differences: v.number(),
  scope: v.string(),
  baselineLsn: v.optional(v.number()),
});

const timesValidator = v.object({
  ready: v.optional(v.number()),
  freezing: v.optional(v.number()),
  draining: v.optional(v.number()),
  verifying: v.optional(v.number()),
  switched: v.optional(v.number()),
  rehearsed: v.optional(v.number()),
  aborted: v.optional(v.number()),
});

const cutoverValidator = v.object({
  pipeline: v.string(),
  cutoverId: v.string(),
  state: stateValidator,
  startedAt: v.number(),
  updatedAt: v.number(),
  times: timesValidator,
  freeze: v.union(v.null(), v.string()),
  verifyMode: v.union(v.null(), v.string()),
  markerLsn: v.union(v.null(), v.string()),
  pauseMs: v.union(v.null(), v.number()),
  step: v.union(v.null(), v.string()),
  reason: v.union(v.null(), v.string()),
  verify: v.union(v.null(), v.object({ ...verifyValidator.fields, at: v.number() })),
});

function view(row: Doc<"cdc_cutovers">) {
  return {
    pipeline: row.pipeline,
    cutoverId: row.cutoverId,
    state: row.state,
    startedAt: row.startedAt,
    updatedAt: row.updatedAt,
    times: row.times,
    freeze: row.freeze ?? null,
    verifyMode: row.verifyMode ?? null,
    markerLsn: row.markerLsn ?? null,
    pauseMs: row.pauseMs ?? null,
    step: row.step ?? null,
    reason: row.reason ?? null,
    verify: row.verify ?? null,
  };
}

/**
 * `record({ pipeline, cutoverId, state, ...fields })`: the cutover `cutoverId` of `pipeline` is in `state` now.
 * Creates the row on the first call (any state); afterwards sets the state, stamps `times[state]` the first
 * time it is entered, and sets the fields given (`freeze`, `verifyMode`, `markerLsn`, `pauseMs`, `step`,
 * `reason`, `verify`; a `verify` gets `at` = now). A final state (`switched`, `rehearsed`, `aborted`) is never left: recording
 * another state then fails with `ConvexError {code: "CUTOVER_FINAL", state}`; the same final state again only
 * updates fields (e.g. the pause measured after the release). Returns the row as stored.
 */
export const record = internalMutation({
  args: {
    pipeline: v.string(),
    cutoverId: v.string(),
    state: stateValidator,
    freeze: v.optional(v.string()),
    verifyMode: v.optional(v.string()),
    markerLsn: v.optional(v.string()),
    pauseMs: v.optional(v.number()),
    step: v.optional(v.string()),
    reason: v.optional(v.string()),
    verify: v.optional(verifyValidator),
  },
  returns: cutoverValidator,
  handler: async (ctx, { pipeline, cutoverId, state, verify, ...fields }) => {
    const now = Date.now();
    const row = await ctx.db
      .query("cdc_cutovers")
      .withIndex("by_pipeline_cutover", (q) => q.eq("pipeline", pipeline).eq("cutoverId", cutoverId))
      .unique();
    const set: Partial<Doc<"cdc_cutovers">> = {};
    for (const [k, value] of Object.entries(fields)) {
      if (value !== undefined) (set as Record<string, unknown>)[k] = value;
    }
    if (verify !== undefined) set.verify = { ...verify, at: now };
    if (row === null) {
      const id = await ctx.db.insert("cdc_cutovers", {
        pipeline,
        cutoverId,
        state,
        startedAt: now,
        updatedAt: now,
        times: { [state]: now },
        ...set,
      });
      return view((await ctx.db.get(id))!);
    }
    if (FINAL.has(row.state) && row.state !== state) {
      throw new ConvexError({ code: "CUTOVER_FINAL", state: row.state });
    }
    const times = row.times[state] === undefined ? { ...row.times, [state]: now } : row.times;
    await ctx.db.patch(row._id, { ...set, state, times, updatedAt: now });
    return view((await ctx.db.get(row._id))!);
  },
});

/** `lastCutover({ pipeline })`: the most recently started cutover of `pipeline`, or null. */
export const lastCutover = internalQuery({
  args: { pipeline: v.string() },
  returns: v.union(v.null(), cutoverValidator),
  handler: async (ctx, { pipeline }) => {
    const row = await ctx.db
      .query("cdc_cutovers")
      .withIndex("by_pipeline_started", (q) => q.eq("pipeline", pipeline))
      .order("desc")
      .first();
    return row === null ? null : view(row);
  },
});

/**
 * `lastVerify({ pipeline })`: the most recent verify a cutover of `pipeline` recorded (among its last
 * `VERIFY_LOOKBACK` cutovers): `{ cutoverId, equal, at, baselineLsn }` (`baselineLsn` null when the verify
 * ran while writes went on and no safe baseline was known), or null.
 */
export const lastVerify = internalQuery({
  args: { pipeline: v.string() },
  returns: v.union(
    v.null(),
    v.object({ cutoverId: v.string(), equal: v.boolean(), at: v.number(), baselineLsn: v.union(v.null(), v.number()) }),
  ),
  handler: async (ctx, { pipeline }) => {
    const rows = await ctx.db
      .query("cdc_cutovers")
      .withIndex("by_pipeline_started", (q) => q.eq("pipeline", pipeline))
      .order("desc")
      .take(VERIFY_LOOKBACK);
    let best: { cutoverId: string; equal: boolean; at: number; baselineLsn: number | null } | null = null;
    for (const r of rows) {
      if (r.verify !== undefined && (best === null || r.verify.at > best.at)) {
        best = { cutoverId: r.cutoverId, equal: r.verify.equal, at: r.verify.at, baselineLsn: r.verify.baselineLsn ?? null };
      }
    }
    return best;
  },
});

/**
 * `changedKeys({ table, since, cursor?, pageSize? })`: one page of the source keys of `table` whose last change
 * has a position at or after `since` (a position, `Position.of(lsn, 0)`), deleted keys (tombstones) included:
 * `{ page: [key], continueCursor, isDone }`, in position order. Reads key rows only (`by_table_position`),
 * `CHANGED_PAGE_SIZE` a page by default and at most.
 */
export const changedKeys = internalQuery({
  args: {
    table: v.string(),
    since: v.string(),
    cursor: v.optional(v.union(v.string(), v.null())),
    pageSize: v.optional(v.number()),
  },
  returns: v.object({ page: v.array(v.string()), continueCursor: v.string(), isDone: v.boolean() }),
  handler: async (ctx, { table, since, cursor, pageSize }) => {
    const numItems = Math.max(1, Math.min(Math.floor(pageSize ?? CHANGED_PAGE_SIZE), CHANGED_PAGE_SIZE));
    const r = await ctx.db
      .query("cdc_keys")
      .withIndex("by_table_position", (q) => q.eq("table", table).gte("position", since))
      .paginate({ cursor: cursor ?? null, numItems });
    return { page: r.page.map((row) => row.key), continueCursor: r.continueCursor, isDone: r.isDone };
  },
});
