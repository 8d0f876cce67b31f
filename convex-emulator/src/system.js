// Convex's built-in `_system/...` queries that the official CLI calls (admin only): `_system/cli/tables`
// and `_system/cli/tableData` (what `npx convex data` subscribes to), `_system/cli/tableSize` (the
// deploy's large-index checks). Shaped as registered Convex function objects (invokeQuery over
// Convex-encoded JSON text) so the runtime runs them like any other query.
const PAGE_MAX = 10_000;

function systemQuery(handler) {
  const fn = async (...a) => handler(...a);
  fn.isQuery = true;
  fn.isInternal = true;
  fn.exportArgs = () => '{"type":"any"}';
  fn.invokeQuery = async (argsStr) => JSON.stringify(await handler(JSON.parse(argsStr)[0] ?? {}));
  return fn;
}

/** Documents of a table in creation order (asc/desc), paginated by the last document's id. */
function page(db, table, order, paginationOpts) {
  const t = db.tables.get(table);
  const numItems = Math.max(1, Math.min(PAGE_MAX, Number(paginationOpts?.numItems) || PAGE_MAX));
  if (!t) return { page: [], isDone: true, continueCursor: "" };
  let docs = [...t.docs.values()];
  if (t.orderDirty) docs.sort((a, b) => a._creationTime - b._creationTime || (a._id < b._id ? -1 : 1));
  if (order === "desc") docs.reverse();
  let start = 0;
  const cursor = paginationOpts?.cursor;
  if (cursor) {
    const i = docs.findIndex((d) => d._id === cursor);
    start = i < 0 ? docs.length : i + 1;
  }
  const out = docs.slice(start, start + numItems);
  const isDone = start + numItems >= docs.length;
  return { page: out, isDone, continueCursor: out.length ? out[out.length - 1]._id : (cursor ?? "") };
}

/** @param {() => import("./db.js").Database} getDb */
export function systemFunctions(getDb) {
  return new Map([
    [
      "_system/cli/tables:default",
      // The user tables (those of the schema and any with documents), in one page.
      systemQuery(() => {
        const db = getDb();
        const names = [...db.tables.values()].filter((t) => t.docs.size > 0 || db.schemaTables.has(t.name)).map((t) => ({ name: t.name }));
        names.sort((a, b) => (a.name < b.name ? -1 : 1));
        return { page: names, isDone: true, continueCursor: "" };
      }),
    ],
    ["_system/cli/tableData:default", systemQuery(({ table, order, paginationOpts }) => page(getDb(), table, order, paginationOpts))],
    ["_system/cli/tableSize:default", systemQuery(({ tableName }) => getDb().tables.get(tableName)?.docs.size ?? 0)],
  ]);
}
