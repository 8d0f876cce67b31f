package dev.pgconvex.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.verify.MirrorVerifier.ParentRef;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Compares one key: the document a row implies against the one in Convex. */
final class KeyComparison {
  private KeyComparison() {}

  /**
   * The document {@code row} implies: its columns, and each reference field holding the id of the
   * live document of its parent key ({@code ids}: parent table to key to id).
   */
  static ObjectNode expected(PgRow row, Map<String, Map<String, String>> ids) {
    ObjectNode doc = row.doc().deepCopy();
    row.refs()
        .forEach(
            (field, ref) ->
                doc.put(
                    field,
                    MirrorVerifier.expectedRef(
                        ref, ids.getOrDefault(ref.parentTable(), Map.of()).get(ref.parentKey()))));
    return doc;
  }

  /**
   * The difference at {@code key}, or null when the document is what the row implies.
   *
   * @param row the row, or null when there is none
   * @param entry Convex's {@code {key, id, position, doc}} of the key (null or without {@code doc}
   *     when there is no live document)
   */
  static Finding classify(
      TableMapping t, String key, PgRow row, JsonNode entry, Map<String, Map<String, String>> ids) {
    JsonNode doc = entry == null ? null : entry.get("doc");
    if (doc != null && doc.isNull()) {
      doc = null;
    }
    String id = entry == null || doc == null ? null : entry.path("id").asText(null);
    String position = entry == null ? null : entry.path("position").asText(null);
    if (row == null && doc == null) {
      return null;
    }
    if (row == null) {
      return new Finding(Finding.Kind.EXTRA, key, null, null, null, null, id, position);
    }
    if (doc == null) {
      return new Finding(Finding.Kind.MISSING, key, null, null, null, null, null, position);
    }
    ObjectNode expected = expected(row, ids);
    if (DocHash.of(key, expected) == DocHash.of(key, doc)) {
      return null;
    }
    Set<String> refFields = new HashSet<>();
    t.relations().forEach(r -> refFields.add(r.field()));
    TreeSet<String> fields = new TreeSet<>();
    expected.fieldNames().forEachRemaining(fields::add);
    doc.fieldNames().forEachRemaining(fields::add);
    for (String f : fields) {
      if (refFields.contains(f)) {
        continue;
      }
      JsonNode e = expected.get(f);
      JsonNode a = doc.get(f);
      if (!sameValue(e, a)) {
        return new Finding(Finding.Kind.DIFFERENT, key, f, text(e), text(a), null, id, position);
      }
    }
    for (RelationMapping r : t.relations()) {
      JsonNode e = expected.get(r.field());
      JsonNode a = doc.get(r.field());
      if (!sameValue(e, a)) {
        ParentRef ref = row.refs().get(r.field());
        return new Finding(
            Finding.Kind.WRONG_REF,
            key,
            r.field(),
            text(e),
            text(a),
            ref == null ? null : ref.parentKey(),
            id,
            position);
      }
    }
    // Equal field by field yet hashed differently cannot happen (same encoding); say so if it does.
    return new Finding(
        Finding.Kind.DIFFERENT,
        key,
        "(document)",
        expected.toString(),
        doc.toString(),
        null,
        id,
        position);
  }

  /** A hash of what the row says (columns and parent keys), to tell whether it changed. */
  static Long rowState(PgRow row) {
    if (row == null) {
      return null;
    }
    ObjectNode doc = row.doc().deepCopy();
    row.refs().forEach((f, r) -> doc.put(f, r.parentTable() + " " + r.parentKey()));
    return DocHash.of(row.key(), doc);
  }

  private static boolean sameValue(JsonNode e, JsonNode a) {
    if (e == null || a == null) {
      return e == a;
    }
    return DocHash.of("", e) == DocHash.of("", a);
  }

  private static String text(JsonNode v) {
    return v == null ? null : v.toString();
  }
}
