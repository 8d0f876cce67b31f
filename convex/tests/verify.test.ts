/**
 * `cdc/verify`: the document hash (shared cases with the Java verifier) and the range queries the verifier
 * reads, on convex-test with Convex's transaction limits enforced.
 */
import { jsonToConvex, type Value } from "convex/values";
import { describe, expect, test } from "vitest";
import { internal } from "../_generated/api";
import { addHashes, docHash, HashSum } from "../cdc/verify";
import cases from "./verifyHash.cases.json";
import { newDeployment } from "./test.helpers";

type Case = { name: string; key: string; convex: unknown; json: unknown; hash: string };
const docs = cases.docs as Case[];
const byName = new Map(docs.map((c) => [c.name, c]));

function hashOf(key: string, doc: Record<string, Value>): string {
  const s = new HashSum();
  s.addDoc(key, doc);
  return s.hex();
}

describe("document hash, shared cases (verifyHash.cases.json)", () => {
  for (const c of docs) {
    test(c.name, () => {
      const doc = jsonToConvex(c.convex as any) as Record<string, Value>;
      expect(hashOf(c.key, doc)).toBe(c.hash);
      // the "json" form hashes the same (int64 and bytes arrive as text)
      expect(hashOf(c.key, c.json as Record<string, Value>)).toBe(c.hash);
    });
  }
  for (const chunk of cases.chunks) {
    test(`chunk: ${chunk.name}`, () => {
      const s = new HashSum();
      for (const name of chunk.docs) {
        const c = byName.get(name)!;
        s.addDoc(c.key, jsonToConvex(c.convex as any) as Record<string, Value>);
      }
      expect(s.hex()).toBe(chunk.hash);
    });
  }
  test("any change of key, field name or value changes the hash", () => {
    const base = { a: "x", b: 1 };
    const h = docHash("[1]", base).join();
    expect(docHash("[2]", base).join()).not.toBe(h);
    expect(docHash("[1]", { a: "y", b: 1 }).join()).not.toBe(h);
    expect(docHash("[1]", { c: "x", b: 1 }).join()).not.toBe(h);
    expect(docHash("[1]", { a: "x", b: 2 }).join()).not.toBe(h);
    expect(docHash("[1]", { a: "x", b: "1" }).join()).not.toBe(h);
    expect(docHash("[1]", { a: "x" }).join()).not.toBe(h);
    expect(docHash("[1]", { a: ["x"], b: 1 }).join()).not.toBe(h);
  });
  test("_id and _creationTime are not hashed", () => {
    expect(docHash("[1]", { _id: "abc", _creationTime: 5, a: 1 })).toEqual(docHash("[1]", { a: 1 }));
  });
  test("addHashes combines disjoint parts", () => {
    const a = new HashSum();
    a.addDoc("[1]", { a: 1 });
    const b = new HashSum();
    b.addDoc("[2]", { a: 2 });
    const both = new HashSum();
    both.addDoc("[2]", { a: 2 });
    both.addDoc("[1]", { a: 1 });
    expect(addHashes(a.hex(), b.hex())).toBe(both.hex());
  });
});

const pos = (n: number) => n.toString(16).toUpperCase().padStart(16, "0") + ":00000000";

async function seed(t: ReturnType<typeof newDeployment>, n: number) {
  const ops = [];
  for (let i = 1; i <= n; i++) {
    ops.push({
      table: "users",
      key: `[${i}]`,
      op: "upsert" as const,
      position: pos(i),
      doc: { clerkUserId: `c${i}`, email: `u${i}@x`, credits: "0.00" },
    });
  }
  return (await t.mutation(internal.cdc.ingest.applyBatch, { ops })).results.map((r) => r.id as string);
}

describe("chunkHash / rangeDocs / keyDocs", () => {
  test("a range hashes as the sum of its documents; parts add up; tombstones and hand-deleted documents are not counted", async () => {
    const t = newDeployment();
    const ids = await seed(t, 12);
    // key-text order ("0" < "]"): [10] [11] [12] [1] [2] ... [9]
    await t.mutation(internal.cdc.ingest.applyBatch, {
      ops: [{ table: "users", key: "[11]", op: "delete", position: pos(100) }],
    });
    await t.run(async (ctx) => ctx.db.delete(ids[11] as any)); // [12], by hand: its key row stays
    const whole = await t.query(internal.cdc.verify.chunkHash, { table: "users", after: "[0]", through: "[2]" });
    const expected = new HashSum();
    for (const k of [10, 1, 2]) {
      expected.addDoc(`[${k}]`, { clerkUserId: `c${k}`, email: `u${k}@x`, credits: "0.00" });
    }
    expect(whole).toMatchObject({ count: 3, hash: expected.hex(), isDone: true });

    const first = await t.query(internal.cdc.verify.chunkHash, { table: "users", after: "[0]", through: "[2]", limit: 2 });
    expect(first).toMatchObject({ scanned: 2, lastKey: "[11]", isDone: false, count: 1 });
    const rest = await t.query(internal.cdc.verify.chunkHash, { table: "users", after: first.lastKey, through: "[2]", limit: 2 });
    expect(rest).toMatchObject({ isDone: false, lastKey: "[1]", count: 1 }); // [12] (deleted by hand), [1]
    const last = await t.query(internal.cdc.verify.chunkHash, { table: "users", after: rest.lastKey, through: "[2]", limit: 2 });
    expect(last).toMatchObject({ isDone: true, count: 1 });
    expect(first.count + rest.count + last.count).toBe(3);
    expect(addHashes(addHashes(first.hash, rest.hash), last.hash)).toBe(whole.hash);

    const all = await t.query(internal.cdc.verify.chunkHash, { table: "users" });
    expect(all).toMatchObject({ count: 10, isDone: true, scanned: 12 });
    const none = await t.query(internal.cdc.verify.chunkHash, { table: "threads" });
    expect(none).toEqual({ count: 0, hash: "0000000000000000", scanned: 0, lastKey: "", isDone: true });
  });

  test("rangeDocs lists the same range with ids and positions", async () => {
    const t = newDeployment();
    const ids = await seed(t, 3);
    const r = await t.query(internal.cdc.verify.rangeDocs, { table: "users", after: "[1]", through: null });
    expect(r.isDone).toBe(true);
    expect(r.page.map((e) => [e.key, e.id, e.position])).toEqual([
      ["[2]", ids[1], pos(2)],
      ["[3]", ids[2], pos(3)],
    ]);
    expect(r.page[0].doc).toEqual({ clerkUserId: "c2", email: "u2@x", credits: "0.00" });
  });

  test("keyDocs: ids of live documents, null for unknown keys, tombstones and documents deleted by hand", async () => {
    const t = newDeployment();
    const ids = await seed(t, 3);
    await t.mutation(internal.cdc.ingest.applyBatch, {
      ops: [{ table: "users", key: "[2]", op: "delete", position: pos(50) }],
    });
    await t.run(async (ctx) => ctx.db.delete(ids[2] as any));
    const r = await t.query(internal.cdc.verify.keyDocs, { table: "users", keys: ["[1]", "[2]", "[3]", "[9]"], docs: true });
    expect(r.entries).toEqual([
      { key: "[1]", id: ids[0], position: pos(1), doc: { clerkUserId: "c1", email: "u1@x", credits: "0.00" } },
      { key: "[2]", id: null, position: pos(50) },
      { key: "[3]", id: null, position: pos(3) },
      { key: "[9]", id: null, position: null },
    ]);
    // live: false: the ids the key rows hold, the one deleted by hand included, without reading documents
    const held = await t.query(internal.cdc.verify.keyDocs, { table: "users", keys: ["[1]", "[2]", "[3]", "[9]"], live: false });
    expect(held.entries.map((e) => e.id)).toEqual([ids[0], null, ids[2], null]);
  });

  test("a full chunk of 1,000 large documents stays within the transaction limits", async () => {
    const t = newDeployment();
    const big = "x".repeat(6000);
    const ops = [];
    for (let i = 0; i < 500; i++) {
      ops.push({
        table: "users",
        key: `[${i}]`,
        op: "upsert" as const,
        position: pos(i + 1),
        doc: { clerkUserId: `c${i}`, email: `u${i}@x`, credits: "0.00", image: big },
      });
    }
    await t.mutation(internal.cdc.ingest.applyBatch, { ops });
    await t.mutation(internal.cdc.ingest.applyBatch, {
      ops: ops.map((o, i) => ({ ...o, key: `[${i + 500}]`, doc: { ...o.doc, clerkUserId: `d${i}`, email: `v${i}@x` } })),
    });
    const all = await t.query(internal.cdc.verify.chunkHash, { table: "users" });
    expect(all).toMatchObject({ count: 1000, scanned: 1000, isDone: false });
    const docsPage = await t.query(internal.cdc.verify.rangeDocs, { table: "users" });
    expect(docsPage.page.length).toBe(1000);
  });

  test("unkeyedDocs lists only documents no key row points at, a page at a time", async () => {
    const t = newDeployment();
    const ids = await seed(t, 5);
    const rogue = await t.run(async (ctx) =>
      ctx.db.insert("users", { clerkUserId: "rogue", email: "r@x", credits: "1.00" } as any),
    );
    // a key row that lost its document (deleted by hand) does not make the others unkeyed
    await t.run(async (ctx) => ctx.db.delete(ids[0] as any));
    const seen: Array<{ id: string; doc: unknown }> = [];
    let cursor: string | null = null;
    let scanned = 0;
    for (;;) {
      const r: any = await t.query(internal.cdc.verify.unkeyedDocs, { table: "users", cursor, limit: 2 });
      seen.push(...r.page);
      scanned += r.scanned;
      if (r.isDone) break;
      cursor = r.continueCursor;
    }
    expect(scanned).toBe(5);
    expect(seen).toEqual([{ id: rogue, doc: { clerkUserId: "rogue", email: "r@x", credits: "1.00" } }]);
    await expect(t.query(internal.cdc.verify.unkeyedDocs, { table: "cdc_keys" })).rejects.toThrow(/belongs to the pipeline/);
  });

  test("tableCount counts every document, keyed or not, with the key rows' highest position", async () => {
    const t = newDeployment();
    await seed(t, 3);
    expect(await t.query(internal.cdc.verify.tableCount, { table: "users" })).toEqual({ count: 3, maxPosition: pos(3) });
    await t.run(async (ctx) => ctx.db.insert("users", { clerkUserId: "rogue", email: "r@x", credits: "1.00" } as any));
    expect(await t.query(internal.cdc.verify.tableCount, { table: "users" })).toEqual({ count: 4, maxPosition: pos(3) });
    expect(await t.query(internal.cdc.verify.tableCount, { table: "threads" })).toEqual({ count: 0, maxPosition: null });
  });

  test("deleteUnkeyed deletes only unkeyed documents", async () => {
    const t = newDeployment();
    const ids = await seed(t, 2);
    const rogue = await t.run(async (ctx) =>
      ctx.db.insert("users", { clerkUserId: "rogue", email: "r@x", credits: "1.00" } as any),
    );
    const r = await t.mutation(internal.cdc.ingest.deleteUnkeyed, { table: "users", ids: [rogue, ids[0], "nonsense"] });
    expect(r).toEqual({ deleted: [rogue], kept: [ids[0], "nonsense"] });
    const left = await t.query(internal.cdc.verify.unkeyedDocs, { table: "users" });
    expect(left.page).toEqual([]);
    expect(left.scanned).toBe(2);
  });

  test("checkpoints lists every source", async () => {
    const t = newDeployment();
    await t.mutation(internal.cdc.ingest.setCheckpoint, { source: "a", position: pos(5), commitTs: 7 });
    await t.mutation(internal.cdc.ingest.setCheckpoint, { source: "b", position: pos(3) });
    const r = await t.query(internal.cdc.verify.checkpoints, {});
    expect(r).toEqual([
      { source: "a", position: pos(5), commitTs: 7 },
      { source: "b", position: pos(3), commitTs: null },
    ]);
  });
});
