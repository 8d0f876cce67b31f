// The in-memory database: tables of documents (Convex-encoded JSON objects, never mutated once
// stored), sorted indexes keyed by an order-preserving string encoding, transactions that write in
// place with an undo log (transactions run one at a time, see runtime.js), a per-commit change log
// for the streaming export API, and optional durability through persist.js.
import { SortedMap } from "./sorted.js";
import { newId, decodeIdTableNumber, FIRST_USER_TABLE_NUMBER } from "./ids.js";
import {
  UserError,
  encodeKeyValue,
  getFieldPath,
  compareValues,
  checkDocument,
  resolveCommitTs,
  int64ToJson,
  specialKey,
  KEY_MAX_CHAR,
  kindOf,
  int64FromJson,
  floatFromJson,
} from "./values.js";
import { compileValidator } from "./validator.js";

export const LIMITS = {
  indexRanges: 4096,
  docsScanned: 32000,
  bytesRead: 16 * 1024 * 1024,
  docsWritten: 16000,
  bytesWritten: 16 * 1024 * 1024,
};

/** A transaction limit was exceeded: fails the whole function with a 400 system error. */
export class LimitError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const TABLE_NAME = /^[a-zA-Z][a-zA-Z0-9_]{0,63}$/;

function suffixOf(doc) {
  return encodeKeyValue(doc._creationTime) + encodeKeyValue(doc._id);
}

/**
 * by_creation_time. The table's hash map iterates in insertion order, which is creation-time order
 * (creation times strictly increase), so the sorted form is only built when a query needs it
 * (in O(n), or with a sort when a rolled-back delete put a document back out of order) and is
 * maintained from then on.
 */
class CreationTimeIndex {
  constructor() {
    this.name = "by_creation_time";
    this.kind = "ct";
    this.fields = ["_creationTime"];
    this.rangeFields = ["_creationTime", "_id"];
    /** @type {SortedMap|null} */
    this.map = null;
  }
  add(doc, id) {
    if (this.map !== null) this.map.set(suffixOf(doc), id);
  }
  remove(doc) {
    if (this.map !== null) this.map.delete(suffixOf(doc));
  }
  sortedMap(table) {
    if (this.map === null) {
      const keys = [];
      const ids = [];
      for (const [id, doc] of table.docs) {
        keys.push(suffixOf(doc));
        ids.push(id);
      }
      if (table.orderDirty) {
        const order = keys.map((_, i) => i).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
        this.map = SortedMap.fromSorted(order.map((i) => keys[i]), order.map((i) => ids[i]));
      } else {
        this.map = SortedMap.fromSorted(keys, ids);
      }
    }
    return this.map;
  }
}

/** by_id: documents are found through the table's hash map; the sorted form is built on demand. */
class IdIndex {
  constructor() {
    this.name = "by_id";
    this.kind = "id";
    this.fields = ["_id"];
    this.rangeFields = ["_id"];
    /** @type {SortedMap|null} */
    this.map = null;
  }
  add(id) {
    if (this.map !== null) this.map.set(encodeKeyValue(id), id);
  }
  remove(id) {
    if (this.map !== null) this.map.delete(encodeKeyValue(id));
  }
  sortedMap(table) {
    if (this.map === null) {
      const ids = [...table.docs.keys()].sort();
      this.map = SortedMap.fromSorted(ids.map((id) => encodeKeyValue(id)), ids);
    }
    return this.map;
  }
}

/** One level of a UserIndex's group trie: children keyed by the raw field value. */
class FieldMap {
  constructor() {
    /** string values @type {Map<string, any>} */
    this.s = new Map();
    /** plain numbers @type {Map<number, any>} */
    this.n = new Map();
    /** everything else, by key encoding @type {Map<string, any>} */
    this.o = new Map();
  }
  static route(v) {
    if (typeof v === "string") return 0;
    if (typeof v === "number" && !Object.is(v, -0)) return 1;
    return 2;
  }
  mapFor(v) {
    const r = FieldMap.route(v);
    return r === 0 ? this.s : r === 1 ? this.n : this.o;
  }
  static keyFor(v) {
    const r = FieldMap.route(v);
    return r === 2 ? encodeKeyValue(v) : v;
  }
  get size() {
    return this.s.size + this.n.size + this.o.size;
  }
  /** Yields [encoded key of the value, child]. */
  *entries() {
    for (const [k, c] of this.s) yield [encodeKeyValue(k), c];
    for (const [k, c] of this.n) yield [encodeKeyValue(k), c];
    for (const [k, c] of this.o) yield [k, c];
  }
}

/** Whether two documents have the same values in the given fields. */
function sameFields(fields, a, b) {
  for (let i = 0; i < fields.length; i++) {
    const x = getFieldPath(a, fields[i]);
    const y = getFieldPath(b, fields[i]);
    if (x === y) continue;
    if (x !== null && y !== null && typeof x === "object" && typeof y === "object") {
      if (encodeKeyValue(x) === encodeKeyValue(y)) continue;
    }
    return false;
  }
  return true;
}

/**
 * A schema index. Equality lookups on all declared fields go through a trie of hash maps keyed by
 * the raw field values (no key strings are built on the write path), ending in a group: an id, or
 * sorted arrays of suffix keys (_creationTime, _id) and ids when several documents share the values.
 * The fully sorted map that range scans need is built the first time a range scan asks for it,
 * and maintained from then on.
 */
class UserIndex {
  constructor(name, fields) {
    this.name = name;
    this.kind = "user";
    this.fields = fields;
    this.rangeFields = [...fields, "_creationTime", "_id"];
    this.root = new FieldMap();
    /** @type {SortedMap|null} */
    this.map = null;
  }
  prefixOf(doc) {
    const f = this.fields;
    let k = "";
    for (let i = 0; i < f.length; i++) k += encodeKeyValue(getFieldPath(doc, f[i]));
    return k;
  }
  /** The group for the field values (JSON values; undefined for missing), or undefined. */
  lookup(values) {
    let node = this.root;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      node = node.mapFor(v).get(FieldMap.keyFor(v));
      if (node === undefined) return undefined;
    }
    return node;
  }
  add(table, doc, id) {
    const f = this.fields;
    let node = this.root;
    const last = f.length - 1;
    for (let i = 0; i < last; i++) {
      const v = getFieldPath(doc, f[i]);
      const m = node.mapFor(v);
      const k = FieldMap.keyFor(v);
      let next = m.get(k);
      if (next === undefined) {
        next = new FieldMap();
        m.set(k, next);
      }
      node = next;
    }
    const v = getFieldPath(doc, f[last]);
    const m = node.mapFor(v);
    const k = FieldMap.keyFor(v);
    const g = m.get(k);
    if (g === undefined) {
      m.set(k, id);
    } else {
      const sfx = suffixOf(doc);
      if (typeof g === "string") {
        const other = suffixOf(table.docs.get(g));
        m.set(k, other < sfx ? { s: [other, sfx], ids: [g, id] } : { s: [sfx, other], ids: [id, g] });
      } else {
        let lo = 0;
        let hi = g.s.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (g.s[mid] < sfx) lo = mid + 1;
          else hi = mid;
        }
        g.s.splice(lo, 0, sfx);
        g.ids.splice(lo, 0, id);
      }
    }
    if (this.map !== null) this.map.set(this.prefixOf(doc) + suffixOf(doc), id);
  }
  remove(doc, id) {
    const f = this.fields;
    const path = [];
    let node = this.root;
    for (let i = 0; i < f.length - 1 && node !== undefined; i++) {
      const v = getFieldPath(doc, f[i]);
      const m = node.mapFor(v);
      const k = FieldMap.keyFor(v);
      path.push([m, k]);
      node = m.get(k);
    }
    if (node !== undefined) {
      const v = getFieldPath(doc, f[f.length - 1]);
      const m = node.mapFor(v);
      const k = FieldMap.keyFor(v);
      const g = m.get(k);
      let empty = false;
      if (typeof g === "string") {
        if (g === id) empty = true;
      } else if (g !== undefined) {
        const i = g.ids.indexOf(id);
        if (i >= 0) {
          g.s.splice(i, 1);
          g.ids.splice(i, 1);
        }
        empty = g.ids.length === 0;
      }
      if (empty) {
        m.delete(k);
        // Prune empty levels.
        let child = node;
        for (let i = path.length - 1; i >= 0 && child.size === 0; i--) {
          const [pm, pk] = path[i];
          pm.delete(pk);
          child = i > 0 ? path[i - 1][0].get(path[i - 1][1]) : this.root;
          if (child === undefined) break;
        }
      }
    }
    if (this.map !== null) this.map.delete(this.prefixOf(doc) + suffixOf(doc));
  }
  /** The sorted map (full key -> id). */
  sortedMap(table) {
    if (this.map === null) {
      const keys = [];
      const ids = [];
      const walk = (node, depth, prefix) => {
        for (const [ek, child] of node.entries()) {
          if (depth < this.fields.length - 1) walk(child, depth + 1, prefix + ek);
          else if (typeof child === "string") {
            keys.push(prefix + ek + suffixOf(table.docs.get(child)));
            ids.push(child);
          } else {
            for (let i = 0; i < child.ids.length; i++) {
              keys.push(prefix + ek + child.s[i]);
              ids.push(child.ids[i]);
            }
          }
        }
      };
      walk(this.root, 0, "");
      const order = keys.map((_, i) => i).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
      this.map = SortedMap.fromSorted(order.map((i) => keys[i]), order.map((i) => ids[i]));
    }
    return this.map;
  }
}

export class Table {
  constructor(name, number, indexDefs, validatorJson, db) {
    this.name = name;
    this.number = number;
    /** @type {Map<string, any>} Iterates in creation order unless orderDirty. */
    this.docs = new Map();
    /** Set when a document was put back out of creation order (rolled-back delete). */
    this.orderDirty = false;
    this.byId = new IdIndex();
    this.byCreation = new CreationTimeIndex();
    this.userIndexes = indexDefs.map((d) => new UserIndex(d.indexDescriptor, d.fields));
    this.indexes = new Map([
      ["by_id", this.byId],
      ["by_creation_time", this.byCreation],
      ...this.userIndexes.map((i) => [i.name, i]),
    ]);
    this.validate = validatorJson ? compileValidator(validatorJson, (t, id) => db.isIdOfTable(t, id)) : null;
  }

  /** Moves one document from `oldDoc` to `newDoc` (either may be null) in the map and indexes. */
  apply(id, oldDoc, newDoc) {
    if (oldDoc === null) {
      if (newDoc === null) return;
      this.docs.set(id, newDoc);
      this.byId.add(id);
      this.byCreation.add(newDoc, id);
      for (const ix of this.userIndexes) ix.add(this, newDoc, id);
    } else if (newDoc === null) {
      for (const ix of this.userIndexes) ix.remove(oldDoc, id);
      this.docs.delete(id);
      this.byId.remove(id);
      this.byCreation.remove(oldDoc);
    } else {
      // _id and _creationTime never change: only user index prefixes can move.
      for (const ix of this.userIndexes) {
        if (!sameFields(ix.fields, oldDoc, newDoc)) {
          ix.remove(oldDoc, id);
          this.docs.set(id, newDoc);
          ix.add(this, newDoc, id);
        }
      }
      this.docs.set(id, newDoc);
    }
  }
}

/** Builds a stored document: system fields plus the user fields, keys in sorted order like Convex. */
function buildDoc(id, creationTime, value) {
  const out = {};
  let placed = false;
  let prev = "";
  for (const k in value) {
    if (k < prev) return buildDocSorted(id, creationTime, value);
    prev = k;
    if (!placed && k > "_creationTime") {
      out._creationTime = creationTime;
      out._id = id;
      placed = true;
    }
    const v = value[k];
    if (v !== undefined) out[k] = v;
  }
  if (!placed) {
    out._creationTime = creationTime;
    out._id = id;
  }
  return out;
}

function buildDocSorted(id, creationTime, value) {
  const keys = Object.keys(value);
  keys.push("_creationTime", "_id");
  keys.sort();
  const out = {};
  for (const k of keys) {
    if (k === "_id") out._id = id;
    else if (k === "_creationTime") out._creationTime = creationTime;
    else {
      const v = value[k];
      if (v !== undefined) out[k] = v;
    }
  }
  return out;
}

function userFields(value) {
  if (value._id === undefined && value._creationTime === undefined) return value;
  const out = {};
  for (const k in value) if (k !== "_id" && k !== "_creationTime") out[k] = value[k];
  return out;
}

function nowMs() {
  return performance.timeOrigin + performance.now();
}

export class Database {
  /**
   * @param {{schema: any|null}} opts `schema` is a parsed `defineSchema(...).export()`.
   */
  constructor({ schema = null, retainChanges = 1_000_000 } = {}) {
    /** @type {Map<string, Table>} */
    this.tables = new Map();
    /** @type {Map<number, Table>} */
    this.tablesByNumber = new Map();
    this.schema = schema;
    this.schemaTables = new Map();
    if (schema) for (const t of schema.tables) this.schemaTables.set(t.tableName, t);
    this.nextTableNumber = FIRST_USER_TABLE_NUMBER;
    this.lastCreationTime = 0;
    /** Commit timestamp (ns since epoch) of the last commit. */
    this.lastTs = 0n;
    /** Change log: [{ts, changes: [{table, id, doc, prev}]}], oldest first, from index logStart. */
    this.log = [];
    this.logStart = 0;
    this.logChanges = 0;
    this.retainChanges = retainChanges;
    /** Oldest timestamp from which the log is complete. */
    this.minLogTs = 0n;
    /** @type {null | ((record: string) => void)} set by persistence */
    this.persist = null;
    this.commits = 0;
    /** The running transaction (transactions run one at a time). */
    this.current = null;
    /** Tables created since the last persisted record (their numbers go into the next one). */
    this.pendingTables = [];
    this.loading = false;
    /** @type {null | (() => Promise<void>)} */
    this.durable = null;
    /** @type {null | ((changes: {table: Table}[]) => void)} the websocket subscriptions (sync.js) */
    this.onCommit = null;
  }

  /** Creates the schema's tables in name order so table numbers are stable. */
  initSchemaTables() {
    for (const name of [...this.schemaTables.keys()].sort()) this.ensureTable(name, false, null);
  }

  /** Gets or creates a table. `num` forces a table number (replay). */
  ensureTable(name, forWrite, num) {
    let t = this.tables.get(name);
    if (t) return t;
    if (!TABLE_NAME.test(name)) throw new UserError(`Invalid table name: "${name}"`);
    const def = this.schemaTables.get(name);
    if (!def && this.schema && this.schema.schemaValidation && forWrite) {
      throw new UserError(
        `Failed to insert or update a document in table "${name}" because it does not match the schema: table "${name}" is not in the schema.`,
      );
    }
    const number = num ?? this.nextTableNumber;
    if (number >= this.nextTableNumber) this.nextTableNumber = number + 1;
    const validatorJson = def && this.schema.schemaValidation ? def.documentType : null;
    t = new Table(name, number, def ? def.indexes : [], validatorJson, this);
    this.tables.set(name, t);
    this.tablesByNumber.set(number, t);
    if (!this.loading) this.pendingTables.push(t);
    return t;
  }

  /**
   * Checks every stored document against a new schema (a parsed `defineSchema(...).export()`); the
   * first violation as {tableName, id, message} in Convex's words, or null.
   */
  checkSchema(schema) {
    if (!schema || !schema.schemaValidation) return null;
    const defs = new Map(schema.tables.map((t) => [t.tableName, t]));
    for (const t of [...this.tables.values()].sort((a, b) => a.number - b.number)) {
      if (t.docs.size === 0) continue;
      const def = defs.get(t.name);
      // Like Convex, documents of tables the schema does not list are not checked.
      if (!def) continue;
      const check = compileValidator(def.documentType, (tn, id) => this.isIdOfTable(tn, id));
      for (const [id, doc] of t.docs) {
        const err = check(userFields(doc), "");
        if (err !== null) {
          return { tableName: t.name, id, message: `Document with ID "${id}" in table "${t.name}" does not match the schema: ${err}` };
        }
      }
    }
    return null;
  }

  /**
   * Switches to a new schema (a deploy): new validators, schema indexes added (built from the stored
   * documents), removed or redefined; tables of the new schema created. Call checkSchema first.
   */
  setSchema(schema) {
    this.schema = schema;
    this.schemaTables = new Map();
    if (schema) for (const t of schema.tables) this.schemaTables.set(t.tableName, t);
    for (const t of this.tables.values()) {
      const def = this.schemaTables.get(t.name);
      const defs = def ? def.indexes : [];
      const old = new Map(t.userIndexes.map((i) => [i.name, i]));
      t.userIndexes = defs.map((d) => {
        const o = old.get(d.indexDescriptor);
        if (o && o.fields.length === d.fields.length && o.fields.every((f, i) => f === d.fields[i])) return o;
        const ix = new UserIndex(d.indexDescriptor, d.fields);
        for (const [id, doc] of t.docs) ix.add(t, doc, id);
        return ix;
      });
      t.indexes = new Map([
        ["by_id", t.byId],
        ["by_creation_time", t.byCreation],
        ...t.userIndexes.map((i) => [i.name, i]),
      ]);
      const validatorJson = def && schema.schemaValidation ? def.documentType : null;
      t.validate = validatorJson ? compileValidator(validatorJson, (tn, id) => this.isIdOfTable(tn, id)) : null;
    }
    this.initSchemaTables();
  }

  isIdOfTable(tableName, id) {
    const t = this.tables.get(tableName);
    return t !== undefined && decodeIdTableNumber(id) === t.number;
  }

  /** Table of an id, or null. */
  tableOfId(id, hint) {
    if (hint !== undefined && hint !== null) {
      const t = this.tables.get(hint);
      if (t !== undefined && t.docs.has(id)) return t;
    }
    const n = decodeIdTableNumber(id);
    return n < 0 ? null : (this.tablesByNumber.get(n) ?? null);
  }

  nextCreationTime() {
    let t = nowMs();
    if (t <= this.lastCreationTime) t = this.lastCreationTime + 0.001;
    if (t <= this.lastCreationTime) t = this.lastCreationTime * (1 + Number.EPSILON);
    this.lastCreationTime = t;
    return t;
  }

  nextTs() {
    const now = BigInt(Math.floor(nowMs() * 1e3)) * 1000n;
    this.lastTs = now > this.lastTs ? now : this.lastTs + 1n;
    return this.lastTs;
  }

  // ------------------------------------------------------------------------------------------
  // Transactions
  // ------------------------------------------------------------------------------------------

  begin(kind) {
    const tx = new Tx(this, kind);
    this.current = tx;
    return tx;
  }

  /**
   * Records the pre-transaction version of a document before its first write (at this savepoint
   * level). Returns the undo entry {table, doc: version before, cur: version now}; the caller sets
   * `cur` after writing.
   */
  _noteWrite(tx, table, id, oldDoc) {
    const undo = tx.undoStack[tx.undoStack.length - 1];
    // An id noted at this level was counted when it was first noted.
    const seen = undo.get(id);
    if (seen !== undefined) return seen;
    const entry = { table, doc: oldDoc, cur: oldDoc };
    undo.set(id, entry);
    const w = tx.writtenIds;
    // No savepoint yet: the transaction's undo map holds exactly the ids written so far.
    if (w === null ? undo.size > LIMITS.docsWritten : !w.has(id) && w.add(id).size > LIMITS.docsWritten) {
      tx.fail(
        "TooManyWrites",
        `Too many writes in a single function execution (limit: ${LIMITS.docsWritten}). Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.`,
      );
    }
    return entry;
  }

  _checkWritten(tx, size) {
    tx.bytesWritten += size;
    if (tx.bytesWritten > LIMITS.bytesWritten) {
      tx.fail(
        "TooManyBytesWritten",
        `Too many bytes written in a single function execution (limit: ${LIMITS.bytesWritten} bytes).`,
      );
    }
  }

  _validate(table, value) {
    if (table.validate === null) return;
    const err = table.validate(value, "");
    if (err !== null) {
      throw new UserError(
        `Failed to insert or update a document in table "${table.name}" because it does not match the schema: ${err}`,
      );
    }
  }

  _sizeCheck(tx, value) {
    const state = { commitTs: false };
    const size = checkDocument(value, state);
    // _id (~34) and _creationTime (~23) as Convex counts them
    if (size + 57 > 1 << 20) {
      throw new UserError(`Value is too large (${((size + 57) / 1048576).toFixed(2)} MiB > maximum size 1 MiB)`);
    }
    return { size, commitTs: state.commitTs };
  }

  insert(tx, tableName, value) {
    tx.requireWrite();
    if (typeof tableName !== "string") throw new UserError("insert: table name must be a string");
    if (tableName.startsWith("_")) throw new UserError("System tables (prefixed with `_`) are read-only.");
    const table = this.ensureTable(tableName, true, null);
    value = userFields(value);
    const { size, commitTs } = this._sizeCheck(tx, value);
    this._validate(table, value);
    const id = newId(table.number);
    const doc = buildDoc(id, this.nextCreationTime(), value);
    const entry = this._noteWrite(tx, table, id, null);
    this._checkWritten(tx, size + 57);
    table.apply(id, null, doc);
    entry.cur = doc;
    if (commitTs) (tx.commitTsIds ??= new Set()).add(id);
    return id;
  }

  /**
   * Inserts an imported document (`npx convex import`): keeps `id` and `creationTime` when given and
   * usable (the id belongs to this table and is free), else makes new ones. Validated like insert.
   */
  importDocument(tx, tableName, id, creationTime, value) {
    tx.requireWrite();
    const table = this.ensureTable(tableName, true, null);
    value = userFields(value);
    const { size } = this._sizeCheck(tx, value);
    this._validate(table, value);
    if (typeof id !== "string" || decodeIdTableNumber(id) !== table.number || table.docs.has(id) || this.normalizeId(tableName, id) !== id) {
      id = newId(table.number);
    }
    let ct;
    if (typeof creationTime === "number" && Number.isFinite(creationTime)) {
      ct = creationTime;
      if (ct > this.lastCreationTime) this.lastCreationTime = ct;
      else table.orderDirty = true;
    } else {
      ct = this.nextCreationTime();
    }
    const doc = buildDoc(id, ct, value);
    const entry = this._noteWrite(tx, table, id, null);
    this._checkWritten(tx, size + 57);
    table.apply(id, null, doc);
    entry.cur = doc;
    return id;
  }

  _resolveForWrite(tableName, id, op) {
    if (typeof id !== "string") throw new UserError(`Invalid argument \`id\` for \`db.${op}\`, expected string but got '${typeof id}': ${id}`);
    const table = this.tableOfId(id, tableName);
    if (tableName !== undefined && tableName !== null) {
      if (table === null || table.name !== tableName) {
        throw new UserError(`Invalid argument \`id\` for \`db.${op}\`: "${id}" is not an ID of table "${tableName}"`);
      }
    }
    if (table === null) throw new UserError(`Invalid argument \`id\` for \`db.${op}\`: Unable to decode ID: Invalid ID: "${id}"`);
    return table;
  }

  patch(tx, tableName, id, patchValue) {
    tx.requireWrite();
    const table = this._resolveForWrite(tableName, id, "patch");
    const old = table.docs.get(id) ?? null;
    tx.countRead(old);
    if (old === null) throw new UserError(`Update on nonexistent document ID ${id}`);
    if (patchValue === null || typeof patchValue !== "object" || Array.isArray(patchValue)) {
      throw new UserError("Patch value must be an object");
    }
    if (patchValue._id !== undefined && patchValue._id !== id) {
      throw new UserError(`Provided \`_id\` field value "${patchValue._id}" does not match the document ID "${id}"`);
    }
    if (patchValue._creationTime !== undefined && patchValue._creationTime !== old._creationTime) {
      throw new UserError(`Provided \`_creationTime\` field value ${patchValue._creationTime} does not match the document's creation time ${old._creationTime}`);
    }
    const merged = {};
    for (const k in old) if (k !== "_id" && k !== "_creationTime") merged[k] = old[k];
    for (const k in patchValue) {
      if (k === "_id" || k === "_creationTime") continue;
      const v = patchValue[k];
      if (v !== null && typeof v === "object" && specialKey(v) === "$undefined") delete merged[k];
      else merged[k] = v;
    }
    this._write(tx, table, id, old, merged);
  }

  replace(tx, tableName, id, value) {
    tx.requireWrite();
    const table = this._resolveForWrite(tableName, id, "replace");
    const old = table.docs.get(id) ?? null;
    tx.countRead(old);
    if (old === null) throw new UserError(`Replace on nonexistent document ID ${id}`);
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new UserError("Replace value must be an object");
    if (value._id !== undefined && value._id !== id) {
      throw new UserError(`Provided \`_id\` field value "${value._id}" does not match the document ID "${id}"`);
    }
    if (value._creationTime !== undefined && value._creationTime !== old._creationTime) {
      throw new UserError(`Provided \`_creationTime\` field value ${value._creationTime} does not match the document's creation time ${old._creationTime}`);
    }
    this._write(tx, table, id, old, userFields(value));
  }

  _write(tx, table, id, old, value) {
    const { size, commitTs } = this._sizeCheck(tx, value);
    this._validate(table, value);
    const doc = buildDoc(id, old._creationTime, value);
    const entry = this._noteWrite(tx, table, id, old);
    this._checkWritten(tx, size + 57);
    table.apply(id, old, doc);
    entry.cur = doc;
    if (commitTs) (tx.commitTsIds ??= new Set()).add(id);
  }

  remove(tx, tableName, id) {
    tx.requireWrite();
    const table = this._resolveForWrite(tableName, id, "delete");
    const old = table.docs.get(id) ?? null;
    tx.countRead(old);
    if (old === null) throw new UserError(`Delete on nonexistent document ID ${id}`);
    const entry = this._noteWrite(tx, table, id, old);
    this._checkWritten(tx, 0);
    table.apply(id, old, null);
    entry.cur = null;
  }

  get(tx, tableName, id) {
    tx.countRange();
    if (typeof id !== "string") throw new UserError(`Invalid argument \`id\` for \`db.get\`, expected string but got '${typeof id}': ${id}`);
    const table = this.tableOfId(id, tableName);
    if (tableName !== undefined && tableName !== null) {
      if (table === null) {
        if (decodeIdTableNumber(id) < 0) throw new UserError(`Invalid argument \`id\` for \`db.get\`: Unable to decode ID: Invalid ID: "${id}"`);
        return null;
      }
      if (table.name !== tableName) {
        throw new UserError(`Invalid argument \`id\` for \`db.get\`: "${id}" is not an ID of table "${tableName}"`);
      }
    } else if (table === null) {
      if (decodeIdTableNumber(id) < 0) throw new UserError(`Unable to decode ID: Invalid ID: "${id}"`);
      return null;
    }
    const doc = table.docs.get(id) ?? null;
    if (tx.readTables !== null) tx.readTables.add(table.name);
    tx.countRead(doc);
    return doc;
  }

  normalizeId(tableName, idString) {
    const t = this.tables.get(tableName);
    if (!t || typeof idString !== "string") return null;
    return decodeIdTableNumber(idString) === t.number ? idString : null;
  }

  /** Opens a savepoint (nested mutation). */
  savepoint(tx) {
    if (tx.writtenIds === null) tx.writtenIds = new Set(tx.undoStack[0].keys());
    tx.undoStack.push(new Map());
  }
  releaseSavepoint(tx) {
    const top = tx.undoStack.pop();
    const parent = tx.undoStack[tx.undoStack.length - 1];
    for (const [id, e] of top) {
      const p = parent.get(id);
      if (p === undefined) parent.set(id, e);
      else p.cur = e.cur;
    }
  }
  rollbackSavepoint(tx) {
    const top = tx.undoStack.pop();
    this._undo(top);
  }

  _undo(undo) {
    for (const [id, { table, doc }] of undo) {
      const cur = table.docs.get(id) ?? null;
      if (cur !== doc) {
        if (cur === null && doc !== null) table.orderDirty = true;
        table.apply(id, cur, doc);
      }
    }
  }

  rollback(tx) {
    while (tx.undoStack.length > 0) this._undo(tx.undoStack.pop());
    tx.closed = true;
    if (this.current === tx) this.current = null;
    // Tables created by this transaction stay (empty), as they would after a failed push.
  }

  /**
   * Commits: assigns the commit timestamp, appends to the change log and hands the record to
   * persistence. Returns the number of changed documents.
   */
  commit(tx) {
    const undo = tx.undoStack[0];
    tx.closed = true;
    if (this.current === tx) this.current = null;
    if (undo.size === 0) return 0;
    const ts = this.nextTs();
    if (tx.commitTsIds) {
      const tsJson = int64ToJson(ts);
      for (const id of tx.commitTsIds) {
        const e = undo.get(id);
        if (!e) continue;
        const cur = e.cur;
        if (cur) {
          const resolved = resolveCommitTs(cur, tsJson);
          e.table.apply(id, cur, resolved);
          e.cur = resolved;
        }
      }
    }
    const changes = [];
    // Each entry's `cur` is the document's version now (kept up to date by the writes).
    for (const [id, e] of undo) {
      const cur = e.cur;
      if (cur === e.doc) continue;
      changes.push({ table: e.table, id, doc: cur, prev: e.doc });
    }
    if (changes.length === 0) return 0;
    this.commits++;
    this.log.push({ ts, changes });
    if (this.onCommit !== null) this.onCommit(changes);
    this.logChanges += changes.length;
    this._trimLog();
    if (this.persist) {
      this.persist(this._record(ts, changes, this.pendingTables));
      this.pendingTables = [];
    }
    return changes.length;
  }

  _record(ts, changes, newTables) {
    let s = `{"ts":"${ts}","ct":${this.lastCreationTime}`;
    if (newTables && newTables.length) {
      s += `,"tables":${JSON.stringify(Object.fromEntries(newTables.map((t) => [t.name, t.number])))}`;
    }
    s += `,"w":[`;
    for (let i = 0; i < changes.length; i++) {
      const c = changes[i];
      if (i > 0) s += ",";
      s += `[${c.table.number},"${c.id}",${c.doc === null ? "null" : JSON.stringify(c.doc)}]`;
    }
    return s + "]}\n";
  }

  _trimLog() {
    while (this.logChanges > this.retainChanges && this.logStart < this.log.length - 1) {
      const e = this.log[this.logStart];
      this.log[this.logStart] = undefined;
      this.logStart++;
      this.logChanges -= e.changes.length;
      this.minLogTs = e.ts;
    }
    if (this.logStart > 4096 && this.logStart * 2 > this.log.length) {
      this.log = this.log.slice(this.logStart);
      this.logStart = 0;
    }
  }

  /** Applies a persisted commit record during replay. */
  replayRecord(rec) {
    if (rec.tables) {
      for (const [name, num] of Object.entries(rec.tables)) if (!this.tables.has(name)) this.ensureTable(name, false, num);
    }
    const ts = BigInt(rec.ts);
    if (ts <= this.lastTs) return; // already in the snapshot
    const changes = [];
    for (const [num, id, doc] of rec.w) {
      let table = this.tablesByNumber.get(num);
      if (!table) throw new Error(`replay: unknown table number ${num}`);
      const prev = table.docs.get(id) ?? null;
      table.apply(id, prev, doc);
      changes.push({ table, id, doc, prev });
    }
    this.lastTs = ts;
    if (rec.ct > this.lastCreationTime) this.lastCreationTime = rec.ct;
    this.log.push({ ts, changes });
    this.logChanges += changes.length;
    this.commits++;
    this._trimLog();
  }

  documentCount() {
    let n = 0;
    for (const t of this.tables.values()) n += t.docs.size;
    return n;
  }

  // ------------------------------------------------------------------------------------------
  // Queries
  // ------------------------------------------------------------------------------------------

  /**
   * Resolves a serialized query's source into a scan plan:
   * {table, index, order, mode: "empty"|"single"|"group"|"sorted", ...}.
   */
  resolveSource(source) {
    let tableName;
    let indexName;
    if (source.type === "FullTableScan") {
      tableName = source.tableName;
      indexName = "by_creation_time";
    } else if (source.type === "IndexRange") {
      const dot = source.indexName.indexOf(".");
      tableName = source.indexName.slice(0, dot);
      indexName = source.indexName.slice(dot + 1);
    } else {
      throw new UserError(`The Convex emulator does not support ${source.type} queries.`);
    }
    const order = source.order === "desc" ? "desc" : "asc";
    const table = this.tables.get(tableName) ?? null;
    let index = table ? table.indexes.get(indexName) : undefined;
    if (!index) {
      if (indexName === "by_id") index = new IdIndex();
      else if (indexName === "by_creation_time") index = new CreationTimeIndex();
      else {
        const def = this.schemaTables.get(tableName)?.indexes.find((i) => i.indexDescriptor === indexName);
        if (!def) throw new UserError(`Index ${tableName}.${indexName} not found.`);
        index = new UserIndex(indexName, def.fields);
      }
    }
    const range = source.type === "IndexRange" ? source.range : EMPTY;
    // Fast path: equality on every declared field of a schema index (a hash lookup).
    if (index.kind === "user" && range.length === index.fields.length) {
      let eqAll = true;
      for (let i = 0; i < range.length; i++) {
        if (range[i].type !== "Eq" || range[i].fieldPath !== index.fields[i]) {
          eqAll = false;
          break;
        }
      }
      if (eqAll) {
        const values = new Array(range.length);
        for (let i = 0; i < range.length; i++) {
          const v = range[i].value;
          values[i] = v !== null && typeof v === "object" && specialKey(v) === "$undefined" ? undefined : v;
        }
        return { table, index, order, mode: table === null ? "empty" : "group", lo: null, hi: null, prefix: null, values };
      }
    }
    // Validates the range expressions even when the table is empty.
    const [lo, hi] = range.length > 0 ? rangeBounds(range, index.rangeFields) : ["", KEY_MAX_CHAR];
    const plan = { table, index, order, mode: "empty", lo, hi };
    if (table === null) return plan;
    if (index.kind === "id" && range.length === 1 && range[0].type === "Eq") {
      plan.mode = "single";
      plan.id = range[0].value;
      return plan;
    }
    plan.mode = "sorted";
    plan.map = index.sortedMap(table);
    return plan;
  }
}

const EMPTY = [];

/** Turns index range expressions into [lo (inclusive), hi (exclusive)] key bounds. */
function rangeBounds(range, fields) {
  let prefix = "";
  let i = 0;
  let fi = 0;
  for (; i < range.length && range[i].type === "Eq"; i++, fi++) {
    const r = range[i];
    if (fi >= fields.length || r.fieldPath !== fields[fi]) {
      throw new UserError(
        `Incorrect field used in \`withIndex\`, expected "${fields[fi] ?? "(none)"}", got "${r.fieldPath}". Index range expressions must be chained in index field order.`,
      );
    }
    prefix += encodeKeyValue(r.value);
  }
  let lo = prefix;
  let hi = prefix + KEY_MAX_CHAR;
  let field = null;
  let sawLower = false;
  let sawUpper = false;
  for (; i < range.length; i++) {
    const r = range[i];
    if (r.type === "Eq") throw new UserError("Incorrect operator used in `withIndex`: `.eq` must come before `.gt`, `.gte`, `.lt` and `.lte`.");
    if (field === null) {
      if (fi >= fields.length || r.fieldPath !== fields[fi]) {
        throw new UserError(`Incorrect field used in \`withIndex\`, expected "${fields[fi] ?? "(none)"}", got "${r.fieldPath}".`);
      }
      field = r.fieldPath;
    } else if (r.fieldPath !== field) {
      throw new UserError(`Incorrect field used in \`withIndex\`, \`.gt\` and \`.lt\` must operate on the same field, expected "${field}", got "${r.fieldPath}".`);
    }
    const enc = prefix + encodeKeyValue(r.value);
    if (r.type === "Gt" || r.type === "Gte") {
      if (sawLower) throw new UserError("Incorrect operator used in `withIndex`: only one lower bound is allowed.");
      sawLower = true;
      lo = r.type === "Gte" ? enc : enc + KEY_MAX_CHAR;
    } else {
      if (sawUpper) throw new UserError("Incorrect operator used in `withIndex`: only one upper bound is allowed.");
      sawUpper = true;
      hi = r.type === "Lt" ? enc : enc + KEY_MAX_CHAR;
    }
  }
  return [lo, hi];
}

// ---------------------------------------------------------------------------------------------
// Filter expressions
// ---------------------------------------------------------------------------------------------

function num(v) {
  const k = kindOf(v);
  if (k === 3) return typeof v === "number" ? v : floatFromJson(v);
  return null;
}

function arith(op, a, b) {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 2 && kb === 2) {
    const x = int64FromJson(a);
    const y = int64FromJson(b);
    let r;
    switch (op) {
      case "$add": r = x + y; break;
      case "$sub": r = x - y; break;
      case "$mul": r = x * y; break;
      case "$div": if (y === 0n) throw new UserError("Division by zero"); r = x / y; break;
      case "$mod": if (y === 0n) throw new UserError("Division by zero"); r = x % y; break;
    }
    return int64ToJson(r);
  }
  const x = num(a);
  const y = num(b);
  if (x === null || y === null) throw new UserError(`Cannot apply ${op.slice(1)} to ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
  let r;
  switch (op) {
    case "$add": r = x + y; break;
    case "$sub": r = x - y; break;
    case "$mul": r = x * y; break;
    case "$div": r = x / y; break;
    case "$mod": r = x % y; break;
  }
  if (Number.isNaN(r) || !Number.isFinite(r) || Object.is(r, -0)) {
    const b8 = Buffer.allocUnsafe(8);
    b8.writeDoubleLE(r);
    return { $float: b8.toString("base64") };
  }
  return r;
}

/** Evaluates a serialized filter expression against a document. */
export function evalExpr(e, doc) {
  if (e === null || typeof e !== "object") return e;
  if ("$field" in e) return getFieldPath(doc, e.$field);
  if ("$literal" in e) {
    const l = e.$literal;
    return l !== null && typeof l === "object" && specialKey(l) === "$undefined" ? undefined : l;
  }
  if ("$eq" in e) return compareValues(evalExpr(e.$eq[0], doc), evalExpr(e.$eq[1], doc)) === 0;
  if ("$neq" in e) return compareValues(evalExpr(e.$neq[0], doc), evalExpr(e.$neq[1], doc)) !== 0;
  if ("$lt" in e) return compareValues(evalExpr(e.$lt[0], doc), evalExpr(e.$lt[1], doc)) < 0;
  if ("$lte" in e) return compareValues(evalExpr(e.$lte[0], doc), evalExpr(e.$lte[1], doc)) <= 0;
  if ("$gt" in e) return compareValues(evalExpr(e.$gt[0], doc), evalExpr(e.$gt[1], doc)) > 0;
  if ("$gte" in e) return compareValues(evalExpr(e.$gte[0], doc), evalExpr(e.$gte[1], doc)) >= 0;
  if ("$and" in e) {
    for (const c of e.$and) if (evalExpr(c, doc) !== true) return false;
    return true;
  }
  if ("$or" in e) {
    for (const c of e.$or) if (evalExpr(c, doc) === true) return true;
    return false;
  }
  if ("$not" in e) return evalExpr(e.$not, doc) !== true;
  if ("$neg" in e) return arith("$sub", 0, evalExpr(e.$neg, doc));
  for (const op of ["$add", "$sub", "$mul", "$div", "$mod"]) {
    if (op in e) return arith(op, evalExpr(e[op][0], doc), evalExpr(e[op][1], doc));
  }
  throw new UserError(`Unsupported filter expression: ${JSON.stringify(e)}`);
}

// ---------------------------------------------------------------------------------------------
// Transaction state
// ---------------------------------------------------------------------------------------------

export class Tx {
  constructor(db, kind) {
    this.db = db;
    this.kind = kind;
    /** Stack of undo maps id -> {table, doc: version before the first write, cur: version now}; [0] is the transaction. */
    this.undoStack = [new Map()];
    /**
     * Distinct documents written (the 16,000 limit counts documents, not calls). null until the
     * first savepoint: until then the ids of undoStack[0] are exactly the documents written.
     * @type {Set<string>|null}
     */
    this.writtenIds = null;
    this.indexRanges = 0;
    this.docsScanned = 0;
    this.bytesRead = 0;
    this.bytesWritten = 0;
    /** @type {Map<number, QueryStream>} */
    this.queries = new Map();
    this.nextQueryId = 0;
    this.paginated = 0;
    /** @type {LimitError|null} */
    this.fatal = null;
    this.closed = false;
    this.commitTsIds = null;
    this.newTables = null;
    this.logLines = [];
    this.identity = null;
    /** @type {Set<string>|null} tables read, tracked for websocket subscriptions */
    this.readTables = null;
  }
  /** Number of distinct documents written. */
  get writtenCount() {
    return this.writtenIds === null ? this.undoStack[0].size : this.writtenIds.size;
  }
  fail(code, message) {
    const e = new LimitError(code, message);
    if (this.fatal === null) this.fatal = e;
    throw e;
  }
  requireWrite() {
    if (this.kind !== "mutation") throw new UserError("Writes are only allowed in mutations.");
    if (this.closed) throw new UserError("This transaction is already finished: a database call was not awaited.");
  }
  countRange() {
    if (++this.indexRanges > LIMITS.indexRanges) {
      this.fail(
        "TooManyReads",
        `Too many reads in a single function execution (limit: ${LIMITS.indexRanges}). Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.`,
      );
    }
  }
  countRead(doc, size) {
    if (doc === null) return;
    if (++this.docsScanned > LIMITS.docsScanned) {
      this.fail(
        "TooManyDocumentsRead",
        `Too many documents read in a single function execution (limit: ${LIMITS.docsScanned}). Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.`,
      );
    }
    if (size !== undefined) {
      this.bytesRead += size;
      if (this.bytesRead > LIMITS.bytesRead) {
        this.fail("TooManyBytesRead", `Too many bytes read in a single function execution (limit: ${LIMITS.bytesRead} bytes).`);
      }
    }
  }
  addBytesRead(size) {
    this.bytesRead += size;
    if (this.bytesRead > LIMITS.bytesRead) {
      this.fail("TooManyBytesRead", `Too many bytes read in a single function execution (limit: ${LIMITS.bytesRead} bytes).`);
    }
  }
}

/** A lazily advanced scan over one index range with filter/limit operators. */
export class QueryStream {
  constructor(tx, query) {
    this.tx = tx;
    const plan = tx.db.resolveSource(query.source);
    if (tx.readTables !== null) {
      const src = query.source;
      tx.readTables.add(src.tableName ?? src.indexName.slice(0, src.indexName.indexOf(".")));
    }
    this.table = plan.table;
    this.index = plan.index;
    this.order = plan.order;
    this.mode = plan.mode;
    this.lo = plan.lo;
    this.hi = plan.hi;
    this.operators = query.operators ?? [];
    this.limitCounts = this.operators.length ? this.operators.map(() => 0) : null;
    this.done = plan.mode === "empty";
    /** Key of the last entry stepped over (sorted mode; computed on demand otherwise). */
    this.lastKey = null;
    // sorted mode position
    this.map = plan.map ?? null;
    this.c = -2;
    this.i = 0;
    this.version = -1;
    // single / group mode: a snapshot of the matching ids
    this.prefix = plan.prefix ?? null;
    this.values = plan.values ?? null;
    this.ids = null;
    this.sfx = null;
    this.gi = -1;
    if (plan.mode === "single") {
      const doc = typeof plan.id === "string" ? this.table.docs.get(plan.id) : undefined;
      this.ids = doc ? [plan.id] : [];
      this.mode = "group";
      this.prefix = "";
    } else if (plan.mode === "group") {
      const g = plan.index.lookup(plan.values);
      if (g === undefined) this.ids = [];
      else if (typeof g === "string") this.ids = [g];
      else {
        this.ids = g.ids.slice();
        this.sfx = g.s.slice();
      }
    }
  }

  /** Key of the entry at group position gi. */
  _groupKey(gi) {
    if (this.index.kind === "id") return encodeKeyValue(this.ids[gi]);
    if (this.prefix === null) {
      let p = "";
      for (const v of this.values) p += encodeKeyValue(v);
      this.prefix = p;
    }
    if (this.sfx !== null) return this.prefix + this.sfx[gi];
    return this.prefix + suffixOf(this.table.docs.get(this.ids[gi]));
  }

  /** Resumes after `key` (pagination cursors). */
  seekAfter(key) {
    if (this.mode === "group") {
      const n = this.ids.length;
      if (this.order === "asc") {
        let g = 0;
        while (g < n && this._groupKey(g) <= key) g++;
        this.gi = g - 1;
      } else {
        let g = n - 1;
        while (g >= 0 && this._groupKey(g) >= key) g--;
        this.gi = g + 1;
      }
    } else {
      this.lastKey = key;
    }
  }

  /** Next id in index order, or null. */
  _step() {
    if (this.mode === "group") {
      const ids = this.ids;
      if (this.order === "asc") {
        if (this.gi < -1) this.gi = -1;
        if (++this.gi >= ids.length) return null;
      } else {
        if (this.gi === -1) this.gi = ids.length;
        if (--this.gi < 0) return null;
      }
      return ids[this.gi];
    }
    const m = this.map;
    if (m.size === 0) return null;
    let c;
    let i;
    if (this.version === m.version && this.c >= 0) {
      c = this.c;
      i = this.i;
      if (this.order === "asc") {
        i++;
        if (i >= m.keys[c].length) {
          c++;
          i = 0;
        }
      } else {
        i--;
        if (i < 0) {
          c--;
          i = c >= 0 ? m.keys[c].length - 1 : 0;
        }
      }
    } else if (this.order === "asc") {
      [c, i] = this.lastKey === null ? m.seekForward(this.lo, true) : m.seekForward(this.lastKey, false);
    } else {
      [c, i] = this.lastKey === null ? m.seekBackward(this.hi, false) : m.seekBackward(this.lastKey, false);
    }
    if (c < 0 || c >= m.keys.length) return null;
    const key = m.keys[c][i];
    if (this.order === "asc" ? key >= this.hi : key < this.lo) return null;
    this.c = c;
    this.i = i;
    this.version = m.version;
    this.lastKey = key;
    return m.vals[c][i];
  }

  /** Key of the entry last returned by _step. */
  currentKey() {
    return this.mode === "group" ? this._groupKey(this.gi) : this.lastKey;
  }

  save() {
    return [this.c, this.i, this.version, this.lastKey, this.gi, this.done];
  }
  restore(s) {
    [this.c, this.i, this.version, this.lastKey, this.gi, this.done] = s;
  }

  /** Next document passing the operators, or null when exhausted. */
  next() {
    if (this.done) return null;
    const ops = this.operators;
    for (;;) {
      const id = this._step();
      if (id === null) {
        this.done = true;
        return null;
      }
      const doc = this.table.docs.get(id);
      if (doc === undefined) continue; // deleted since the group snapshot
      this.tx.countRead(doc);
      let pass = true;
      for (let k = 0; k < ops.length; k++) {
        const op = ops[k];
        if (op.filter !== undefined) {
          if (evalExpr(op.filter, doc) !== true) {
            pass = false;
            break;
          }
        } else if (op.limit !== undefined) {
          if (this.limitCounts[k] >= op.limit) {
            this.done = true;
            return null;
          }
          this.limitCounts[k]++;
        }
      }
      if (pass) return doc;
    }
  }

  /** Next scanned document with whether it passed the filters (for pagination), or null. */
  nextScanned() {
    for (;;) {
      if (this.done) return null;
      const id = this._step();
      if (id === null) {
        this.done = true;
        return null;
      }
      const doc = this.table.docs.get(id);
      if (doc === undefined) continue;
      this.tx.countRead(doc);
      let pass = true;
      for (const op of this.operators) {
        if (op.filter !== undefined && evalExpr(op.filter, doc) !== true) {
          pass = false;
          break;
        }
      }
      return { doc, pass, key: this.currentKey() };
    }
  }
}
