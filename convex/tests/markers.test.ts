/**
 * Tests of `cdc/markers`: the sink's per-partition confirmation of a barrier marker and the status a cutover
 * polls.
 */
import { describe, expect, test } from "vitest";
import { internal } from "../_generated/api";
import { MAX_MARKER_ROWS } from "../cdc/markers";
import { newDeployment } from "./test.helpers";

function confirmation(marker: string, partition: number, held = 0) {
  return {
    pipeline: "p",
    marker,
    partition,
    position: "0000000001000000:00000000",
    held,
    sourceAt: 1000,
    transformerAt: 1100,
  };
}

describe("confirmMarker and markerStatus", () => {
  test("each partition's confirmation is listed once, with the hop times and Convex's own time", async () => {
    const t = newDeployment();
    expect(await t.query(internal.cdc.markers.markerStatus, { pipeline: "p", marker: "m1" })).toEqual([]);
    const before = Date.now();
    expect((await t.mutation(internal.cdc.markers.confirmMarker, confirmation("m1", 0))).status).toBe("confirmed");
    expect((await t.mutation(internal.cdc.markers.confirmMarker, confirmation("m1", 2, 3))).status).toBe("confirmed");
    const rows = await t.query(internal.cdc.markers.markerStatus, { pipeline: "p", marker: "m1" });
    expect(rows.map((r) => [r.partition, r.held])).toEqual([
      [0, 0],
      [2, 3],
    ]);
    expect(rows[0].sourceAt).toBe(1000);
    expect(rows[0].transformerAt).toBe(1100);
    expect(rows[0].appliedAt).toBeGreaterThanOrEqual(before);
  });

  test("a repeated confirmation (a sink restarted) changes nothing; other markers and pipelines are apart", async () => {
    const t = newDeployment();
    await t.mutation(internal.cdc.markers.confirmMarker, confirmation("m1", 1));
    const first = await t.query(internal.cdc.markers.markerStatus, { pipeline: "p", marker: "m1" });
    expect((await t.mutation(internal.cdc.markers.confirmMarker, confirmation("m1", 1, 9))).status).toBe("duplicate");
    expect(await t.query(internal.cdc.markers.markerStatus, { pipeline: "p", marker: "m1" })).toEqual(first);
    expect(await t.query(internal.cdc.markers.markerStatus, { pipeline: "p", marker: "m2" })).toEqual([]);
    expect(await t.query(internal.cdc.markers.markerStatus, { pipeline: "q", marker: "m1" })).toEqual([]);
  });

  test("the pipeline keeps a bounded number of confirmations, the newest", async () => {
    const t = newDeployment();
    for (let i = 0; i < MAX_MARKER_ROWS + 3; i++) {
      await t.mutation(internal.cdc.markers.confirmMarker, confirmation(`m${i}`, 0));
    }
    const count = await t.run(async (ctx) => (await ctx.db.query("cdc_markers").collect()).length);
    expect(count).toBe(MAX_MARKER_ROWS);
    const last = `m${MAX_MARKER_ROWS + 2}`;
    expect(await t.query(internal.cdc.markers.markerStatus, { pipeline: "p", marker: last })).toHaveLength(1);
  });
});
