// Function execution logs for `npx convex logs` (GET /api/stream_function_logs?cursor=<ms>): the last
// executions of queries, mutations and actions called from outside (HTTP and websocket requests, not
// subscription re-runs) with their console lines, in the entry shape the CLI prints. A poll with
// nothing newer than its cursor waits up to 10 s for the next execution (a long poll, like Convex's).
const KEEP = 10_000;
const POLL_MS = 10_000;

export class FunctionLogs {
  constructor() {
    this.entries = [];
    this.waiters = new Set();
    this.lastMs = 0;
  }

  /** Records one execution (called by runtime.call once a function finished). */
  record(path, kind, startMs, result) {
    let ms = Date.now();
    if (ms <= this.lastMs) ms = this.lastMs + 0.001;
    this.lastMs = ms;
    const udfType = kind[0].toUpperCase() + kind.slice(1);
    const e = {
      kind: "Completion",
      identifier: path.includes(":") ? path : `${path}:default`,
      udfType,
      timestamp: ms / 1000,
      executionTime: (ms - startMs) / 1000,
      logLines: result.logLines ?? [],
      cachedResult: false,
      requestId: "",
      executionId: "",
      _cursorMs: ms,
    };
    if (result.status === "error") e.error = result.errorMessage;
    else if (result.system) e.error = `${result.system.code}: ${result.system.message}`;
    this.entries.push(e);
    if (this.entries.length > KEEP) this.entries.splice(0, this.entries.length - KEEP);
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  _after(cursor) {
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1]._cursorMs > cursor) i--;
    return this.entries.slice(i);
  }

  /** {entries, newCursor} newer than `cursor` (ms), waiting for one when there is none yet. */
  async poll(cursor) {
    let out = this._after(cursor);
    if (out.length === 0) {
      await new Promise((resolve) => {
        const t = setTimeout(() => {
          this.waiters.delete(resolve);
          resolve();
        }, POLL_MS);
        this.waiters.add(() => {
          clearTimeout(t);
          resolve();
        });
      });
      out = this._after(cursor);
    }
    const newCursor = out.length ? out[out.length - 1]._cursorMs : Math.max(cursor, this.lastMs);
    return { entries: out.map(({ _cursorMs, ...e }) => e), newCursor };
  }

  close() {
    for (const w of this.waiters) w();
    this.waiters.clear();
  }
}
