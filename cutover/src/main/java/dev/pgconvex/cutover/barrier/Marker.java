package dev.pgconvex.cutover.barrier;

import java.util.Objects;

/**
 * A barrier marker written into the WAL ({@code pg_logical_emit_message}, prefix {@value
 * MarkerEmitter#PREFIX}): the source writes it into every partition of every captured table's
 * topic, the transformer forwards it to every ops partition once everything before it in each of
 * its inputs has passed, and the sink confirms it per ops partition in Convex ({@code cdc_markers})
 * once every op before it there is applied (docs/contracts.md, "Markers").
 *
 * @param pipeline the pipeline ({@code cdc.topic.prefix}) the marker is meant for; others ignore it
 * @param id unique marker id (e.g. the cutover id and the round: {@code c-20261201-1530-ab12/1})
 * @param lsn the marker's WAL position (what {@code pg_logical_emit_message} returned)
 * @param emittedAtMs wall clock at emission, epoch ms
 */
public record Marker(String pipeline, String id, long lsn, long emittedAtMs) {
  public Marker {
    Objects.requireNonNull(pipeline, "pipeline");
    Objects.requireNonNull(id, "id");
  }

  /** The LSN as Postgres prints it ({@code 16/B374D848}). */
  public String lsnText() {
    return Long.toHexString(lsn >>> 32).toUpperCase()
        + "/"
        + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
  }
}
