package dev.pgconvex.cutover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.sink.http.ConvexClient;

/**
 * {@link CutoverStore} in Convex: {@code cdc/cutover:record} and {@code cdc/cutover:lastVerify}.
 */
public final class ConvexCutoverStore implements CutoverStore {
  /** The mutation (docs/contracts.md, "Cutover state"). */
  public static final String RECORD = "cdc/cutover:record";

  /** The query of the last cutover. */
  public static final String LAST_CUTOVER = "cdc/cutover:lastCutover";

  /** The query of the last verify. */
  public static final String LAST_VERIFY = "cdc/cutover:lastVerify";

  private final ConvexClient convex;
  private final String pipeline;

  public ConvexCutoverStore(ConvexClient convex, String pipeline) {
    this.convex = convex;
    this.pipeline = pipeline;
  }

  @Override
  public void record(String cutoverId, State state, ObjectNode fields) {
    ObjectNode args =
        fields
            .deepCopy()
            .put("pipeline", pipeline)
            .put("cutoverId", cutoverId)
            .put("state", state.word());
    convex.mutation(RECORD, args);
  }

  @Override
  public Readiness.LastVerify lastVerify() {
    JsonNode v = convex.query(LAST_VERIFY, Json.NODES.objectNode().put("pipeline", pipeline));
    if (v == null || v.isNull()) {
      return null;
    }
    JsonNode b = v.path("baselineLsn");
    return new Readiness.LastVerify(
        v.path("cutoverId").asText(),
        v.path("equal").asBoolean(),
        v.path("at").asLong(),
        b.isNumber() ? b.asLong() : null);
  }

  /** The pipeline's last cutover as Convex stores it ({@code lastCutover}), or null. */
  public static JsonNode lastCutover(ConvexClient convex, String pipeline) {
    JsonNode c = convex.query(LAST_CUTOVER, Json.NODES.objectNode().put("pipeline", pipeline));
    return c == null || c.isNull() ? null : c;
  }
}
