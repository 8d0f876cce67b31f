/**
 * Tests of `cdc/cutover`: the state of a cutover as the application sees it (forward only, final states
 * kept), the last cutover and the last verify of a pipeline, and the changed keys of `--verify changed`.
 */
import { describe, expect, test } from "vitest";
import { internal } from "../_generated/api";
import { pos } from "./applyBatch.cases";
import { newDeployment } from "./test.helpers";

describe("record", () => {
  test("a cutover goes ready -> freezing -> draining -> verifying -> switched, each state stamped once", async () => {
    const t = newDeployment();
    const base = { pipeline: "p", cutoverId: "c-1" };
    const first = await t.mutation(internal.cdc.cutover.record, { ...base, state: "ready", freeze: "lock" });
    expect(first.state).toBe("ready");
    expect(first.freeze).toBe("lock");
    expect(first.times.ready).toBeTypeOf("number");
    for (const state of ["freezing", "draining", "verifying"] as const) {
      await t.mutation(internal.cdc.cutover.record, { ...base, state });
    }
    const again = await t.mutation(internal.cdc.cutover.record, { ...base, state: "verifying" });
    expect(again.times.verifying).toBeTypeOf("number");
    const done = await t.mutation(internal.cdc.cutover.record, { ...base, state: "switched", markerLsn: "0/1A2B3C8" });
    expect(done.state).toBe("switched");
    expect(done.markerLsn).toBe("0/1A2B3C8");
    expect(done.freeze).toBe("lock"); // fields given earlier stay
    expect(Object.keys(done.times).sort()).toEqual(["draining", "freezing", "ready", "switched", "verifying"]);
    // the pause is measured after the release: the same final state may add fields
    const paused = await t.mutation(internal.cdc.cutover.record, { ...base, state: "switched", pauseMs: 812 });
    expect(paused.pauseMs).toBe(812);
    expect(paused.times.switched).toBe(done.times.switched);
  });

  test("a final state is never left", async () => {
    const t = newDeployment();
    const base = { pipeline: "p", cutoverId: "c-2" };
    await t.mutation(internal.cdc.cutover.record, { ...base, state: "draining" });
    await t.mutation(internal.cdc.cutover.record, { ...base, state: "aborted", step: "drain", reason: "timeout" });
    await expect(t.mutation(internal.cdc.cutover.record, { ...base, state: "switched" })).rejects.toThrow(
      /CUTOVER_FINAL/,
    );
    const last = await t.query(internal.cdc.cutover.lastCutover, { pipeline: "p" });
    expect(last).toMatchObject({ cutoverId: "c-2", state: "aborted", step: "drain", reason: "timeout" });
  });
});

describe("lastCutover and lastVerify", () => {
  test("the most recent cutover and verify of each pipeline", async () => {
    const t = newDeployment();
    expect(await t.query(internal.cdc.cutover.lastCutover, { pipeline: "p" })).toBeNull();
    expect(await t.query(internal.cdc.cutover.lastVerify, { pipeline: "p" })).toBeNull();
    const verify = { mode: "full", equal: true, differences: 0, scope: "3 tables", baselineLsn: 4096 };
    await t.mutation(internal.cdc.cutover.record, { pipeline: "p", cutoverId: "rehearsal", state: "verifying", verify });
    await t.mutation(internal.cdc.cutover.record, { pipeline: "p", cutoverId: "rehearsal", state: "rehearsed" });
    // a later cutover that aborted before verifying does not hide the rehearsal's verify
    await t.mutation(internal.cdc.cutover.record, { pipeline: "p", cutoverId: "real", state: "aborted" });
    await t.mutation(internal.cdc.cutover.record, { pipeline: "q", cutoverId: "other", state: "ready" });
    expect(await t.query(internal.cdc.cutover.lastCutover, { pipeline: "p" })).toMatchObject({
      cutoverId: "real",
      state: "aborted",
    });
    expect(await t.query(internal.cdc.cutover.lastVerify, { pipeline: "p" })).toMatchObject({
      cutoverId: "rehearsal",
      equal: true,
      baselineLsn: 4096,
    });
    // a verify that found differences is the last verify too
    await t.mutation(internal.cdc.cutover.record, {
      pipeline: "p",
      cutoverId: "real",
      state: "aborted",
      verify: { mode: "changed", equal: false, differences: 2, scope: "5 keys" },
    });
    expect(await t.query(internal.cdc.cutover.lastVerify, { pipeline: "p" })).toMatchObject({
      cutoverId: "real",
      equal: false,
      baselineLsn: null,
    });
  });
});

describe("changedKeys", () => {
  test("lists the keys changed at or after a position, deletes included, page by page", async () => {
    const t = newDeployment();
    const upsert = (i: number, lsn: number) => ({
      table: "users",
      key: `[${i}]`,
      op: "upsert" as const,
      position: pos(lsn, 0),
      doc: { clerkUserId: `u${i}`, email: `u${i}@x`, credits: "0" },
    });
    await t.mutation(internal.cdc.ingest.applyBatch, { ops: [0, 1, 2, 3, 4].map((i) => upsert(i, 10)) });
    await t.mutation(internal.cdc.ingest.applyBatch, {
      ops: [upsert(1, 20), upsert(3, 30), { table: "users", key: "[4]", op: "delete", position: pos(25, 0) }],
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    for (;;) {
      const r: { page: string[]; continueCursor: string; isDone: boolean } = await t.query(
        internal.cdc.cutover.changedKeys,
        { table: "users", since: pos(20, 0), cursor, pageSize: 2 },
      );
      seen.push(...r.page);
      if (r.isDone) break;
      cursor = r.continueCursor;
    }
    expect(seen).toEqual(["[1]", "[4]", "[3]"]);
    const none = await t.query(internal.cdc.cutover.changedKeys, { table: "users", since: pos(31, 0) });
    expect(none).toMatchObject({ page: [], isDone: true });
  });
});
