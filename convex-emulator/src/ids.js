// Convex document ids ("id v6"): base32 (alphabet 0-9a-z without i, l, o, u) of
// varint(table number) ++ 16 random bytes ++ 2-byte footer, where the footer is the
// Fletcher-16 checksum of the preceding bytes XOR the format version.
import { randomFillSync } from "node:crypto";

export const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Version of the id format, XORed into the checksum footer. */
export const ID_VERSION = 0;
/** First table number handed to user tables (system tables use lower numbers). */
export const FIRST_USER_TABLE_NUMBER = 10001;

const POOL_SIZE = 16 * 1024;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolPos = POOL_SIZE;

function fletcher16(buf, len) {
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < len; i++) {
    s1 = (s1 + buf[i]) % 255;
    s2 = (s2 + s1) % 255;
  }
  return (s2 << 8) | s1;
}

/** @param {Uint8Array} bytes @param {number} len */
export function base32Encode(bytes, len) {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < len; i++) {
    buffer = ((buffer << 8) | bytes[i]) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** @returns {Uint8Array|null} */
export function base32Decode(str) {
  const out = new Uint8Array(Math.floor((str.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let pos = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    const v = c < 128 ? DECODE[c] : -1;
    if (v < 0) return null;
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[pos++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  // Leftover bits must be zero padding.
  if (bits >= 5 || (buffer & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

const scratch = new Uint8Array(32);

/** Makes a new random id for a table number. */
export function newId(tableNumber) {
  let pos = 0;
  let n = tableNumber;
  while (n >= 0x80) {
    scratch[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  scratch[pos++] = n;
  if (poolPos + 16 > POOL_SIZE) {
    randomFillSync(pool);
    poolPos = 0;
  }
  for (let i = 0; i < 16; i++) scratch[pos++] = pool[poolPos++];
  const footer = fletcher16(scratch, pos) ^ ID_VERSION;
  scratch[pos++] = footer & 0xff;
  scratch[pos++] = footer >>> 8;
  return base32Encode(scratch, pos);
}

const decodeScratch = new Uint8Array(32);

/** Table number of a well-formed id, or -1. */
export function decodeIdTableNumber(id) {
  if (typeof id !== "string") return -1;
  const len = id.length;
  if (len < 31 || len > 37) return -1;
  // base32 decode into the scratch buffer
  const bytes = decodeScratch;
  let buffer = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const c = id.charCodeAt(i);
    const v = c < 128 ? DECODE[c] : -1;
    if (v < 0) return -1;
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes[n++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  // Canonical: leftover padding bits are zero and the text has minimal length.
  if (bits >= 5 || (buffer & ((1 << bits) - 1)) !== 0) return -1;
  if (len !== Math.ceil((n * 8) / 5)) return -1;
  let table = 0;
  let shift = 0;
  let pos = 0;
  for (;;) {
    if (pos >= n || shift > 28) return -1;
    const b = bytes[pos++];
    table += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) break;
  }
  if (n !== pos + 18) return -1;
  const footer = bytes[pos + 16] | (bytes[pos + 17] << 8);
  if ((fletcher16(bytes, pos + 16) ^ ID_VERSION) !== footer) return -1;
  return table;
}
