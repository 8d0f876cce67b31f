package dev.pgconvex.verify;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The document hash of the verification (docs/contracts.md, "Document hash"), identical to {@code
 * convex/cdc/verify.ts}: two 32-bit lanes (FNV-1a and a multiply-xorshift, each finished with
 * MurmurHash3's fmix32) over a canonical encoding of the source key and the document. Documents
 * combine by adding each lane modulo 2^32, so a chunk's hash does not depend on the order its
 * documents are read in. {@code convex/tests/verifyHash.cases.json} holds the cases both
 * implementations must agree on.
 *
 * <p>Canonical encoding: null {@code n}; booleans {@code t}/{@code f}; numbers {@code d} and the 16
 * upper-case hex digits of their IEEE-754 double bits (-0 as 0, one NaN); strings {@code s<UTF-16
 * length>:} and their UTF-8 (a lone surrogate as {@code ?}); arrays {@code [<n>:} elements {@code
 * ]}; objects {@code {<n>:} then, by field name (UTF-16 order), the name as a string and the value,
 * then <code>}</code>. Convex int64 and bytes count as the decimal text and base64 text that
 * Convex's {@code json} format writes for them, which is how this side sees them.
 */
public final class DocHash {
  private DocHash() {}

  /** The two lanes of one document's hash, as one long (lane 1 in the high half). */
  public static long of(String key, JsonNode doc) {
    Lanes h = new Lanes();
    h.string(key);
    h.value(doc);
    return ((long) fmix32(h.h1) << 32) | (fmix32(h.h2) & 0xFFFFFFFFL);
  }

  /** Adds two hashes lane by lane. */
  public static long add(long a, long b) {
    int l1 = (int) (a >>> 32) + (int) (b >>> 32);
    int l2 = (int) a + (int) b;
    return ((long) l1 << 32) | (l2 & 0xFFFFFFFFL);
  }

  /** The 16 lower-case hex digits Convex's {@code chunkHash} answers. */
  public static String hex(long hash) {
    return String.format(Locale.ROOT, "%016x", hash);
  }

  /** Parses {@link #hex}. */
  public static long parse(String hex) {
    return Long.parseUnsignedLong(hex, 16);
  }

  static int fmix32(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }

  private static final class Lanes {
    int h1 = 0x811c9dc5;
    int h2 = 0x9747b28c;

    void b(int b) {
      h1 = (h1 ^ b) * 0x01000193;
      int x = (h2 ^ b) * 0x5bd1e995;
      h2 = x ^ (x >>> 15);
    }

    void ascii(String s) {
      for (int i = 0; i < s.length(); i++) {
        b(s.charAt(i));
      }
    }

    void utf8(String s) {
      for (int i = 0; i < s.length(); i++) {
        int c = s.charAt(i);
        if (c < 0x80) {
          b(c);
        } else if (c < 0x800) {
          b(0xc0 | (c >> 6));
          b(0x80 | (c & 0x3f));
        } else if (Character.isSurrogate((char) c)) {
          int next = i + 1 < s.length() ? s.charAt(i + 1) : 0;
          if (Character.isHighSurrogate((char) c) && Character.isLowSurrogate((char) next)) {
            int cp = Character.toCodePoint((char) c, (char) next);
            i++;
            b(0xf0 | (cp >> 18));
            b(0x80 | ((cp >> 12) & 0x3f));
            b(0x80 | ((cp >> 6) & 0x3f));
            b(0x80 | (cp & 0x3f));
          } else {
            b('?');
          }
        } else {
          b(0xe0 | (c >> 12));
          b(0x80 | ((c >> 6) & 0x3f));
          b(0x80 | (c & 0x3f));
        }
      }
    }

    void string(String s) {
      ascii("s" + s.length() + ":");
      utf8(s);
    }

    void value(JsonNode v) {
      if (v == null || v.isNull() || v.isMissingNode()) {
        ascii("n");
      } else if (v.isBoolean()) {
        ascii(v.booleanValue() ? "t" : "f");
      } else if (v.isNumber()) {
        ascii("d" + doubleBits(v.doubleValue()));
      } else if (v.isTextual()) {
        string(v.textValue());
      } else if (v.isBinary()) {
        string(java.util.Base64.getEncoder().encodeToString(binary(v)));
      } else if (v.isArray()) {
        ascii("[" + v.size() + ":");
        for (JsonNode e : v) {
          value(e);
        }
        ascii("]");
      } else if (v.isObject()) {
        List<String> names = new ArrayList<>(v.size());
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
          names.add(it.next().getKey());
        }
        names.sort(null);
        ascii("{" + names.size() + ":");
        for (String n : names) {
          string(n);
          value(v.get(n));
        }
        ascii("}");
      } else {
        throw new IllegalArgumentException("Cannot hash a JSON " + v.getNodeType());
      }
    }

    private static byte[] binary(JsonNode v) {
      try {
        return v.binaryValue();
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException(e);
      }
    }
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private static String doubleBits(double x) {
    if (Double.isNaN(x)) {
      return "7FF8000000000000";
    }
    long bits = Double.doubleToRawLongBits(x == 0.0 ? 0.0 : x);
    char[] out = new char[16];
    for (int i = 15; i >= 0; i--) {
      out[i] = HEX[(int) (bits & 0xF)];
      bits >>>= 4;
    }
    return new String(out);
  }
}
