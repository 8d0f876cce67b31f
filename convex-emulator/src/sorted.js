// An ordered map from string keys to values: a list of sorted chunks (a two-level B-tree).
// O(log n) lookups, inserts and deletes (chunk splices are bounded by CHUNK), ordered scans.

const CHUNK = 512;

function lowerBound(arr, key) {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
function upperBound(arr, key) {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SortedMap {
  constructor() {
    /** @type {string[][]} */ this.keys = [];
    /** @type {any[][]} */ this.vals = [];
    /** Last key of each chunk. @type {string[]} */ this.maxes = [];
    this.size = 0;
    /** Bumped on every structural change, so cursors know when to re-seek. */
    this.version = 0;
  }

  _chunkFor(key) {
    const c = lowerBound(this.maxes, key);
    return c < this.maxes.length ? c : this.maxes.length - 1;
  }

  get(key) {
    if (this.size === 0) return undefined;
    const c = this._chunkFor(key);
    const ks = this.keys[c];
    const i = lowerBound(ks, key);
    return i < ks.length && ks[i] === key ? this.vals[c][i] : undefined;
  }

  /** Inserts or overwrites. */
  set(key, val) {
    this.version++;
    if (this.size === 0) {
      this.keys.push([key]);
      this.vals.push([val]);
      this.maxes.push(key);
      this.size = 1;
      return;
    }
    const last = this.maxes.length - 1;
    if (key > this.maxes[last]) {
      // Append fast path (by_creation_time always appends).
      const ks = this.keys[last];
      ks.push(key);
      this.vals[last].push(val);
      this.maxes[last] = key;
      this.size++;
      if (ks.length > 2 * CHUNK) this._split(last);
      return;
    }
    const c = this._chunkFor(key);
    const ks = this.keys[c];
    const vs = this.vals[c];
    const i = lowerBound(ks, key);
    if (i < ks.length && ks[i] === key) {
      vs[i] = val;
      return;
    }
    if (i === ks.length) {
      ks.push(key);
      vs.push(val);
      this.maxes[c] = key;
    } else {
      ks.splice(i, 0, key);
      vs.splice(i, 0, val);
    }
    this.size++;
    if (ks.length > 2 * CHUNK) this._split(c);
  }

  _split(c) {
    const ks = this.keys[c];
    const vs = this.vals[c];
    const k2 = ks.splice(CHUNK);
    const v2 = vs.splice(CHUNK);
    this.keys.splice(c + 1, 0, k2);
    this.vals.splice(c + 1, 0, v2);
    this.maxes[c] = ks[ks.length - 1];
    this.maxes.splice(c + 1, 0, k2[k2.length - 1]);
  }

  /** Builds a map from keys already sorted ascending (and unique). */
  static fromSorted(keys, vals) {
    const m = new SortedMap();
    for (let i = 0; i < keys.length; i += CHUNK) {
      const ks = keys.slice(i, i + CHUNK);
      m.keys.push(ks);
      m.vals.push(vals.slice(i, i + CHUNK));
      m.maxes.push(ks[ks.length - 1]);
    }
    m.size = keys.length;
    return m;
  }

  delete(key) {
    if (this.size === 0) return false;
    const c = this._chunkFor(key);
    const ks = this.keys[c];
    const i = lowerBound(ks, key);
    if (i >= ks.length || ks[i] !== key) return false;
    this.version++;
    ks.splice(i, 1);
    this.vals[c].splice(i, 1);
    this.size--;
    if (ks.length === 0) {
      this.keys.splice(c, 1);
      this.vals.splice(c, 1);
      this.maxes.splice(c, 1);
    } else {
      this.maxes[c] = ks[ks.length - 1];
    }
    return true;
  }

  /** Position of the first key >= key (inclusive) or > key. Returns [chunk, index]. */
  seekForward(key, inclusive) {
    const maxes = this.maxes;
    let c = inclusive ? lowerBound(maxes, key) : upperBound(maxes, key);
    if (c >= maxes.length) return [maxes.length, 0];
    const ks = this.keys[c];
    const i = inclusive ? lowerBound(ks, key) : upperBound(ks, key);
    return [c, i];
  }

  /** Position of the last key < key (exclusive) or <= key. Returns [chunk, index] or [-1, -1]. */
  seekBackward(key, inclusive) {
    const maxes = this.maxes;
    // First chunk whose max >= key: the answer is in it or the chunk before.
    let c = lowerBound(maxes, key);
    if (c >= maxes.length) c = maxes.length - 1;
    while (c >= 0) {
      const ks = this.keys[c];
      const i = (inclusive ? upperBound(ks, key) : lowerBound(ks, key)) - 1;
      if (i >= 0) return [c, i];
      c--;
    }
    return [-1, -1];
  }

  keyAt(c, i) {
    return this.keys[c][i];
  }
  valAt(c, i) {
    return this.vals[c][i];
  }

  /** Iterates [key, value] in ascending order over [lo, hi). */
  *range(lo, hi) {
    let [c, i] = this.seekForward(lo, true);
    while (c < this.keys.length) {
      const ks = this.keys[c];
      const vs = this.vals[c];
      for (; i < ks.length; i++) {
        if (ks[i] >= hi) return;
        yield [ks[i], vs[i]];
      }
      c++;
      i = 0;
    }
  }
}
