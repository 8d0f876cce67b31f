package dev.pgconvex.common.lineage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import java.util.Objects;

/**
 * Which Convex mirror the pipeline's ids belong to. {@code mirrorId} is made by Convex when a
 * pipeline first claims a deployment (the {@code _id} of its lineage document, see {@code
 * convex/cdc/lineage.ts}), so it changes when the deployment is wiped or replaced even if the URL
 * stays the same; the URL is kept for messages only.
 *
 * @param mirrorId the mirror's id in Convex
 * @param convexUrl the deployment URL it was reached at
 */
public record TargetIdentity(String mirrorId, String convexUrl) {
  public TargetIdentity {
    Objects.requireNonNull(mirrorId, "mirrorId");
    Objects.requireNonNull(convexUrl, "convexUrl");
  }

  /** {@code {"mirrorId":"...","convexUrl":"..."}} */
  public ObjectNode toJson() {
    return Json.NODES.objectNode().put("mirrorId", mirrorId).put("convexUrl", convexUrl);
  }

  /**
   * Reads {@link #toJson()}'s form.
   *
   * @throws IllegalArgumentException when a field is missing
   */
  public static TargetIdentity fromJson(JsonNode n) {
    if (n == null || !n.path("mirrorId").isTextual() || !n.path("convexUrl").isTextual()) {
      throw new IllegalArgumentException("not a target identity: " + n);
    }
    return new TargetIdentity(n.get("mirrorId").asText(), n.get("convexUrl").asText());
  }
}
