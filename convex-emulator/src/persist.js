// Durability for --data DIR: every committed mutation appends one JSON line to `log.jsonl` with a
// synchronous write before the next transaction runs; the HTTP answer waits for an fdatasync that
// covers it (several commits share one fdatasync). On start the snapshot and the log are replayed;
// a torn last line (crash in the middle of a write) is dropped. The log is compacted into
// `snapshot.jsonl` at start and when it grows large.
import fs from "node:fs";
import path from "node:path";

const SNAPSHOT = "snapshot.jsonl";
const LOG = "log.jsonl";

function* lines(file) {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
    let carry = Buffer.alloc(0);
    let offset = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      let chunk = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(10, start);
        if (nl < 0) break;
        yield { text: chunk.toString("utf8", start, nl), end: offset + nl + 1 };
        start = nl + 1;
      }
      offset += start;
      carry = Buffer.from(chunk.subarray(start));
    }
    if (carry.length) yield { text: carry.toString("utf8"), end: offset + carry.length, partial: true };
  } finally {
    fs.closeSync(fd);
  }
}

export class Persistence {
  /** @param {string} dir @param {import("./db.js").Database} db */
  constructor(dir, db, { compactBytes = 256 * 1024 * 1024 } = {}) {
    this.dir = dir;
    this.db = db;
    this.compactBytes = compactBytes;
    fs.mkdirSync(dir, { recursive: true });
    this.logPath = path.join(dir, LOG);
    this.snapPath = path.join(dir, SNAPSHOT);
    this.fd = -1;
    this.logSize = 0;
    this.snapSize = 0;
    this.syncing = false;
    /** Waiters for the fdatasync in progress / the next one. */
    this.current = [];
    this.next = [];
    this.dirty = false;
    this.compacting = false;
    /** @type {null | ((fn: () => Promise<void>) => Promise<void>)} runs fn between transactions */
    this.schedule = null;
  }

  /** Replays snapshot + log into the database. */
  load() {
    const db = this.db;
    db.loading = true;
    try {
      this._load();
    } finally {
      db.loading = false;
    }
    if (this.logSize > 64 * 1024 * 1024) this.compact();
    this.fd = fs.openSync(this.logPath, "a");
    db.persist = (record) => this.append(record);
    db.durable = () => this.waitDurable();
  }

  _load() {
    const db = this.db;
    if (fs.existsSync(this.snapPath)) {
      let header = null;
      for (const { text, partial } of lines(this.snapPath)) {
        if (partial || text === "") continue;
        if (header === null) {
          header = JSON.parse(text);
          for (const [name, num] of Object.entries(header.tables)) db.ensureTable(name, false, num);
          continue;
        }
        const [num, doc] = JSON.parse(text);
        db.tablesByNumber.get(num).apply(doc._id, null, doc);
      }
      if (header) {
        db.lastTs = BigInt(header.ts);
        db.minLogTs = db.lastTs;
        db.lastCreationTime = header.ct;
        if (header.nextTableNumber > db.nextTableNumber) db.nextTableNumber = header.nextTableNumber;
      }
      this.snapSize = fs.statSync(this.snapPath).size;
    }
    let validEnd = 0;
    if (fs.existsSync(this.logPath)) {
      for (const { text, end, partial } of lines(this.logPath)) {
        if (text === "") {
          validEnd = end;
          continue;
        }
        let rec;
        try {
          rec = JSON.parse(text);
        } catch (e) {
          if (partial) break; // torn write at the end
          throw new Error(`${this.logPath}: corrupt record ending at byte ${end}: ${e.message}`);
        }
        if (partial) break; // a record is only complete with its newline
        db.replayRecord(rec);
        validEnd = end;
      }
      fs.truncateSync(this.logPath, validEnd);
    }
    this.logSize = validEnd;
  }

  append(record) {
    const buf = Buffer.from(record, "utf8");
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off);
    this.logSize += buf.length;
    this.dirty = true;
  }

  /** Resolves once everything appended so far is on disk. */
  waitDurable() {
    return new Promise((resolve, reject) => {
      this.next.push({ resolve, reject });
      if (!this.syncing) this._sync();
    });
  }

  _sync() {
    if (this.next.length === 0) return;
    this.syncing = true;
    const waiters = this.next;
    this.next = [];
    this.dirty = false;
    fs.fdatasync(this.fd, (err) => {
      this.syncing = false;
      for (const w of waiters) err ? w.reject(err) : w.resolve();
      if (this.next.length) this._sync();
      else this.maybeCompact();
    });
  }

  maybeCompact() {
    if (this.compacting) return;
    if (this.logSize > this.compactBytes && this.logSize > 2 * this.snapSize && !this.syncing && this.next.length === 0) {
      // Between transactions only: a running mutation's writes are in the tables already.
      this.compacting = true;
      const run = async () => {
        try {
          if (this.fd >= 0) this.compact();
        } finally {
          this.compacting = false;
        }
      };
      if (this.schedule) this.schedule(run);
      else run();
    }
  }

  /** Writes all documents to a new snapshot, then empties the log. Synchronous. */
  compact() {
    const db = this.db;
    const tmp = this.snapPath + ".tmp";
    const fd = fs.openSync(tmp, "w");
    const tables = Object.fromEntries([...db.tables.values()].map((t) => [t.name, t.number]));
    let buf = JSON.stringify({ ts: String(db.lastTs), ct: db.lastCreationTime, nextTableNumber: db.nextTableNumber, tables }) + "\n";
    const flush = () => {
      fs.writeSync(fd, buf);
      buf = "";
    };
    for (const t of db.tables.values()) {
      for (const doc of t.docs.values()) {
        buf += `[${t.number},${JSON.stringify(doc)}]\n`;
        if (buf.length > 4 * 1024 * 1024) flush();
      }
    }
    flush();
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, this.snapPath);
    const dfd = fs.openSync(this.dir, "r");
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
    // Records already in the snapshot are skipped by timestamp on replay, so a crash between the
    // rename and the truncation is harmless.
    if (this.fd >= 0) {
      fs.ftruncateSync(this.fd, 0);
      fs.fsyncSync(this.fd);
    } else {
      fs.truncateSync(this.logPath, 0);
    }
    this.logSize = 0;
    this.snapSize = fs.statSync(this.snapPath).size;
  }

  close() {
    if (this.fd >= 0) {
      try {
        fs.fsyncSync(this.fd);
      } catch {
        /* ignore */
      }
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}
