package dev.pgconvex.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The figures of repeated benchmark runs combined: every number is the median of that number over
 * the runs (the lower middle for an even count), every boolean is true only when it is true in
 * every run, anything else comes from the first run; the runs themselves are kept under {@code
 * runs}. On a noisy shared machine the median of runs taken side by side is the figure to quote.
 */
public final class Medians {
  private Medians() {}

  /** The runs combined; a single run is returned as it is. */
  public static ObjectNode of(List<ObjectNode> runs) {
    if (runs.size() == 1) {
      return runs.get(0);
    }
    ObjectNode out = (ObjectNode) combine(runs.stream().map(r -> (JsonNode) r).toList());
    out.putArray("runs").addAll(runs);
    return out;
  }

  private static JsonNode combine(List<JsonNode> values) {
    JsonNode first = values.get(0);
    if (first.isObject()) {
      ObjectNode out = Json.NODES.objectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = first.fields(); it.hasNext(); ) {
        String field = it.next().getKey();
        List<JsonNode> each = new ArrayList<>();
        for (JsonNode v : values) {
          if (v.has(field)) {
            each.add(v.get(field));
          }
        }
        out.set(field, combine(each));
      }
      return out;
    }
    if (first.isNumber() && values.stream().allMatch(JsonNode::isNumber)) {
      List<Double> sorted = values.stream().map(JsonNode::asDouble).sorted().toList();
      double m = sorted.get((sorted.size() - 1) / 2);
      return first.isIntegralNumber()
          ? Json.NODES.numberNode(Math.round(m))
          : Json.NODES.numberNode(m);
    }
    if (first.isBoolean()) {
      return Json.NODES.booleanNode(values.stream().allMatch(JsonNode::asBoolean));
    }
    return first;
  }
}
