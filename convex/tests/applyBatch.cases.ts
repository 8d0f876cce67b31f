/**
 * The behaviour of `cdc/ingest` as data: cases of function calls with expected results.
 *
 * Runs in `applyBatch.cases.test.ts` against convex-test, and is meant to run unchanged against any other
 * Convex host (e.g. the project's emulator over HTTP). So everything here is plain JSON data, plus the
 * two helpers every runner needs:
 * `resolveArgs` and `matchExpected`.
 *
 * Each case starts on an EMPTY deployment with the demo schema (`schema.ts`). Its steps run in order; for
 * each step a runner:
 *   1. resolves the placeholders of `args` with `resolveArgs(step.args, results)`,
 *   2. calls `fn` (a mutation for applyBatch/setCheckpoint, a query for the others),
 *   3. pushes the outcome onto `results` (the value, or `{ $error: { message, data } }` when the call failed:
 *      over HTTP `{status:"error", errorMessage, errorData}`; in JS a `ConvexError` with `.data`),
 *   4. checks it with `matchExpected(outcome, step.expect, { results, isId })`: no problems = pass.
 *
 * Expectation language (`expect`), a partial match like Vitest's `toMatchObject`:
 * - objects: every expected field must match; extra actual fields are fine;
 * - arrays: same length, element by element; other values: strict equality (`null` matches only null);
 * - strings of the form `<...>` are placeholders:
 *   - `"<id:users>"`: a valid document id of table `users` (checked with `ctx.db.normalizeId`);
 *   - `"<same:PATH>"`: deep-equal to the value at PATH of the outcomes so far (including the current step),
 *     PATH = `stepIndex` then `.`-separated fields/array indexes, e.g. `"<same:0.results.1.id>"`;
 *   - `"<differs:PATH>"`: not deep-equal to that value;
 *   - `"<absent>"`: the field is missing (or undefined); `"<any>"`: present, any value;
 *   - `"<string>"`, `"<number>"`: any value of that type.
 * In `args`, a string that is exactly `"<same:PATH>"` is replaced by that value before the call (used to
 * pass real ids, e.g. a thread's `userId`, and pagination cursors).
 */

export type CaseFn =
  | "cdc/ingest:applyBatch"
  | "cdc/ingest:setCheckpoint"
  | "cdc/ingest:getCheckpoint"
  | "cdc/ingest:docPage"
  | "cdc/ingest:tableCount";

export interface CaseStep {
  fn: CaseFn;
  args: any;
  expect: any;
}

export interface Case {
  name: string;
  steps: CaseStep[];
}

/** Which functions are mutations (the others are queries). */
export const MUTATIONS: ReadonlySet<CaseFn> = new Set<CaseFn>(["cdc/ingest:applyBatch", "cdc/ingest:setCheckpoint"]);

// ---------------------------------------------------------------------------------------------------------
// Builders (evaluated when the module loads: the exported cases are plain data)
// ---------------------------------------------------------------------------------------------------------

/** Position `lsn:seq` in the contract's format (16 + 8 upper-case hex digits). */
export function pos(lsn: number, seq = 0): string {
  return `${lsn.toString(16).toUpperCase().padStart(16, "0")}:${seq.toString(16).toUpperCase().padStart(8, "0")}`;
}

type OpKind = "upsert" | "patch" | "delete";
function op(table: string, key: string, kind: OpKind, position: string, doc?: Record<string, unknown>) {
  return doc === undefined ? { table, key, op: kind, position } : { table, key, op: kind, position, doc };
}
const upsert = (table: string, key: string, position: string, doc: Record<string, unknown>) =>
  op(table, key, "upsert", position, doc);
const patch = (table: string, key: string, position: string, doc: Record<string, unknown>) =>
  op(table, key, "patch", position, doc);
const del = (table: string, key: string, position: string) => op(table, key, "delete", position);

/** A `users` document (all required fields). */
function user(n: number, extra: Record<string, unknown> = {}) {
  return { clerkUserId: `user_${n}`, email: `u${n}@example.com`, credits: "0.00", ...extra };
}

const batch = (ops: unknown[], expectResults: unknown[]): CaseStep => ({
  fn: "cdc/ingest:applyBatch",
  args: { ops },
  expect: { results: expectResults },
});
const applied = (id: unknown) => ({ status: "applied", id });
const skipped = (id: unknown) => ({ status: "skipped", id });
const missing = { status: "missing", id: null };
const count = (table: string, n: number): CaseStep => ({
  fn: "cdc/ingest:tableCount",
  args: { table },
  expect: { count: n, isDone: true },
});
const docs = (table: string, page: unknown[]): CaseStep => ({
  fn: "cdc/ingest:docPage",
  args: { table, limit: 100 },
  expect: { page, isDone: true },
});

// ---------------------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------------------

export const cases: Case[] = [
  {
    name: "upsert inserts, then replaces the whole document",
    steps: [
      batch([upsert("users", "[1]", pos(10), user(1, { image: "a.png", createdAt: 1732233600123 }))], [applied("<id:users>")]),
      batch([upsert("users", "[1]", pos(20), user(1, { email: "new@example.com", credits: "2.50" }))], [applied("<same:0.results.0.id>")]),
      docs("users", [
        {
          key: "[1]",
          id: "<same:0.results.0.id>",
          position: pos(20),
          doc: { clerkUserId: "user_1", email: "new@example.com", credits: "2.50", image: "<absent>", createdAt: "<absent>", _id: "<absent>", _creationTime: "<absent>" },
        },
      ]),
      count("users", 1),
    ],
  },
  {
    name: "ops of a batch apply in order",
    steps: [
      batch(
        [
          upsert("users", "[1]", pos(10), user(1)),
          upsert("users", "[2]", pos(11), user(2)),
          patch("users", "[1]", pos(12), { email: "changed@example.com" }),
          del("users", "[2]", pos(13)),
        ],
        [applied("<id:users>"), applied("<id:users>"), applied("<same:0.results.0.id>"), applied(null)],
      ),
      docs("users", [{ key: "[1]", id: "<same:0.results.0.id>", position: pos(12), doc: { email: "changed@example.com" } }]),
      count("users", 1),
    ],
  },
  {
    name: "an older position is skipped and returns the current id",
    steps: [
      batch([upsert("users", "[1]", pos(20), user(1, { email: "newer@example.com" }))], [applied("<id:users>")]),
      batch(
        [
          upsert("users", "[1]", pos(10), user(1, { email: "older@example.com" })),
          patch("users", "[1]", pos(19, 5), { email: "older2@example.com" }),
          del("users", "[1]", pos(15)),
        ],
        [skipped("<same:0.results.0.id>"), skipped("<same:0.results.0.id>"), skipped("<same:0.results.0.id>")],
      ),
      docs("users", [{ key: "[1]", position: pos(20), doc: { email: "newer@example.com" } }]),
    ],
  },
  {
    name: "the sequence number inside a transaction orders changes of the same LSN",
    steps: [
      batch([upsert("users", "[1]", pos(30, 2), user(1, { email: "second@example.com" }))], [applied("<id:users>")]),
      batch([upsert("users", "[1]", pos(30, 1), user(1, { email: "first@example.com" }))], [skipped("<same:0.results.0.id>")]),
      docs("users", [{ key: "[1]", position: pos(30, 2), doc: { email: "second@example.com" } }]),
    ],
  },
  {
    name: "re-applying the same batch (equal positions) is harmless",
    steps: [
      batch(
        [upsert("users", "[1]", pos(10), user(1)), patch("users", "[1]", pos(11), { image: "x.png" }), upsert("users", "[2]", pos(12), user(2))],
        [applied("<id:users>"), applied("<same:0.results.0.id>"), applied("<id:users>")],
      ),
      batch(
        [upsert("users", "[1]", pos(10), user(1)), patch("users", "[1]", pos(11), { image: "x.png" }), upsert("users", "[2]", pos(12), user(2))],
        [skipped("<same:0.results.0.id>"), applied("<same:0.results.0.id>"), applied("<same:0.results.2.id>")],
      ),
      count("users", 2),
      docs("users", [
        { key: "[1]", id: "<same:0.results.0.id>", position: pos(11), doc: { image: "x.png" } },
        { key: "[2]", id: "<same:0.results.2.id>", position: pos(12) },
      ]),
    ],
  },
  {
    name: "a tombstone blocks a late older upsert",
    steps: [
      batch([upsert("users", "[1]", pos(10), user(1))], [applied("<id:users>")]),
      batch([del("users", "[1]", pos(30))], [applied(null)]),
      batch([upsert("users", "[1]", pos(20), user(1, { email: "late@example.com" }))], [skipped(null)]),
      batch([patch("users", "[1]", pos(40), { email: "x@example.com" })], [missing]),
      count("users", 0),
      docs("users", []),
    ],
  },
  {
    name: "a delete of a never seen key leaves a tombstone",
    steps: [
      batch([del("users", "[9]", pos(50))], [applied(null)]),
      batch([upsert("users", "[9]", pos(40), user(9))], [skipped(null)]),
      batch([del("users", "[9]", pos(50))], [applied(null)]),
      count("users", 0),
    ],
  },
  {
    name: "delete, then a newer upsert creates a document again",
    steps: [
      batch([upsert("users", "[1]", pos(10), user(1))], [applied("<id:users>")]),
      batch([del("users", "[1]", pos(20))], [applied(null)]),
      batch([upsert("users", "[1]", pos(30), user(1, { email: "again@example.com" }))], [applied("<id:users>")]),
      {
        fn: "cdc/ingest:docPage",
        args: { table: "users", limit: 10 },
        expect: {
          page: [{ key: "[1]", id: "<differs:0.results.0.id>", position: pos(30), doc: { email: "again@example.com" } }],
          isDone: true,
        },
      },
      docs("users", [{ id: "<same:2.results.0.id>" }]),
      count("users", 1),
    ],
  },
  {
    name: "patch sets fields, null removes a field, no live document is missing",
    steps: [
      batch([upsert("users", "[1]", pos(10), user(1, { image: "a.png" }))], [applied("<id:users>")]),
      batch([patch("users", "[1]", pos(11), { email: "p@example.com", image: null })], [applied("<same:0.results.0.id>")]),
      docs("users", [
        { key: "[1]", position: pos(11), doc: { clerkUserId: "user_1", email: "p@example.com", credits: "0.00", image: "<absent>" } },
      ]),
      // Never seen: missing, and nothing is written (not even the position) ...
      batch([patch("users", "[2]", pos(99), { email: "q@example.com" })], [missing]),
      // ... so the row's snapshot upsert at a lower position still applies.
      batch([upsert("users", "[2]", pos(50), user(2))], [applied("<id:users>")]),
      batch([patch("users", "[2]", pos(60), { credits: "7.25" })], [applied("<same:4.results.0.id>")]),
      docs("users", [{ key: "[1]" }, { key: "[2]", position: pos(60), doc: { credits: "7.25", email: "u2@example.com" } }]),
    ],
  },
  {
    name: "upsert leaves out top-level null fields (NULL columns)",
    steps: [
      batch([upsert("users", "[1]", pos(10), user(1, { image: null, createdAt: null }))], [applied("<id:users>")]),
      docs("users", [{ key: "[1]", doc: { clerkUserId: "user_1", image: "<absent>", createdAt: "<absent>" } }]),
    ],
  },
  {
    name: "composite keys",
    steps: [
      batch(
        [
          upsert("orderItems", "[1001,1]", pos(10), { orderId: 1001, lineNo: 1, sku: "A" }),
          upsert("orderItems", "[1001,2]", pos(10, 1), { orderId: 1001, lineNo: 2, sku: "B" }),
          upsert("orderItems", '["a",1]', pos(10, 2), { orderId: 0, lineNo: 1, sku: "C" }),
          upsert("orderItems", "[1002,1]", pos(10, 3), { orderId: 1002, lineNo: 1, sku: "D" }),
        ],
        [applied("<id:orderItems>"), applied("<id:orderItems>"), applied("<id:orderItems>"), applied("<id:orderItems>")],
      ),
      batch([patch("orderItems", "[1001,2]", pos(11), { sku: "B2" }), del("orderItems", "[1002,1]", pos(11, 1))], [applied("<same:0.results.1.id>"), applied(null)]),
      batch([upsert("orderItems", '["a",1]', pos(9), { orderId: 0, lineNo: 1, sku: "old" })], [skipped("<same:0.results.2.id>")]),
      // Ordered by the key text, not by value: '"' (0x22) sorts before '1' (0x31).
      docs("orderItems", [
        { key: '["a",1]', id: "<same:0.results.2.id>", doc: { sku: "C" } },
        { key: "[1001,1]", id: "<same:0.results.0.id>", doc: { orderId: 1001, lineNo: 1, sku: "A" } },
        { key: "[1001,2]", id: "<same:0.results.1.id>", doc: { sku: "B2" } },
      ]),
      count("orderItems", 3),
    ],
  },
  {
    name: "the same key several times in one batch",
    steps: [
      batch(
        [
          upsert("users", "[1]", pos(10), user(1)),
          upsert("users", "[1]", pos(11), user(1, { email: "b@example.com" })),
          patch("users", "[1]", pos(12), { image: "c.png" }),
          del("users", "[1]", pos(13)),
          upsert("users", "[1]", pos(14), user(1, { email: "e@example.com" })),
          upsert("users", "[1]", pos(12, 7), user(1, { email: "stale@example.com" })),
        ],
        [
          applied("<id:users>"),
          applied("<same:0.results.0.id>"),
          applied("<same:0.results.0.id>"),
          applied(null),
          applied("<differs:0.results.0.id>"),
          skipped("<same:0.results.4.id>"),
        ],
      ),
      count("users", 1),
      docs("users", [{ key: "[1]", id: "<same:0.results.4.id>", position: pos(14), doc: { email: "e@example.com", image: "<absent>" } }]),
    ],
  },
  {
    name: "the same key in different tables is independent; foreign keys hold real ids",
    steps: [
      batch([upsert("users", "[1]", pos(10), user(1))], [applied("<id:users>")]),
      batch(
        [upsert("threads", "[1]", pos(11), { userId: "<same:0.results.0.id>", clerkUserId: "user_1", metadata: { tags: ["a", "b"], n: null } })],
        [applied("<id:threads>")],
      ),
      batch(
        [
          upsert("messages", "[1]", pos(12), {
            threadId: "<same:1.results.0.id>",
            clerkUserId: "user_1",
            role: "user",
            content: "hello",
            createdAt: 1732233600123,
            totalTokens: 3,
            costInCents: "0.25",
          }),
        ],
        [applied("<id:messages>")],
      ),
      batch([del("users", "[1]", pos(13))], [applied(null)]),
      count("users", 0),
      count("threads", 1),
      docs("threads", [{ key: "[1]", id: "<same:1.results.0.id>", doc: { userId: "<same:0.results.0.id>", metadata: { tags: ["a", "b"], n: null } } }]),
      docs("messages", [{ key: "[1]", doc: { threadId: "<same:1.results.0.id>", content: "hello", costInCents: "0.25" } }]),
    ],
  },
  {
    name: "checkpoints move forward only",
    steps: [
      { fn: "cdc/ingest:getCheckpoint", args: { source: "slot_a" }, expect: null },
      { fn: "cdc/ingest:setCheckpoint", args: { source: "slot_a", position: pos(100), commitTs: 1000 }, expect: { status: "applied", position: pos(100) } },
      { fn: "cdc/ingest:setCheckpoint", args: { source: "slot_a", position: pos(50), commitTs: 500 }, expect: { status: "skipped", position: pos(100) } },
      { fn: "cdc/ingest:getCheckpoint", args: { source: "slot_a" }, expect: { position: pos(100), commitTs: 1000, updatedAt: "<number>" } },
      { fn: "cdc/ingest:setCheckpoint", args: { source: "slot_a", position: pos(100) }, expect: { status: "applied", position: pos(100) } },
      { fn: "cdc/ingest:getCheckpoint", args: { source: "slot_a" }, expect: { position: pos(100), commitTs: null } },
      { fn: "cdc/ingest:setCheckpoint", args: { source: "slot_a", position: pos(200), commitTs: 2000 }, expect: { status: "applied", position: pos(200) } },
      { fn: "cdc/ingest:setCheckpoint", args: { source: "slot_b", position: pos(1) }, expect: { status: "applied", position: pos(1) } },
      { fn: "cdc/ingest:getCheckpoint", args: { source: "slot_a" }, expect: { position: pos(200), commitTs: 2000 } },
      { fn: "cdc/ingest:getCheckpoint", args: { source: "slot_b" }, expect: { position: pos(1), commitTs: null } },
    ],
  },
  {
    name: "tableCount and docPage paginate",
    steps: [
      batch(
        [1, 2, 3, 4, 5].map((n) => upsert("users", `[${n}]`, pos(10, n), user(n))).concat([del("users", "[3]", pos(11))]),
        ["<any>", "<any>", "<any>", "<any>", "<any>", applied(null)],
      ),
      // 1: tableCount in pages of 2 key rows: [1],[2] | [3](tombstone),[4] | [5]
      { fn: "cdc/ingest:tableCount", args: { table: "users", pageSize: 2 }, expect: { count: 2, isDone: false, continueCursor: "<string>" } },
      { fn: "cdc/ingest:tableCount", args: { table: "users", pageSize: 2, cursor: "<same:1.continueCursor>" }, expect: { count: 1, isDone: false } },
      { fn: "cdc/ingest:tableCount", args: { table: "users", pageSize: 2, cursor: "<same:2.continueCursor>" }, expect: { count: 1 } },
      // 4: default page size: everything at once
      { fn: "cdc/ingest:tableCount", args: { table: "users" }, expect: { count: 4, isDone: true } },
      { fn: "cdc/ingest:tableCount", args: { table: "threads", cursor: null }, expect: { count: 0, isDone: true } },
      // 6: docPage, 2 key rows per page; tombstones are scanned but not returned
      {
        fn: "cdc/ingest:docPage",
        args: { table: "users", limit: 2 },
        expect: {
          page: [
            { key: "[1]", id: "<same:0.results.0.id>", position: pos(10, 1), doc: { email: "u1@example.com" } },
            { key: "[2]", id: "<same:0.results.1.id>", position: pos(10, 2) },
          ],
          continueCursor: "<string>",
          isDone: false,
        },
      },
      {
        fn: "cdc/ingest:docPage",
        args: { table: "users", limit: 2, cursor: "<same:6.continueCursor>" },
        expect: { page: [{ key: "[4]", id: "<same:0.results.3.id>" }], isDone: false },
      },
      {
        fn: "cdc/ingest:docPage",
        args: { table: "users", limit: 2, cursor: "<same:7.continueCursor>" },
        expect: { page: [{ key: "[5]", id: "<same:0.results.4.id>" }], isDone: true },
      },
      // limit is clamped to at least 1
      { fn: "cdc/ingest:docPage", args: { table: "users", limit: 0 }, expect: { page: [{ key: "[1]" }], isDone: false } },
    ],
  },
  {
    name: "a batch over the op limit is rejected whole",
    steps: [
      {
        fn: "cdc/ingest:applyBatch",
        args: { ops: Array.from({ length: 1001 }, (_, i) => upsert("users", `[${i + 1}]`, pos(10, i), user(i + 1))) },
        expect: { $error: { data: { code: "BATCH_TOO_LARGE", limit: "ops", max: 1000, actual: 1001 } } },
      },
      count("users", 0),
    ],
  },
  {
    name: "a malformed op rejects the whole batch before any write",
    steps: [
      {
        fn: "cdc/ingest:applyBatch",
        args: { ops: [upsert("users", "[1]", pos(10), user(1)), upsert("users", "[2]", "0/16B3A28", user(2))] },
        expect: { $error: { data: { code: "INVALID_OP", index: 1 } } },
      },
      {
        fn: "cdc/ingest:applyBatch",
        args: { ops: [patch("users", "[1]", pos(10), { _id: "x" })] },
        expect: { $error: { data: { code: "INVALID_OP", index: 0 } } },
      },
      {
        fn: "cdc/ingest:applyBatch",
        args: { ops: [upsert("cdc_keys", "[1]", pos(10), { table: "t", key: "k", position: pos(1) })] },
        expect: { $error: { data: { code: "INVALID_OP", index: 0 } } },
      },
      {
        fn: "cdc/ingest:applyBatch",
        args: { ops: [op("users", "[1]", "upsert", pos(10))] },
        expect: { $error: { data: { code: "INVALID_OP", index: 0 } } },
      },
      count("users", 0),
    ],
  },
  {
    // Convex does not check writes to a table its schema does not list: without this check the op would
    // create an undeclared table. The sink isolates the rejected op to the dead-letter topic.
    name: "an op for a table the schema does not declare rejects the batch, naming the table and the fix",
    steps: [
      {
        fn: "cdc/ingest:applyBatch",
        args: { ops: [upsert("users", "[1]", pos(10), user(1)), upsert("auditLog", "[1]", pos(10), { n: 1 })] },
        expect: { $error: { data: { code: "INVALID_OP", index: 1 } } },
      },
      {
        fn: "cdc/ingest:applyBatch",
        args: { ops: [del("auditLog", "[1]", pos(11))] },
        expect: { $error: { data: { code: "INVALID_OP", index: 0 } } },
      },
      count("users", 0),
      { fn: "cdc/ingest:tableCount", args: { table: "auditLog" }, expect: { count: 0, isDone: true } },
    ],
  },
  {
    name: "the sink may forward commitTs and txId of the ops record",
    steps: [
      batch([{ ...upsert("users", "[1]", pos(10), user(1)), commitTs: 1732233600123, txId: 1234 }], [applied("<id:users>")]),
      batch([{ ...del("users", "[1]", pos(11)), commitTs: 1732233600124, txId: null }], [applied(null)]),
      count("users", 0),
    ],
  },
];

// ---------------------------------------------------------------------------------------------------------
// Runner helpers
// ---------------------------------------------------------------------------------------------------------

export interface MatchContext {
  /** Outcomes of this case's steps so far, the current step's last. */
  results: unknown[];
  /** Whether `id` is a valid id of `table` (e.g. `ctx.db.normalizeId(table, id) !== null`). Without it, only
   *  the shape of an id is checked (32ish base32 characters). */
  isId?: (table: string, id: string) => boolean | Promise<boolean>;
}

const PLACEHOLDER = /^<([a-z-]+)(?::(.*))?>$/;

/** The value at `path` (`"2.results.0.id"`: step 2's outcome, then fields/indexes) of `results`. */
export function lookup(results: unknown[], path: string): unknown {
  let value: unknown = results;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** `args` with every string `"<same:PATH>"` replaced by the value at PATH of `results` (deep copy). */
export function resolveArgs(args: unknown, results: unknown[]): any {
  if (typeof args === "string") {
    const m = PLACEHOLDER.exec(args);
    if (m && m[1] === "same") {
      const value = lookup(results, m[2] ?? "");
      if (value === undefined) throw new Error(`resolveArgs: nothing at ${m[2]}`);
      return value;
    }
    return args;
  }
  if (Array.isArray(args)) return args.map((item) => resolveArgs(item, results));
  if (args !== null && typeof args === "object") {
    return Object.fromEntries(Object.entries(args).map(([k, item]) => [k, resolveArgs(item, results)]));
  }
  return args;
}

/**
 * Matches an outcome against a step's `expect` (see the language at the top of this file).
 * Returns the problems found, each naming its path (`$.results[0].id: ...`); an empty list means a match.
 */
export async function matchExpected(actual: unknown, expected: unknown, ctx: MatchContext): Promise<string[]> {
  const problems: string[] = [];
  await match(actual, expected, "$", ctx, problems);
  return problems;
}

async function match(actual: unknown, expected: unknown, path: string, ctx: MatchContext, problems: string[]): Promise<void> {
  const show = (value: unknown) => (value === undefined ? "undefined" : JSON.stringify(value));
  const fail = (what: string) => problems.push(`${path}: expected ${what}, got ${show(actual)}`);

  if (typeof expected === "string") {
    const m = PLACEHOLDER.exec(expected);
    if (m) {
      const [, kind, arg = ""] = m;
      switch (kind) {
        case "any":
          if (actual === undefined) fail("a value");
          return;
        case "absent":
          if (actual !== undefined) fail("no value");
          return;
        case "string":
        case "number":
          if (typeof actual !== kind) fail(`a ${kind}`);
          return;
        case "id": {
          const ok =
            typeof actual === "string" &&
            (ctx.isId ? await ctx.isId(arg, actual) : /^[0-9a-hjkmnp-tv-z]{31,37}$/.test(actual));
          if (!ok) fail(`an id of table ${arg}`);
          return;
        }
        case "same":
        case "differs": {
          const other = lookup(ctx.results, arg);
          if (other === undefined) {
            problems.push(`${path}: ${expected} points at nothing`);
          } else if (deepEqual(actual, other) !== (kind === "same")) {
            fail(`${kind === "same" ? "" : "anything but "}${show(other)} (${expected})`);
          }
          return;
        }
      }
    }
  }
  if (expected === null || typeof expected !== "object") {
    if (actual !== expected) fail(show(expected));
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return void fail(`an array of ${expected.length}`);
    if (actual.length !== expected.length) return void fail(`an array of ${expected.length}`);
    for (let i = 0; i < expected.length; i++) {
      await match(actual[i], expected[i], `${path}[${i}]`, ctx, problems);
    }
    return;
  }
  if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
    return void fail("an object");
  }
  for (const [field, value] of Object.entries(expected)) {
    await match((actual as Record<string, unknown>)[field], value, `${path}.${field}`, ctx, problems);
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object).filter((k) => (a as any)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as any)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as any)[k], (b as any)[k]));
}
