package dev.pgconvex.cutover;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;

/**
 * One readiness check: what was read and the verdict.
 *
 * @param name the check ({@code stages}, {@code endToEndLag}, ...)
 * @param value what was read, in words ({@code 412 ms})
 * @param verdict the verdict
 * @param reason why not, with the fix (null when {@link Verdict#OK})
 */
public record Check(String name, String value, Verdict verdict, String reason) {
  /** A check's verdict. */
  public enum Verdict {
    /** Passes. */
    OK("ok"),
    /** Blocks the cutover. */
    NOT_OK("not ok"),
    /** Could not be told; does not block (the reason says what the cutover does instead). */
    UNKNOWN("unknown");

    private final String word;

    Verdict(String word) {
      this.word = word;
    }

    /** The JSON and report form. */
    public String word() {
      return word;
    }
  }

  static Check ok(String name, String value) {
    return new Check(name, value, Verdict.OK, null);
  }

  static Check notOk(String name, String value, String reason) {
    return new Check(name, value, Verdict.NOT_OK, reason);
  }

  /** {@code {name, value, verdict, reason}}. */
  public ObjectNode toJson() {
    ObjectNode o =
        Json.NODES.objectNode().put("name", name).put("value", value).put("verdict", verdict.word);
    if (reason == null) {
      o.putNull("reason");
    } else {
      o.put("reason", reason);
    }
    return o;
  }
}
