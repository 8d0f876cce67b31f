package dev.pgconvex.cli.pipeline;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.cutover.Check;
import dev.pgconvex.cutover.Readiness;
import dev.pgconvex.cutover.ReadinessReport;
import dev.pgconvex.operations.ChainStatus;

/**
 * The cutover readiness the dashboard shows: {@link Readiness} with {@code ./cdc cutover}'s default
 * limits (lag 10 s, no dead letter accepted, orphans after 30 s), without the last verify a cutover
 * recorded in Convex (the background verification's last pass counts; neither: unknown, which does
 * not block). As {@code {"ready", "checks": [{name, value, verdict, reason}]}}.
 */
public final class CutoverReadiness {
  /** {@code ./cdc cutover --max-lag-ms}'s default, and the dashboard's. */
  public static final long MAX_LAG_MS = 10_000;

  private CutoverReadiness() {}

  public static ObjectNode json(ChainStatus chain, int partitions) {
    ReadinessReport r =
        Readiness.evaluate(chain, null, new Readiness.Limits(MAX_LAG_MS, partitions, 0));
    ObjectNode o = Json.NODES.objectNode();
    o.put("ready", r.ready());
    ArrayNode checks = o.putArray("checks");
    for (Check c : r.checks()) {
      checks.add(c.toJson());
    }
    return o;
  }
}
