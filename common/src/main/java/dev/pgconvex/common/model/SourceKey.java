package dev.pgconvex.common.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.pgconvex.common.json.Json;
import java.util.List;

/**
 * The canonical text of a Postgres primary key: a compact JSON array of the key column values in
 * key order ({@code [42]}, {@code ["a",3]}). Child foreign-key columns produce their parent's key
 * the same way, so the text is the join key for foreign-key resolution. See docs/contracts.md.
 */
public final class SourceKey {
  private SourceKey() {}

  /**
   * Builds the key of a row.
   *
   * @param row the row's fields by column name (Debezium {@code after}/{@code before}, or the
   *     Debezium key)
   * @param columns the key columns in order
   * @return the key text, or null when any key column is null or missing (a NULL foreign key)
   */
  public static String of(JsonNode row, List<String> columns) {
    ArrayNode arr = Json.NODES.arrayNode(columns.size());
    for (String c : columns) {
      JsonNode v = row.get(c);
      if (v == null || v.isNull()) {
        return null;
      }
      arr.add(normalise(v));
    }
    return Json.write(arr);
  }

  // Integral numbers print the same whatever the column's width (int vs bigint), so a child's int
  // column and its
  // parent's bigint key produce the same text.
  private static JsonNode normalise(JsonNode v) {
    if (v.isIntegralNumber()) {
      return Json.NODES.numberNode(v.bigIntegerValue());
    }
    return v;
  }
}
