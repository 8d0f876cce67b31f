package dev.pgconvex.common.lineage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import java.util.Objects;

/**
 * Which Postgres the pipeline's positions come from. Positions (WAL LSNs) are comparable only
 * within one lineage: the same cluster ({@code system_identifier}, which a promoted standby keeps
 * across a failover and a new timeline), the same database and the same replication slot. State
 * made from one lineage (Kafka offsets, Streams changelogs, ids, the Convex key table) must never
 * be mixed with changes of another.
 *
 * @param systemIdentifier the cluster's {@code system_identifier} (decimal text)
 * @param database the captured database
 * @param slot the replication slot
 */
public record SourceIdentity(String systemIdentifier, String database, String slot) {
  public SourceIdentity {
    Objects.requireNonNull(systemIdentifier, "systemIdentifier");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(slot, "slot");
  }

  /** {@code {"systemIdentifier":"...","database":"...","slot":"..."}} */
  public ObjectNode toJson() {
    return Json.NODES
        .objectNode()
        .put("systemIdentifier", systemIdentifier)
        .put("database", database)
        .put("slot", slot);
  }

  /**
   * Reads {@link #toJson()}'s form.
   *
   * @throws IllegalArgumentException when a field is missing
   */
  public static SourceIdentity fromJson(JsonNode n) {
    if (n == null
        || !n.path("systemIdentifier").isTextual()
        || !n.path("database").isTextual()
        || !n.path("slot").isTextual()) {
      throw new IllegalArgumentException("not a source identity: " + n);
    }
    return new SourceIdentity(
        n.get("systemIdentifier").asText(), n.get("database").asText(), n.get("slot").asText());
  }

  /** For messages: {@code database 'shop' of Postgres cluster 7301 (slot 'pgconvex')}. */
  public String describe() {
    return "database '"
        + database
        + "' of Postgres cluster "
        + systemIdentifier
        + " (slot '"
        + slot
        + "')";
  }
}
