/**
 * Tests of `cdc/migrations`: the step rows `./cdc schema evolve` records (widen, backfill, narrow) and the list
 * an application or `./cdc status` reads.
 */
import { describe, expect, test } from "vitest";
import { internal } from "../_generated/api";
import { newDeployment } from "./test.helpers";

function step(stepName: "widen" | "backfill" | "narrow", state: string, extra: Record<string, unknown> = {}) {
  return {
    pipeline: "p",
    migration: "m1",
    step: stepName,
    state: state as any,
    tables: ["public.users"],
    changes: ["public.users: `name` gone and `full_name` added: renamed"],
    ...extra,
  };
}

describe("record and migrations", () => {
  test("a step runs then completes: start and end times, progress kept", async () => {
    const t = newDeployment();
    const before = Date.now();
    expect((await t.mutation(internal.cdc.migrations.record, step("backfill", "running", { total: 10 }))).status).toBe(
      "created",
    );
    await t.mutation(internal.cdc.migrations.record, step("backfill", "running", { processed: 4 }));
    let rows = await t.query(internal.cdc.migrations.migrations, { pipeline: "p" });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ step: "backfill", state: "running", processed: 4, total: 10 });
    expect(rows[0].startedAt).toBeGreaterThanOrEqual(before);
    expect(rows[0].endedAt).toBeUndefined();
    await t.mutation(internal.cdc.migrations.record, step("backfill", "completed", { processed: 10 }));
    rows = await t.query(internal.cdc.migrations.migrations, { pipeline: "p" });
    expect(rows[0]).toMatchObject({ state: "completed", processed: 10, total: 10 });
    expect(rows[0].endedAt).toBeGreaterThanOrEqual(rows[0].startedAt!);
  });

  test("a failed step keeps its error, a retry runs it again, a completed one is only rolled back", async () => {
    const t = newDeployment();
    await t.mutation(internal.cdc.migrations.record, step("narrow", "failed", { error: "deploy refused" }));
    let [row] = await t.query(internal.cdc.migrations.migrations, { pipeline: "p" });
    expect(row).toMatchObject({ state: "failed", error: "deploy refused" });
    await t.mutation(internal.cdc.migrations.record, step("narrow", "running"));
    [row] = await t.query(internal.cdc.migrations.migrations, { pipeline: "p" });
    expect(row.state).toBe("running");
    expect(row.error).toBeUndefined();
    expect(row.endedAt).toBeUndefined();
    await t.mutation(internal.cdc.migrations.record, step("narrow", "completed"));
    await t.mutation(internal.cdc.migrations.record, step("narrow", "pending"));
    [row] = await t.query(internal.cdc.migrations.migrations, { pipeline: "p" });
    expect(row.state).toBe("completed");
    await t.mutation(internal.cdc.migrations.record, step("narrow", "rolled back"));
    [row] = await t.query(internal.cdc.migrations.migrations, { pipeline: "p" });
    expect(row.state).toBe("rolled back");
  });

  test("steps and pipelines are apart; the newest update comes first", async () => {
    const t = newDeployment();
    await t.mutation(internal.cdc.migrations.record, step("widen", "completed"));
    await t.mutation(internal.cdc.migrations.record, step("backfill", "running"));
    await t.mutation(internal.cdc.migrations.record, { ...step("widen", "running"), pipeline: "other" });
    const rows = await t.query(internal.cdc.migrations.migrations, { pipeline: "p" });
    expect(rows.map((r) => r.step)).toEqual(["backfill", "widen"]);
  });
});
