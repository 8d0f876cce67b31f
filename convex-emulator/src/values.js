// Helpers over values in "Convex-encoded JSON" form (the form syscalls and the HTTP API carry):
// numbers are float64, {"$integer": b64} is Int64, {"$bytes": b64} bytes, {"$float": b64} NaN/Inf/-0.
// The emulator stores documents in this form so that syscall answers are a plain JSON.stringify.

export class UserError extends Error {}

/** Kind of a Convex JSON value: 0 undefined, 1 null, 2 int64, 3 float64, 4 boolean, 5 string, 6 bytes, 7 array, 9 object. */
export function kindOf(v) {
  if (v === undefined) return 0;
  if (v === null) return 1;
  switch (typeof v) {
    case "number":
      return 3;
    case "boolean":
      return 4;
    case "string":
      return 5;
    case "object": {
      if (Array.isArray(v)) return 7;
      const special = specialKey(v);
      if (special === "$integer") return 2;
      if (special === "$float") return 3;
      if (special === "$bytes") return 6;
      if (special === "$undefined") return 0;
      return 9;
    }
  }
  throw new UserError(`Unsupported value ${String(v)}`);
}

/** The "$..." key of a special encoded value, or null. */
export function specialKey(o) {
  let first = null;
  for (const k in o) {
    if (first !== null) return null;
    first = k;
  }
  return first !== null && first.charCodeAt(0) === 36 /* $ */ ? first : null;
}

/** Decoded length of base64 text. */
export function b64Len(b64) {
  let n = b64.length;
  while (n > 0 && b64.charCodeAt(n - 1) === 61 /* = */) n--;
  return Math.floor((n * 3) / 4);
}

export function b64ToBytes(b64) {
  return Buffer.from(b64, "base64");
}

export function int64FromJson(v) {
  const b = b64ToBytes(v.$integer);
  if (b.length !== 8) throw new UserError(`Received ${b.length} bytes, expected 8 for $integer`);
  return b.readBigInt64LE(0);
}
export function int64ToJson(n) {
  const b = Buffer.allocUnsafe(8);
  b.writeBigInt64LE(BigInt.asIntN(64, BigInt(n)));
  return { $integer: b.toString("base64") };
}
export function floatFromJson(v) {
  const b = b64ToBytes(v.$float);
  if (b.length !== 8) throw new UserError(`Received ${b.length} bytes, expected 8 for $float`);
  return b.readDoubleLE(0);
}
export function floatToJsonValue(x) {
  if (Number.isNaN(x) || !Number.isFinite(x) || Object.is(x, -0)) {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleLE(x);
    return { $float: b.toString("base64") };
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Order-preserving key encoding. Keys are JS strings compared with < (UTF-16 code units).
// Each value starts with a type tag (undefined < null < int64 < float64 < boolean < string <
// bytes < array < object, as in Convex); variable-length payloads end with "\0" and escape
// \0 and \1. The concatenation of encoded values sorts like the tuple of the values.
// ---------------------------------------------------------------------------------------------
const T_UNDEF = "\x02";
const T_NULL = "\x03";
const T_INT = "\x04";
const T_FLOAT = "\x05";
const T_BOOL = "\x06";
const T_STR = "\x07";
const T_BYTES = "\x08";
const T_ARR = "\x09";
const T_OBJ = "\x0a";
/** Greater than every character that can follow a complete encoded value. */
export const KEY_MAX_CHAR = "\uffff";

const f64 = new Float64Array(1);
const u16 = new Uint16Array(f64.buffer);

function encodeFloat(x) {
  f64[0] = x;
  // Little-endian platform: u16[3] holds the sign and exponent.
  if (u16[3] & 0x8000) {
    return String.fromCharCode(~u16[3] & 0xffff, ~u16[2] & 0xffff, ~u16[1] & 0xffff, ~u16[0] & 0xffff);
  }
  return String.fromCharCode(u16[3] | 0x8000, u16[2], u16[1], u16[0]);
}

const NEEDS_ESCAPE = /[\x00\x01\ud800-\uffff]/;
function encodeString(s) {
  if (!NEEDS_ESCAPE.test(s)) return s + "\x00";
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) out += "\x01\x01";
    else if (c === 1) out += "\x01\x02";
    else if (c >= 0xe000) out += String.fromCharCode(c - 0x800); // E000-FFFF -> D800-F7FF
    else if (c >= 0xd800) out += String.fromCharCode(c + 0x2000); // surrogates -> F800-FFFF (UTF-8 order)
    else out += s[i];
  }
  return out + "\x00";
}

function encodeBytes(buf) {
  let out = "";
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0) out += "\x01\x01";
    else if (c === 1) out += "\x01\x02";
    else out += String.fromCharCode(c);
  }
  return out + "\x00";
}

/** Encodes one Convex JSON value (undefined for a missing field). */
export function encodeKeyValue(v) {
  if (v === undefined) return T_UNDEF;
  if (v === null) return T_NULL;
  switch (typeof v) {
    case "string":
      return T_STR + encodeString(v);
    case "number":
      return T_FLOAT + encodeFloat(v);
    case "boolean":
      return v ? T_BOOL + "\x01" : T_BOOL + "\x00";
    case "object": {
      if (Array.isArray(v)) {
        let out = T_ARR;
        for (let i = 0; i < v.length; i++) out += encodeKeyValue(v[i]);
        return out + "\x00";
      }
      const special = specialKey(v);
      if (special === "$integer") {
        const b = b64ToBytes(v.$integer);
        const hi = (b.readUInt16LE(6) ^ 0x8000) & 0xffff;
        return T_INT + String.fromCharCode(hi, b.readUInt16LE(4), b.readUInt16LE(2), b.readUInt16LE(0));
      }
      if (special === "$float") return T_FLOAT + encodeFloat(floatFromJson(v));
      if (special === "$bytes") return T_BYTES + encodeBytes(b64ToBytes(v.$bytes));
      if (special === "$undefined") return T_UNDEF;
      const keys = Object.keys(v).sort();
      let out = T_OBJ;
      for (const k of keys) out += "\x07" + encodeString(k) + encodeKeyValue(v[k]);
      return out + "\x00";
    }
  }
  throw new UserError(`Unsupported value in index key: ${String(v)}`);
}

/** Value of a dotted field path in a document (undefined when missing). */
export function getFieldPath(doc, path) {
  if (path.indexOf(".") < 0) return doc[path];
  let cur = doc;
  for (const p of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur) || specialKey(cur) !== null) return undefined;
    cur = cur[p];
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Compares two Convex JSON values in Convex order. */
export function compareValues(a, b) {
  const ka = encodeKeyValue(a);
  const kb = encodeKeyValue(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Document checks: size as Convex counts it, field count, nesting, array length, field names.
// ---------------------------------------------------------------------------------------------
export const MAX_DOC_SIZE = 1 << 20;
export const MAX_FIELDS = 1024;
export const MAX_NESTING = 16;
export const MAX_ARRAY = 8192;

function utf8Len(s) {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      if (c < 0x800) n += 1;
      else if (c >= 0xd800 && c <= 0xdbff) {
        n += 2; // 4 bytes for the pair, whose 2 code units are already counted
        i++;
      } else n += 2;
    }
  }
  return n;
}

/** Size of a Convex JSON value as Convex measures it. */
export function valueSize(v) {
  if (v === null) return 1;
  switch (typeof v) {
    case "number":
      return 9;
    case "boolean":
      return 1;
    case "string":
      return 2 + utf8Len(v);
    case "object": {
      if (Array.isArray(v)) {
        let n = 2;
        for (let i = 0; i < v.length; i++) n += valueSize(v[i]);
        return n;
      }
      const sk = specialKey(v);
      if (sk === "$integer" || sk === "$float" || sk === "$commitTs") return 9;
      if (sk === "$bytes") return 2 + b64Len(v.$bytes);
      let n = 2;
      for (const k in v) n += utf8Len(k) + 1 + valueSize(v[k]);
      return n;
    }
  }
  return 0;
}

const TOP_FIELD = /^[a-zA-Z][a-zA-Z0-9_]*$/;

/**
 * Checks a value about to be stored (without system fields) and returns its size.
 * Flags `$commitTs` placeholders through `state.commitTs`.
 */
export function checkDocument(value, state) {
  if (value === null || typeof value !== "object" || Array.isArray(value) || specialKey(value) !== null) {
    throw new UserError(`Documents must be objects, got ${JSON.stringify(value)?.slice(0, 200)}`);
  }
  let size = 2;
  let fields = 0;
  for (const k in value) {
    if (k === "_id" || k === "_creationTime") continue;
    if (k.length > 64 || !TOP_FIELD.test(k)) {
      if (k.startsWith("_")) {
        throw new UserError(`Field '${k}' starts with an underscore, which is only allowed for system fields like '_id'.`);
      }
      throw new UserError(`Field name '${k}' is invalid: top-level field names must be identifiers of at most 64 characters ([a-zA-Z][a-zA-Z0-9_]*).`);
    }
    fields++;
    size += k.length + 1 + checkNested(value[k], 1, state, k);
  }
  if (fields > MAX_FIELDS) throw new UserError(`Object has too many fields (${fields} > maximum number ${MAX_FIELDS}).`);
  return size;
}

function checkNested(v, depth, state, path) {
  if (v === null) return 1;
  switch (typeof v) {
    case "number":
      return 9;
    case "boolean":
      return 1;
    case "string":
      return 2 + utf8Len(v);
    case "object": {
      if (depth > MAX_NESTING) {
        throw new UserError(`Value is too nested (nested ${depth + 1} levels deep > maximum nesting ${MAX_NESTING}) at path ${path}.`);
      }
      if (Array.isArray(v)) {
        if (v.length > MAX_ARRAY) {
          throw new UserError(`Array length is too long (${v.length} > maximum length ${MAX_ARRAY}) at path ${path}.`);
        }
        let n = 2;
        for (let i = 0; i < v.length; i++) n += checkNested(v[i], depth + 1, state, path);
        return n;
      }
      const sk = specialKey(v);
      if (sk !== null) {
        if (sk === "$integer" || sk === "$float") return 9;
        if (sk === "$bytes") return 2 + b64Len(v.$bytes);
        if (sk === "$commitTs") {
          state.commitTs = true;
          return 9;
        }
        throw new UserError(`Field name ${sk} starts with a '$', which is reserved.`);
      }
      let n = 2;
      let fields = 0;
      for (const k in v) {
        fields++;
        n += k.length + 1 + checkNested(v[k], depth + 1, state, path);
      }
      if (fields > MAX_FIELDS) throw new UserError(`Object has too many fields (${fields} > maximum number ${MAX_FIELDS}) at path ${path}.`);
      return n;
    }
  }
  throw new UserError(`Unsupported value at path ${path}`);
}

/** Replaces $commitTs placeholders with the commit timestamp (as Int64). */
export function resolveCommitTs(v, tsJson) {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map((x) => resolveCommitTs(x, tsJson));
  const sk = specialKey(v);
  if (sk === "$commitTs") return tsJson;
  if (sk !== null) return v;
  const out = {};
  for (const k in v) out[k] = resolveCommitTs(v[k], tsJson);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Output formats
// ---------------------------------------------------------------------------------------------

/** Convex JSON -> "json" format: Int64 as decimal string, bytes as base64, special floats as strings. */
export function toCleanJson(v) {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(toCleanJson);
  const sk = specialKey(v);
  if (sk === "$integer") return int64FromJson(v).toString();
  if (sk === "$bytes") return v.$bytes;
  if (sk === "$float") {
    const x = floatFromJson(v);
    return Number.isNaN(x) ? "NaN" : x === Infinity ? "Infinity" : x === -Infinity ? "-Infinity" : 0;
  }
  const out = {};
  for (const k in v) out[k] = toCleanJson(v[k]);
  return out;
}

/** True when a value has no special encodings, so the clean form equals the encoded form. */
export function isPlain(v) {
  if (v === null || typeof v !== "object") return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!isPlain(v[i])) return false;
    return true;
  }
  for (const k in v) {
    if (k.charCodeAt(0) === 36) return false;
    if (!isPlain(v[k])) return false;
  }
  return true;
}

/** Validates incoming Convex JSON (arguments): rejects unknown $-keys and malformed specials. */
export function checkIncoming(v, depth = 0) {
  if (v === null) return;
  const t = typeof v;
  if (t === "number" || t === "boolean" || t === "string") return;
  if (t !== "object") throw new UserError(`Unsupported value ${String(v)}`);
  if (depth > 64) throw new UserError("Value is too nested");
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) checkIncoming(v[i], depth + 1);
    return;
  }
  const sk = specialKey(v);
  if (sk !== null) {
    if (sk === "$integer") {
      if (typeof v.$integer !== "string") throw new UserError(`Malformed $integer field`);
      int64FromJson(v);
      return;
    }
    if (sk === "$float") {
      if (typeof v.$float !== "string") throw new UserError(`Malformed $float field`);
      const x = floatFromJson(v);
      if (!(Number.isNaN(x) || !Number.isFinite(x) || Object.is(x, -0))) {
        throw new UserError(`Float ${x} should be encoded as a number`);
      }
      return;
    }
    if (sk === "$bytes") {
      if (typeof v.$bytes !== "string") throw new UserError(`Malformed $bytes field`);
      return;
    }
    throw new UserError(`Field name ${sk} starts with a '$', which is reserved.`);
  }
  for (const k in v) {
    if (k.charCodeAt(0) === 36) throw new UserError(`Field name ${k} starts with a '$', which is reserved.`);
    checkIncoming(v[k], depth + 1);
  }
}
