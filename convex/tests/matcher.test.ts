/** The expectation language of `applyBatch.cases.ts` (used by every runner of the cases). */
import { describe, expect, test } from "vitest";
import { lookup, matchExpected, pos, resolveArgs } from "./applyBatch.cases";

const ID = "k57aq4h3w0b0bhv8y0ahv5nrk17yyxmd"; // shape of a Convex id
const ctx = (results: unknown[] = []) => ({ results, isId: (table: string, id: string) => table === "users" && id === ID });

describe("matchExpected", () => {
  test("partial objects, exact arrays and primitives", async () => {
    expect(await matchExpected({ a: 1, b: { c: "x", d: 2 } }, { b: { c: "x" } }, ctx())).toEqual([]);
    expect(await matchExpected({ a: 1 }, { a: 2 }, ctx())).toEqual(["$.a: expected 2, got 1"]);
    expect(await matchExpected([1, 2], [1], ctx())).toHaveLength(1);
    expect(await matchExpected([{ a: 1, z: 0 }], [{ a: 1 }], ctx())).toEqual([]);
    expect(await matchExpected(null, null, ctx())).toEqual([]);
    expect(await matchExpected(undefined, null, ctx())).toHaveLength(1);
    expect(await matchExpected({}, { a: null }, ctx())).toEqual(["$.a: expected null, got undefined"]);
    expect(await matchExpected("s", { a: 1 }, ctx())).toHaveLength(1);
  });

  test("placeholders", async () => {
    expect(await matchExpected({ id: ID }, { id: "<id:users>" }, ctx())).toEqual([]);
    expect(await matchExpected({ id: ID }, { id: "<id:threads>" }, ctx())).toHaveLength(1);
    expect(await matchExpected({ id: null }, { id: "<id:users>" }, ctx())).toHaveLength(1);
    expect(await matchExpected({ id: ID }, { id: "<id:users>" }, { results: [] })).toEqual([]); // shape only
    expect(await matchExpected({ id: "nope" }, { id: "<id:users>" }, { results: [] })).toHaveLength(1);
    expect(await matchExpected({}, { x: "<absent>" }, ctx())).toEqual([]);
    expect(await matchExpected({ x: 1 }, { x: "<absent>" }, ctx())).toHaveLength(1);
    expect(await matchExpected({ x: null }, { x: "<any>" }, ctx())).toEqual([]);
    expect(await matchExpected({}, { x: "<any>" }, ctx())).toHaveLength(1);
    expect(await matchExpected({ x: 1, y: "s" }, { x: "<number>", y: "<string>" }, ctx())).toEqual([]);
    expect(await matchExpected({ x: "1" }, { x: "<number>" }, ctx())).toHaveLength(1);
  });

  test("same and differs look up earlier outcomes", async () => {
    const results = [{ results: [{ id: "A" }, { id: "B" }] }];
    expect(lookup(results, "0.results.1.id")).toBe("B");
    expect(lookup(results, "1.results")).toBeUndefined();
    expect(await matchExpected("A", "<same:0.results.0.id>", ctx(results))).toEqual([]);
    expect(await matchExpected("B", "<same:0.results.0.id>", ctx(results))).toHaveLength(1);
    expect(await matchExpected("B", "<differs:0.results.0.id>", ctx(results))).toEqual([]);
    expect(await matchExpected("A", "<differs:0.results.0.id>", ctx(results))).toHaveLength(1);
    expect(await matchExpected("A", "<same:5.x>", ctx(results))).toEqual(["$: <same:5.x> points at nothing"]);
  });

  test("resolveArgs substitutes <same:PATH> only", () => {
    const results = [{ continueCursor: "c1", results: [{ id: "A" }] }];
    expect(resolveArgs({ cursor: "<same:0.continueCursor>", ops: [{ doc: { userId: "<same:0.results.0.id>", s: "<id:users>" } }] }, results)).toEqual({
      cursor: "c1",
      ops: [{ doc: { userId: "A", s: "<id:users>" } }],
    });
    expect(() => resolveArgs("<same:3>", results)).toThrow();
  });

  test("positions have the contract's format and order", () => {
    expect(pos(0x16b3a28)).toBe("00000000016B3A28:00000000");
    expect(pos(1, 255)).toBe("0000000000000001:000000FF");
    expect(pos(0xa) < pos(0x10)).toBe(true);
    expect(pos(1, 2) < pos(2, 0)).toBe(true);
  });
});
