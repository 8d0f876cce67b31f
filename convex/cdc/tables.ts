/**
 * The fields of a `cdc_migrations` row besides its pipeline (what `cdc/migrations:migrations` returns per row).
 */
export const migrationFields = {
  migration: v.string(),
  step: v.union(v.literal("widen"), v.literal("backfill"), v.literal("narrow")),
  state: v.union(
    v.literal("pending"),
    v.literal("running"),
    v.literal("completed"),
    v.literal("failed"),
    v.literal("rolled back"),
  ),
  tables: v.array(v.string()),
  changes: v.array(v.string()),
  processed: v.optional(v.number()),
  total: v.optional(v.number()),
  startedAt: v.optional(v.number()),
  updatedAt: v.number(),
  endedAt: v.optional(v.number()),
  error: v.optional(v.string()),
};

/**
 * Tables that the pgconvex CDC functions (`cdc/ingest.ts`, `cdc/lineage.ts`, `cdc/verify.ts`, `cdc/markers.ts`,
 * `cdc/cutover.ts`) need in the target deployment.
 *
 * Spread them into your own schema:
 *
 * ```ts
 * import { defineSchema } from "convex/server";
 * import { cdcTables } from "./cdc/tables";
 * export default defineSchema({ ...yourTables, ...cdcTables });
 * ```
 *
 * These tables belong to the pipeline: do not write to them from your own functions.
 */
import { defineTable } from "convex/server";
import { v } from "convex/values";

export const cdcTables = {
  /**
   * One row per source row ever seen (Postgres primary key), live or deleted.
   * - `table`: Convex target table, `key`: source key (canonical JSON text of the primary key, e.g. `[42]`).
   * - `docId`: the `_id` of the live Convex document; unset after a delete (the row is then a tombstone).
   * - `position`: the position of the last applied change of that row; older changes are skipped.
   * Unique on (`table`, `key`): enforced by `applyBatch`, which always queries `by_table_key` before inserting.
   * `by_table_position` lists the keys changed at or after a position (`cdc/cutover:changedKeys`, the
   * cutover's `--verify changed`) without reading the others.
   */
  cdc_keys: defineTable({
    table: v.string(),
    key: v.string(),
    docId: v.optional(v.string()),
    position: v.string(),
  })
    .index("by_table_key", ["table", "key"])
    .index("by_table_position", ["table", "position"])
    // Which key row points at a document: how the verifier tells the pipeline's documents from ones
    // written by anything else (`cdc/verify:unkeyedDocs`).
    .index("by_docId", ["docId"]),

  /**
   * Replication progress per source (for example one Postgres slot): moves forward only.
   * `commitTs` is the source commit time (epoch ms) of the change at `position`; `updatedAt` is when it was written.
   */
  cdc_checkpoints: defineTable({
    source: v.string(),
    position: v.string(),
    commitTs: v.optional(v.number()),
    updatedAt: v.number(),
  }).index("by_source", ["source"]),

  /**
   * Which pipeline (`cdc.topic.prefix`) mirrors into this deployment and from which Postgres (cluster
   * `systemIdentifier`, `database`, `slot`): written by `cdc/lineage:claimLineage`. The document's `_id` is the
   * mirror id the pipeline records in Kafka beside its ids, so ids of a wiped or replaced deployment are never
   * written into this one.
   */
  cdc_lineage: defineTable({
    pipeline: v.string(),
    source: v.optional(v.object({ systemIdentifier: v.string(), database: v.string(), slot: v.string() })),
    createdAt: v.number(),
  }).index("by_pipeline", ["pipeline"]),

  /**
   * Barrier markers confirmed by the sink (`cdc/markers`): one row per (pipeline, marker, ops partition), written
   * once every op before the marker in that partition was applied. `held`: rows the transformer still held for a
   * parent when it forwarded the marker. Times are epoch ms; `appliedAt` is Convex's clock. Bounded per pipeline.
   */
  cdc_markers: defineTable({
    pipeline: v.string(),
    marker: v.string(),
    partition: v.number(),
    position: v.string(),
    held: v.number(),
    sourceAt: v.number(),
    transformerAt: v.number(),
    appliedAt: v.number(),
  })
    .index("by_marker", ["pipeline", "marker", "partition"])
    .index("by_pipeline_applied", ["pipeline", "appliedAt"]),

  /**
   * One row per cutover (`./cdc cutover`, also a rehearsal with `--freeze none`) of a pipeline, written by
   * `cdc/cutover:record`: the state (`ready` -> `freezing` -> `draining` -> `verifying` -> `switched` |
   * `rehearsed` | `aborted`; the last three are final, `rehearsed` is a `--freeze none` run without a switch hook) and, in `times`, when each state was entered (epoch ms, Convex's
   * clock). An application may subscribe to it through a query of its own (docs/contracts.md, "Cutover state").
   */
  cdc_cutovers: defineTable({
    pipeline: v.string(),
    cutoverId: v.string(),
    state: v.union(
      v.literal("ready"),
      v.literal("freezing"),
      v.literal("draining"),
      v.literal("verifying"),
      v.literal("switched"),
      v.literal("rehearsed"),
      v.literal("aborted"),
    ),
    startedAt: v.number(),
    updatedAt: v.number(),
    times: v.object({
      ready: v.optional(v.number()),
      freezing: v.optional(v.number()),
      draining: v.optional(v.number()),
      verifying: v.optional(v.number()),
      switched: v.optional(v.number()),
      rehearsed: v.optional(v.number()),
      aborted: v.optional(v.number()),
    }),
    freeze: v.optional(v.string()),
    verifyMode: v.optional(v.string()),
    markerLsn: v.optional(v.string()),
    pauseMs: v.optional(v.number()),
    step: v.optional(v.string()),
    reason: v.optional(v.string()),
    verify: v.optional(
      v.object({
        mode: v.string(),
        equal: v.boolean(),
        differences: v.number(),
        scope: v.string(),
        baselineLsn: v.optional(v.number()),
        at: v.number(),
      }),
    ),
  })
    .index("by_pipeline_started", ["pipeline", "startedAt"])
    .index("by_pipeline_cutover", ["pipeline", "cutoverId"]),

  /**
   * One row per step of a schema evolution (`./cdc schema evolve`), in the spirit of the migrations
   * component's `migrationStatus`: `widen` (old and new fields both optional), `backfill` (every document of
   * the table re-read from Postgres into the new shape, then verified), `narrow` (new fields required where
   * the column is NOT NULL, old ones removed). Written by `cdc/migrations:record`; an application may read it
   * through a query of its own (docs/contracts.md, "Schema evolution").
   */
  cdc_migrations: defineTable({ pipeline: v.string(), ...migrationFields })
    .index("by_pipeline_migration_step", ["pipeline", "migration", "step"])
    .index("by_pipeline_updated", ["pipeline", "updatedAt"]),
};
