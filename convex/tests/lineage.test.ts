/**
 * Tests of `cdc/lineage`: the claim that keeps a pipeline from mixing Postgres sources or Convex
 * deployments, and the paged reset of a mirror.
 */
import { describe, expect, test } from "vitest";
import { internal } from "../_generated/api";
import { pos } from "./applyBatch.cases";
import { newDeployment } from "./test.helpers";

const shop = { systemIdentifier: "7301", database: "shop", slot: "pgconvex" };

/** Upserts of users `[0]` .. `[n-1]`, at positions (1, i). */
function upserts(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    table: "users",
    key: `[${i}]`,
    op: "upsert" as const,
    position: pos(1, i),
    doc: { clerkUserId: `u${i}`, email: `u${i}@x`, credits: "0" },
  }));
}

describe("claimLineage", () => {
  test("the first claim creates the lineage; its mirror id is the document's id", async () => {
    const t = newDeployment();
    expect(await t.query(internal.cdc.lineage.getLineage, { pipeline: "p" })).toBeNull();
    const r = await t.mutation(internal.cdc.lineage.claimLineage, { pipeline: "p", source: shop });
    expect(r.status).toBe("created");
    expect(r.lineage.source).toEqual(shop);
    expect(r.lineage.mirrorId.length).toBeGreaterThan(0);
    expect(await t.query(internal.cdc.lineage.getLineage, { pipeline: "p" })).toEqual(r.lineage);
  });

  test("the same source matches; another one conflicts and changes nothing", async () => {
    const t = newDeployment();
    const first = await t.mutation(internal.cdc.lineage.claimLineage, { pipeline: "p", source: shop });
    const again = await t.mutation(internal.cdc.lineage.claimLineage, { pipeline: "p", source: shop });
    expect(again).toEqual({ status: "matched", lineage: first.lineage });
    const other = await t.mutation(internal.cdc.lineage.claimLineage, {
      pipeline: "p",
      source: { ...shop, systemIdentifier: "9999" },
    });
    expect(other.status).toBe("conflict");
    expect(other.lineage).toEqual(first.lineage);
    const otherDb = await t.mutation(internal.cdc.lineage.claimLineage, {
      pipeline: "p",
      source: { ...shop, database: "staging" },
    });
    expect(otherDb.status).toBe("conflict");
  });

  test("a claim without a source is adopted by the first claim that has one", async () => {
    const t = newDeployment();
    const bare = await t.mutation(internal.cdc.lineage.claimLineage, { pipeline: "p", source: null });
    expect(bare.status).toBe("created");
    expect(bare.lineage.source).toBeNull();
    const adopted = await t.mutation(internal.cdc.lineage.claimLineage, { pipeline: "p", source: shop });
    expect(adopted.status).toBe("adopted");
    expect(adopted.lineage).toEqual({ ...bare.lineage, source: shop });
  });

  test("pipelines are independent", async () => {
    const t = newDeployment();
    const a = await t.mutation(internal.cdc.lineage.claimLineage, { pipeline: "a", source: shop });
    const b = await t.mutation(internal.cdc.lineage.claimLineage, { pipeline: "b", source: shop });
    expect(a.lineage.mirrorId).not.toBe(b.lineage.mirrorId);
  });
});

describe("resetMirror", () => {
  test("deletes documents, key rows, checkpoints and lineage page by page", async () => {
    const t = newDeployment();
    await t.mutation(internal.cdc.ingest.applyBatch, { ops: upserts(7) });
    await t.mutation(internal.cdc.ingest.applyBatch, {
      ops: [{ table: "users", key: "[0]", op: "delete", position: pos(2, 0) }],
    });
    await t.mutation(internal.cdc.ingest.setCheckpoint, { source: "p", position: pos(2, 0) });
    await t.mutation(internal.cdc.lineage.claimLineage, { pipeline: "p", source: shop });

    const pages = [];
    let r;
    do {
      r = await t.mutation(internal.cdc.lineage.resetMirror, { limit: 3 });
      pages.push(r);
    } while (!r.isDone);
    expect(pages.map((p) => p.deletedKeys)).toEqual([3, 3, 1]);
    expect(pages.reduce((n, p) => n + p.deletedDocs, 0)).toBe(6); // [0] was a tombstone
    const left = await t.run(async (ctx) => ({
      users: (await ctx.db.query("users").collect()).length,
      keys: (await ctx.db.query("cdc_keys").collect()).length,
      checkpoints: (await ctx.db.query("cdc_checkpoints").collect()).length,
      lineage: (await ctx.db.query("cdc_lineage").collect()).length,
    }));
    expect(left).toEqual({ users: 0, keys: 0, checkpoints: 0, lineage: 0 });
  });
});

describe("keyPage", () => {
  test("lists live keys with their positions, page by page, without tombstones", async () => {
    const t = newDeployment();
    await t.mutation(internal.cdc.ingest.applyBatch, { ops: upserts(5) });
    await t.mutation(internal.cdc.ingest.applyBatch, {
      ops: [{ table: "users", key: "[2]", op: "delete", position: pos(2, 0) }],
    });
    const seen: Array<{ key: string; position: string }> = [];
    let cursor: string | null = null;
    for (;;) {
      const r: { page: Array<{ key: string; position: string }>; continueCursor: string; isDone: boolean } =
        await t.query(internal.cdc.ingest.keyPage, { table: "users", cursor, pageSize: 2 });
      seen.push(...r.page);
      if (r.isDone) break;
      cursor = r.continueCursor;
    }
    expect(seen).toEqual([
      { key: "[0]", position: pos(1, 0) },
      { key: "[1]", position: pos(1, 1) },
      { key: "[3]", position: pos(1, 3) },
      { key: "[4]", position: pos(1, 4) },
    ]);
  });
});
