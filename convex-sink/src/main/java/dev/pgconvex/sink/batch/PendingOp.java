package dev.pgconvex.sink.batch;

import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.Operation;

/**
 * One consumed record of the ops topic, waiting to be applied. Three states: raw (just consumed,
 * not parsed yet: {@link #isParsed()} false), parsed ({@link #op()} set, with its JSON for the
 * request), or unreadable ({@link #problem()} says why; it goes straight to the dead-letter topic).
 * Parsing is left to the worker threads so the consumer thread only moves records. Immutable.
 *
 * @param topic source topic
 * @param partition source partition
 * @param offset source offset
 * @param key record key (doc ref), may be null
 * @param value record value text, may be null
 * @param op the parsed operation, or null
 * @param json the operation as sent to Convex (UTF-8 JSON), or null
 * @param problem why the record is unreadable, or null
 */
public record PendingOp(
    String topic,
    int partition,
    long offset,
    String key,
    String value,
    Operation op,
    byte[] json,
    String problem) {

  /** A consumed record, not parsed yet. */
  public static PendingOp raw(String topic, int partition, long offset, String key, String value) {
    return new PendingOp(topic, partition, offset, key, value, null, null, null);
  }

  /** True once parsed (successfully or not). */
  public boolean isParsed() {
    return op != null || problem != null;
  }

  /** This record parsed; itself when already parsed. */
  public PendingOp parsed() {
    return isParsed() ? this : parse(topic, partition, offset, key, value);
  }

  /** Parses a record's value; never throws (an unreadable record carries its problem). */
  public static PendingOp parse(
      String topic, int partition, long offset, String key, String value) {
    if (value == null) {
      return new PendingOp(
          topic,
          partition,
          offset,
          key,
          null,
          null,
          null,
          "null value on the ops topic (operations are never tombstones); the record is skipped");
    }
    try {
      Operation op = Json.MAPPER.readValue(value, Operation.class);
      return new PendingOp(topic, partition, offset, key, value, op, Json.writeBytes(op), null);
    } catch (Exception e) {
      String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().get();
      return new PendingOp(
          topic,
          partition,
          offset,
          key,
          value,
          null,
          null,
          "not an operation (docs/contracts.md): "
              + msg
              + "; fix the transformer and replay the record from the dead-letter topic");
    }
  }

  /**
   * Bytes this op adds to a request (its JSON plus a separator); for a raw record, its value's
   * UTF-8 length (an estimate: should the parsed batch end up over Convex's limit, Convex rejects
   * it and the batch is split); 0 for an unreadable record.
   */
  public int sizeBytes() {
    if (json != null) {
      return json.length + 1;
    }
    return problem == null && value != null ? utf8Length(value) + 1 : 0;
  }

  private static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** {@code table/key} of the op, else the record key. */
  public String ref() {
    return op != null ? op.table() + "/" + op.key() : key;
  }
}
