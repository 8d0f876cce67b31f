package dev.pgconvex.cutover;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;

/**
 * One step of the cutover's timeline.
 *
 * @param name {@code readiness}, {@code freeze}, {@code drain}, {@code verify}, {@code on-frozen},
 *     {@code on-switched}, {@code record}, {@code release}
 * @param ms how long it took
 * @param outcome how it ended
 * @param detail one line: what it did, or why it failed
 */
public record Step(String name, long ms, Outcome outcome, String detail) {
  /** How a step ended. */
  public enum Outcome {
    OK("ok"),
    FAILED("failed"),
    TIMEOUT("timeout"),
    CANCELLED("cancelled"),
    SKIPPED("skipped");

    private final String word;

    Outcome(String word) {
      this.word = word;
    }

    /** The JSON and report form. */
    public String word() {
      return word;
    }
  }

  /** {@code {name, ms, outcome, detail}}. */
  public ObjectNode toJson() {
    return Json.NODES
        .objectNode()
        .put("name", name)
        .put("ms", ms)
        .put("outcome", outcome.word())
        .put("detail", detail);
  }
}
