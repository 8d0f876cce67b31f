package dev.pgconvex.common.model;

import java.util.Objects;

/**
 * A document of the mirror: target table and source key. Its text {@code table/key} is the Kafka
 * key of the {@code ops} and {@code ids} topics, so every change of a document stays on one
 * partition.
 */
public record DocRef(String table, String key) {
  public DocRef {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(key, "key");
    if (table.indexOf('/') >= 0) {
      throw new IllegalArgumentException("Table name must not contain '/': " + table);
    }
  }

  /** Parses {@code table/key}; throws IllegalArgumentException on text without a '/'. */
  public static DocRef parse(String text) {
    int slash = text.indexOf('/');
    if (slash <= 0) {
      throw new IllegalArgumentException("Not a document ref (table/key): " + text);
    }
    return new DocRef(text.substring(0, slash), text.substring(slash + 1));
  }

  @Override
  public String toString() {
    return table + "/" + key;
  }
}
