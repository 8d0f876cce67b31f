package dev.pgconvex.common.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One change to apply to a Convex document, or a heartbeat marker: the value of the {@code ops}
 * topic (docs/contracts.md).
 *
 * <p>A {@link Kind#HEARTBEAT} op ({@link #heartbeat}) is no change: the transformer writes one to
 * every ops partition for each source heartbeat, table {@value #HEARTBEAT_TABLE}, key the partition
 * number, no document. The sink never sends it to Convex; once the ops before it in its partition
 * are done it counts as applied at its {@code commitTs}, which is how end-to-end lag is observed
 * while the database is idle.
 *
 * @param table target Convex table ({@value #HEARTBEAT_TABLE} for a heartbeat)
 * @param key canonical source key ({@link SourceKey}); for a heartbeat the ops partition number
 * @param op what to do
 * @param position orders changes of this document ({@link Position}); for a heartbeat, the position
 *     of the heartbeat-table change
 * @param commitTs source commit time, epoch ms
 * @param txId Postgres transaction id, null for snapshot reads and heartbeats
 * @param doc whole document (upsert), given fields (patch, null value = remove), null for delete
 *     and heartbeat
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Operation(
    @JsonProperty("table") String table,
    @JsonProperty("key") String key,
    @JsonProperty("op") Kind op,
    @JsonProperty("position") String position,
    @JsonProperty("commitTs") long commitTs,
    @JsonProperty("txId") Long txId,
    @JsonProperty("doc") ObjectNode doc) {

  /** Operation kinds, written in lower case on the wire. */
  public enum Kind {
    @JsonProperty("upsert")
    UPSERT,
    @JsonProperty("patch")
    PATCH,
    @JsonProperty("delete")
    DELETE,
    /** A pipeline marker, never sent to Convex (see {@link Operation#heartbeat}). */
    @JsonProperty("heartbeat")
    HEARTBEAT,
    /** A barrier marker, never sent to Convex (see {@link Operation#marker}). */
    @JsonProperty("marker")
    MARKER
  }

  /** The table name of heartbeat ops; not a Convex table (Convex tables cannot start with _). */
  public static final String HEARTBEAT_TABLE = "_heartbeat";

  /** The table name of marker ops; not a Convex table. */
  public static final String MARKER_TABLE = "_marker";

  /**
   * The prefix of the WAL logical message ({@code pg_logical_emit_message}) a barrier marker starts
   * as; content {@code {"pipeline","id"}} (docs/contracts.md, "Markers").
   */
  public static final String MARKER_MESSAGE_PREFIX = "pgconvex.marker";

  public Operation {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(position, "position");
    if ((op == Kind.UPSERT || op == Kind.PATCH) && doc == null) {
      throw new IllegalArgumentException(op + " of " + table + "/" + key + " needs a document");
    }
    if (op == Kind.HEARTBEAT && (doc != null || !HEARTBEAT_TABLE.equals(table))) {
      throw new IllegalArgumentException(
          "a heartbeat op has table " + HEARTBEAT_TABLE + " and no document, not " + table);
    }
    if (op == Kind.MARKER && (doc == null || !MARKER_TABLE.equals(table))) {
      throw new IllegalArgumentException(
          "a marker op has table " + MARKER_TABLE + " and a document, not " + table);
    }
  }

  /**
   * The heartbeat op for ops partition {@code partition}.
   *
   * @param position position of the heartbeat-table change ({@link Position#of})
   * @param commitTs its source commit time, epoch ms
   */
  public static Operation heartbeat(int partition, String position, long commitTs) {
    return new Operation(
        HEARTBEAT_TABLE,
        Integer.toString(partition),
        Kind.HEARTBEAT,
        position,
        commitTs,
        null,
        null);
  }

  /**
   * The barrier marker op for ops partition {@code partition} (docs/contracts.md, "Markers"): the
   * transformer writes one to every ops partition once everything before the WAL marker has passed
   * it; the sink confirms it in Convex once every op before it in the partition is applied.
   *
   * @param position {@link Position#of} the marker's LSN
   * @param commitTs the marker's source time, epoch ms
   * @param marker {@code {"pipeline","id","lsn","held","sourceAt","transformerAt"}}
   */
  public static Operation marker(int partition, String position, long commitTs, ObjectNode marker) {
    return new Operation(
        MARKER_TABLE, Integer.toString(partition), Kind.MARKER, position, commitTs, null, marker);
  }

  /** True for a marker op (no change to apply). Not a JSON property. */
  @JsonIgnore
  public boolean isMarker() {
    return op == Kind.MARKER;
  }

  /** True for a heartbeat marker (no change to apply). Not a JSON property. */
  @JsonIgnore
  public boolean isHeartbeat() {
    return op == Kind.HEARTBEAT;
  }

  /** The Kafka key of this operation. */
  public DocRef ref() {
    return new DocRef(table, key);
  }
}
