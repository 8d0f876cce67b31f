package dev.pgconvex.verify;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;

/**
 * One key where the mirror differs from Postgres.
 *
 * @param kind the class
 * @param key the source key ({@code [42]}); null for {@link Kind#UNKEYED}
 * @param field {@link Kind#DIFFERENT}: the first differing field; {@link Kind#WRONG_REF}: the
 *     reference field; else null
 * @param expected the value Postgres implies for {@code field} (JSON text), or null
 * @param actual the value in Convex (JSON text), or null when the field is absent
 * @param expectedParentKey {@link Kind#WRONG_REF}: the source key of the parent the field must
 *     point at (null when the foreign key is NULL in Postgres)
 * @param docId the Convex document id, when there is a document
 * @param position the position of the key row in Convex, when there is one
 */
public record Finding(
    Kind kind,
    String key,
    String field,
    String expected,
    String actual,
    String expectedParentKey,
    String docId,
    String position) {

  /** The classes of difference. */
  public enum Kind {
    /** A row in Postgres without a live document in Convex. */
    MISSING,
    /** A live document in Convex without a row in Postgres. */
    EXTRA,
    /** Both exist and a field other than a reference differs. */
    DIFFERENT,
    /** Both exist and a reference field does not point at the document of its parent key. */
    WRONG_REF,
    /**
     * A document of a mirrored table that no key row points at: the pipeline did not write it (an
     * insert by hand or by the application), so no source key names it.
     */
    UNKEYED
  }

  /** The entry of the JSON report. */
  public ObjectNode toJson() {
    ObjectNode o = Json.NODES.objectNode().put("key", key);
    switch (kind) {
      case EXTRA -> o.put("id", docId);
      case UNKEYED -> o.put("id", docId).put("doc", actual);
      case DIFFERENT -> o.put("field", field).put("expected", expected).put("actual", actual);
      case WRONG_REF ->
          o.put("field", field).put("expectedParentKey", expectedParentKey).put("actual", actual);
      default -> {}
    }
    return o;
  }

  /** One line for the human report. */
  public String describe() {
    return switch (kind) {
      case MISSING -> "missing in Convex";
      case UNKEYED ->
          "document "
              + docId
              + " has no key row: not written by the pipeline (the application must not write"
              + " mirrored tables; --repair deletes it): "
              + actual;
      case EXTRA -> "extra in Convex (document " + docId + ", no row in Postgres)";
      case DIFFERENT ->
          "different: field " + field + ": expected " + expected + " but was " + actual;
      case WRONG_REF ->
          "wrong reference: field "
              + field
              + " must point at the document of parent key "
              + expectedParentKey
              + " but holds "
              + actual;
    };
  }
}
