/**
 * Tests of `cdc/ingest` that need more than the data-driven cases: stored state (key rows, tombstones),
 * limits (batch sizes within Convex's per-transaction limits, up-front rejection), large pages, and
 * documents removed by hand.
 */
import { describe, expect, test } from "vitest";
import { internal } from "../_generated/api";
import {
  MAX_BATCH_ARG_BYTES,
  MAX_BATCH_OPS,
  MAX_DOC_PAGE_BYTES,
  MAX_DOC_PAGE_LIMIT,
  TABLE_COUNT_PAGE_SIZE,
} from "../cdc/ingest";
import { pos } from "./applyBatch.cases";
import { newDeployment } from "./test.helpers";

type Deployment = ReturnType<typeof newDeployment>;

function user(n: number, extra: Record<string, unknown> = {}) {
  return { clerkUserId: `user_${n}`, email: `u${n}@example.com`, credits: "0.00", ...extra };
}
const upsert = (key: string, position: string, doc: Record<string, unknown>, table = "users") => ({
  table,
  key,
  op: "upsert" as const,
  position,
  doc,
});

async function keyRows(t: Deployment, table: string) {
  return await t.run(async (ctx) =>
    ctx.db
      .query("cdc_keys")
      .withIndex("by_table_key", (q) => q.eq("table", table))
      .collect(),
  );
}

/** Rejection of a call, as the ConvexError data it carried. */
async function errorData(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (e: any) {
    return e.data ?? { message: String(e.message) };
  }
  throw new Error("expected the call to fail");
}

describe("applyBatch state", () => {
  test("result ids are real ids of the op's table", async () => {
    const t = newDeployment();
    const { results } = await t.mutation(internal.cdc.ingest.applyBatch, {
      ops: [upsert("[1]", pos(1), user(1)), upsert("[1,2]", pos(2), { orderId: 1, lineNo: 2, sku: "x" }, "orderItems")],
    });
    await t.run(async (ctx) => {
      const userId = ctx.db.normalizeId("users", results[0].id!);
      const itemId = ctx.db.normalizeId("orderItems", results[1].id!);
      expect(userId).not.toBeNull();
      expect(itemId).not.toBeNull();
      expect(ctx.db.normalizeId("orderItems", results[0].id!)).toBeNull();
      expect(ctx.db.normalizeId("users", results[1].id!)).toBeNull();
      expect(await ctx.db.get(userId!)).toMatchObject(user(1));
      expect(await ctx.db.get(itemId!)).toMatchObject({ orderId: 1, lineNo: 2, sku: "x" });
    });
  });

  test("one key row per (table, key), tombstone keeps the position and unsets docId", async () => {
    const t = newDeployment();
    const ops = [
      upsert("[1]", pos(1), user(1)),
      upsert("[1]", pos(2), user(1)),
      { table: "users", key: "[1]", op: "delete" as const, position: pos(3) },
      upsert("[2]", pos(4), user(2)),
    ];
    await t.mutation(internal.cdc.ingest.applyBatch, { ops });
    await t.mutation(internal.cdc.ingest.applyBatch, { ops }); // a retry of the same batch
    const rows = await keyRows(t, "users");
    expect(rows.map((r) => [r.key, r.position, r.docId === undefined])).toEqual([
      ["[1]", pos(3), true],
      ["[2]", pos(4), false],
    ]);
    expect(await t.run(async (ctx) => (await ctx.db.query("users").collect()).length)).toBe(1);
  });

  test("a document removed by hand: upsert inserts it again, patch reports missing", async () => {
    const t = newDeployment();
    const first = await t.mutation(internal.cdc.ingest.applyBatch, {
      ops: [upsert("[1]", pos(1), user(1)), upsert("[2]", pos(1, 1), user(2))],
    });
    await t.run(async (ctx) => {
      for (const r of first.results) await ctx.db.delete(ctx.db.normalizeId("users", r.id!)!);
    });
    const again = await t.mutation(internal.cdc.ingest.applyBatch, {
      ops: [
        upsert("[1]", pos(2), user(1, { email: "back@example.com" })),
        { table: "users", key: "[2]", op: "patch", position: pos(2, 1), doc: { email: "x@example.com" } },
      ],
    });
    expect(again.results[0]).toMatchObject({ status: "applied" });
    expect(again.results[0].id).not.toBe(first.results[0].id);
    expect(again.results[1]).toEqual({ status: "missing", id: null });
    const page = await t.query(internal.cdc.ingest.docPage, { table: "users", limit: 10 });
    expect(page.page).toEqual([
      { key: "[1]", id: again.results[0].id, position: pos(2), doc: user(1, { email: "back@example.com" }) },
    ]);
  });

  test("a stale id of another table in a key row is not used", async () => {
    const t = newDeployment();
    const { results } = await t.mutation(internal.cdc.ingest.applyBatch, {
      ops: [upsert("[5,5]", pos(1), { orderId: 5, lineNo: 5, sku: "s" }, "orderItems")],
    });
    // Corrupt state on purpose: a users key row pointing at an orderItems document.
    await t.run(async (ctx) => {
      await ctx.db.insert("cdc_keys", { table: "users", key: "[5]", docId: results[0].id!, position: pos(1) });
    });
    const out = await t.mutation(internal.cdc.ingest.applyBatch, { ops: [upsert("[5]", pos(2), user(5))] });
    await t.run(async (ctx) => {
      expect(ctx.db.normalizeId("users", out.results[0].id!)).not.toBeNull();
      expect(await ctx.db.query("orderItems").collect()).toHaveLength(1);
    });
  });
});

describe("limits", () => {
  test(`a batch of ${MAX_BATCH_OPS} worst-case ops fits Convex's transaction limits`, async () => {
    const t = newDeployment();
    // ~3.5 KB per document: 1000 ops stay just under the argument byte limit.
    const filler = "x".repeat(3500);
    const ops = (lsn: number) =>
      Array.from({ length: MAX_BATCH_OPS }, (_, i) => upsert(`[${i}]`, pos(lsn, i), user(i, { image: filler })));
    // inserts, then replaces of existing documents (key query + get + replace + key patch per op) ...
    const inserted = await t.mutation(internal.cdc.ingest.applyBatch, { ops: ops(1) });
    expect(inserted.results.every((r) => r.status === "applied")).toBe(true);
    const replaced = await t.mutation(internal.cdc.ingest.applyBatch, { ops: ops(2) });
    expect(replaced.results.map((r) => r.id)).toEqual(inserted.results.map((r) => r.id));
    // ... then patches and deletes.
    const patched = await t.mutation(internal.cdc.ingest.applyBatch, {
      ops: Array.from({ length: MAX_BATCH_OPS }, (_, i) => ({
        table: "users",
        key: `[${i}]`,
        op: i % 2 === 0 ? ("patch" as const) : ("delete" as const),
        position: pos(3, i),
        ...(i % 2 === 0 ? { doc: { image: null, email: `p${i}@example.com` } } : {}),
      })),
    });
    expect(patched.results.filter((r) => r.status === "applied")).toHaveLength(MAX_BATCH_OPS);
    const count = await t.query(internal.cdc.ingest.tableCount, { table: "users" });
    expect(count).toMatchObject({ count: MAX_BATCH_OPS / 2, isDone: true });
  });

  test("too many ops are rejected up front", async () => {
    const t = newDeployment();
    const ops = Array.from({ length: MAX_BATCH_OPS + 1 }, (_, i) => upsert(`[${i}]`, pos(1, i), user(i)));
    expect(await errorData(t.mutation(internal.cdc.ingest.applyBatch, { ops }))).toMatchObject({
      code: "BATCH_TOO_LARGE",
      limit: "ops",
      max: MAX_BATCH_OPS,
      actual: MAX_BATCH_OPS + 1,
    });
    expect(await keyRows(t, "users")).toHaveLength(0);
  });

  test("an op for an undeclared table names the table and the fix; the schema's own tables pass", async () => {
    const t = newDeployment();
    const data = await errorData(
      t.mutation(internal.cdc.ingest.applyBatch, { ops: [upsert("[1]", pos(1), { n: 1 }, "auditLog")] }),
    );
    expect(data).toMatchObject({ code: "INVALID_OP", index: 0 });
    expect(data.reason).toContain("auditLog");
    expect(data.reason).toContain("./cdc schema generate");
    const tables = await t.run(async (ctx) => (await ctx.db.query("auditLog" as any).collect()).length);
    expect(tables).toBe(0);
    // Every table of the demo schema is accepted (orderItems included), the pipeline's own are not.
    const ok = await t.mutation(internal.cdc.ingest.applyBatch, {
      ops: [upsert("[1,1]", pos(1), { orderId: 1, lineNo: 1, sku: "a" }, "orderItems"), upsert("[1]", pos(1), user(1))],
    });
    expect(ok.results.map((r) => r.status)).toEqual(["applied", "applied"]);
    for (const reserved of ["cdc_keys", "cdc_checkpoints"]) {
      const rejected = await errorData(
        t.mutation(internal.cdc.ingest.applyBatch, { ops: [upsert("[9]", pos(2), { n: 1 }, reserved)] }),
      );
      expect(rejected.reason).toContain("belongs to the pipeline");
    }
  });

  test("too many argument bytes are rejected up front", async () => {
    const t = newDeployment();
    const big = "é".repeat(400_000); // 800,000 UTF-8 bytes, 400,000 UTF-16 units
    const ops = Array.from({ length: 6 }, (_, i) => upsert(`[${i}]`, pos(1, i), user(i, { image: big })));
    const data = await errorData(t.mutation(internal.cdc.ingest.applyBatch, { ops }));
    expect(data).toMatchObject({ code: "BATCH_TOO_LARGE", limit: "argBytes", max: MAX_BATCH_ARG_BYTES });
    expect(data.actual).toBeGreaterThan(6 * 800_000);
    expect(await keyRows(t, "users")).toHaveLength(0);
    // Five of them (4.0 MB) fit.
    const ok = await t.mutation(internal.cdc.ingest.applyBatch, { ops: ops.slice(0, 5) });
    expect(ok.results).toHaveLength(5);
  });
});

describe("verification queries over many rows", () => {
  /** Inserts `n` users and their key rows directly (fast), keys `[0]`..`[n-1]`, every 10th a tombstone. */
  async function seed(t: Deployment, n: number, doc: (i: number) => Record<string, unknown> = (i) => user(i)) {
    await t.run(async (ctx) => {
      for (let i = 0; i < n; i++) {
        if (i % 10 === 9) {
          await ctx.db.insert("cdc_keys", { table: "users", key: `[${i}]`, position: pos(1) });
        } else {
          const id = await ctx.db.insert("users", doc(i) as any);
          await ctx.db.insert("cdc_keys", { table: "users", key: `[${i}]`, docId: id, position: pos(1) });
        }
      }
    });
  }

  test(`tableCount pages by ${TABLE_COUNT_PAGE_SIZE} key rows`, async () => {
    const t = newDeployment();
    await seed(t, TABLE_COUNT_PAGE_SIZE + 10);
    let cursor: string | null = null;
    let total = 0;
    let pages = 0;
    for (;;) {
      const r: { count: number; continueCursor: string; isDone: boolean } = await t.query(
        internal.cdc.ingest.tableCount,
        { table: "users", cursor },
      );
      total += r.count;
      pages++;
      if (r.isDone) break;
      cursor = r.continueCursor;
    }
    expect(pages).toBe(2);
    expect(total).toBe(((TABLE_COUNT_PAGE_SIZE + 10) / 10) * 9);
  });

  test(`docPage caps limit at ${MAX_DOC_PAGE_LIMIT} and walks every live document once, in key order`, async () => {
    const t = newDeployment();
    const n = MAX_DOC_PAGE_LIMIT + 200;
    await seed(t, n);
    const keys: string[] = [];
    let cursor: string | null = null;
    const sizes: number[] = [];
    for (;;) {
      const r: { page: Array<{ key: string }>; continueCursor: string; isDone: boolean } = await t.query(
        internal.cdc.ingest.docPage,
        { table: "users", cursor, limit: 100_000 },
      );
      sizes.push(r.page.length);
      keys.push(...r.page.map((e) => e.key));
      if (r.isDone) break;
      cursor = r.continueCursor;
    }
    // Key order is the order of the key text ("[10]" < "[1]" < "[2]"): the first page holds the live ones among the
    // first MAX_DOC_PAGE_LIMIT keys in that order.
    const textOrder = Array.from({ length: n }, (_, i) => i).sort((a, b) => (`[${a}]` < `[${b}]` ? -1 : 1));
    expect(sizes[0]).toBe(textOrder.slice(0, MAX_DOC_PAGE_LIMIT).filter((i) => i % 10 !== 9).length);
    expect(sizes[0]).toBeLessThan(MAX_DOC_PAGE_LIMIT);
    expect(keys).toHaveLength((n / 10) * 9);
    expect([...keys].sort()).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test(`docPage ends a page once it holds more than ${MAX_DOC_PAGE_BYTES} bytes`, async () => {
    const t = newDeployment();
    const big = "y".repeat(900_000);
    await seed(t, 12, (i) => user(i, { image: big }));
    const first = await t.query(internal.cdc.ingest.docPage, { table: "users", limit: 100 });
    // Key text order: [0] [10] [11] [1] [2] .. [9] ("0" < "]"); 10 documents of ~0.9 MB pass 8 MiB; [9] is
    // a tombstone.
    expect(first.page.map((e) => e.key)).toEqual(["[0]", "[10]", "[11]", "[1]", "[2]", "[3]", "[4]", "[5]", "[6]", "[7]"]);
    expect(first.isDone).toBe(false);
    const rest = await t.query(internal.cdc.ingest.docPage, { table: "users", limit: 100, cursor: first.continueCursor });
    expect(rest.page.map((e) => e.key)).toEqual(["[8]"]);
    expect(rest.isDone).toBe(true);
  });
});

describe("checkpoints", () => {
  test("updatedAt is stamped on every applied write", async () => {
    const t = newDeployment();
    const before = Date.now();
    await t.mutation(internal.cdc.ingest.setCheckpoint, { source: "s", position: pos(1), commitTs: 5 });
    const cp = await t.query(internal.cdc.ingest.getCheckpoint, { source: "s" });
    expect(cp).toEqual({ position: pos(1), commitTs: 5, updatedAt: expect.any(Number) });
    expect(cp!.updatedAt).toBeGreaterThanOrEqual(before);
    const rows = await t.run(async (ctx) => ctx.db.query("cdc_checkpoints").collect());
    expect(rows).toHaveLength(1);
  });
});
